# Cross build for 64-bit Windows with MinGW-w64 (Debian:
# g++-mingw-w64-x86-64), posix thread model so that std::thread and
# std::mutex work. Programs link statically (no MinGW DLLs to ship or to
# find under Wine) and run through Wine wherever CMake or ctest runs one.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(mingw_triple x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${mingw_triple}-gcc-posix)
set(CMAKE_CXX_COMPILER ${mingw_triple}-g++-posix)
set(CMAKE_RC_COMPILER ${mingw_triple}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${mingw_triple})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

# Debian's /usr/bin/wine picks a 32- or 64-bit loader and warns when the
# 32-bit one is missing; the 64-bit loader runs x86_64 programs directly.
find_program(SOCKCHECK_WINE NAMES wine64 wine
  PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH
  DOC "Wine, the emulator that runs the cross-built programs")
if(SOCKCHECK_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${SOCKCHECK_WINE})
endif()
