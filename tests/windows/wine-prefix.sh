#!/bin/sh
# The Wine prefix that the mingw tests run in, as a ctest fixture:
#   wine-prefix.sh start   makes the prefix if it is missing (wineboot) and
#                          starts its persistent wineserver;
#   wine-prefix.sh stop    stops that wineserver and every Wine process of
#                          the prefix (wineserver -k), and waits for it.
# WINEPREFIX must be set (the tests' environment sets it, under the build
# tree); nothing outside that prefix is touched. The server persists for a
# bounded time after its last program, so a run killed before its cleanup
# step still leaves nothing behind for long.
set -eu
: "${WINEPREFIX:?WINEPREFIX must name the private prefix}"
export WINEPREFIX
export WINEDEBUG=-all
# No Mono or Gecko installers: the tests need neither.
export WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY

wineserver=$(command -v wineserver || echo /usr/lib/wine/wineserver64)
case "${1:-}" in
  start)
    mkdir -p "$WINEPREFIX"
    # The server and the system processes wineboot starts (services,
    # winedevice, explorer) outlive this script: none may hold ctest's
    # pipes, or ctest waits for them to exit.
    "$wineserver" -p"${SOCKCHECK_WINESERVER_LINGER:-120}" </dev/null >/dev/null 2>&1
    loader=$(command -v wine64 || echo /usr/lib/wine/wine64)
    "$loader" wineboot --init </dev/null >/dev/null 2>&1
    ;;
  stop)
    "$wineserver" -k 2>/dev/null || true
    "$wineserver" -w 2>/dev/null || true
    ;;
  *)
    echo "usage: wine-prefix.sh start|stop" >&2
    exit 2
    ;;
esac
