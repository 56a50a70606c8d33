// Just enough of Winsock's names over POSIX sockets for winsock_sample.cc to
// build natively, call for call the same program: the native twin that the
// suite's time under Wine is measured against (docs/windows.md). Not a
// Winsock emulation: only what the sample uses.
#pragma once

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>

using SOCKET = int;
using WSADATA = int;
constexpr SOCKET INVALID_SOCKET = -1;
constexpr int SOCKET_ERROR = -1;
constexpr int SD_SEND = SHUT_WR;
constexpr int MAKEWORD(int, int) { return 0; }
// Windows has no SIGPIPE: a send to a reset peer fails with an error there,
// so the twin ignores the signal to behave the same.
inline int WSAStartup(int, WSADATA*) {
  std::signal(SIGPIPE, SIG_IGN);
  return 0;
}
inline int WSACleanup() { return 0; }
inline int WSAGetLastError() { return errno; }
inline int closesocket(SOCKET s) { return ::close(s); }
inline int _setmode(int, int) { return 0; }
inline int _fileno(FILE* f) { return fileno(f); }
constexpr int _O_BINARY = 0;
