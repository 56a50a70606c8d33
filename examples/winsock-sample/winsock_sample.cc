// The control flow of the Winsock sample "Sending and Receiving Data on the
// Client", written for sockcheck as the showcase of what the harness finds
// in it (docs/windows.md). The flow is the sample's, call for call:
//
//   WSAStartup, getaddrinfo, connect to the first address that accepts,
//   ONE send whose count is only printed (a short send is not continued),
//   shutdown(SD_SEND), recv until the result is not positive, closesocket,
//   WSACleanup, and exit status 0, even after a failed recv.
//
// Blocking sockets, no timeout. The only changes are those the harness's
// program contract needs: the request comes from standard input and the
// reply goes to standard output, both in binary mode (a text-mode stdout
// would turn "\n" into "\r\n"), so the sample's progress lines go to
// standard error.
//
// Usage: winsock-sample.exe HOST PORT < request > reply
//
// Built natively too (posix_winsock.h), as the same program for Linux.
#include <cstdio>

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>

#include <fcntl.h>
#include <io.h>
#else
#include "posix_winsock.h"  // the native twin, for comparison only
#endif

#include <string>

namespace {

constexpr int kRecvBufLen = 512;  // the sample's DEFAULT_BUFLEN

std::string read_request() {
  std::string request;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, stdin)) > 0;) {
    request.append(buf, n);
  }
  return request;
}

}  // namespace

int main(int argc, char** argv) {
  _setmode(_fileno(stdin), _O_BINARY);
  _setmode(_fileno(stdout), _O_BINARY);
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s server-name port < request\n", argv[0]);
    return 1;
  }
  const std::string sendbuf = read_request();

  WSADATA wsaData;
  int iResult = WSAStartup(MAKEWORD(2, 2), &wsaData);
  if (iResult != 0) {
    std::fprintf(stderr, "WSAStartup failed: %d\n", iResult);
    return 1;
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  addrinfo* result = nullptr;
  iResult = getaddrinfo(argv[1], argv[2], &hints, &result);
  if (iResult != 0) {
    std::fprintf(stderr, "getaddrinfo failed: %d\n", iResult);
    WSACleanup();
    return 1;
  }

  SOCKET ConnectSocket = INVALID_SOCKET;
  for (addrinfo* ptr = result; ptr != nullptr; ptr = ptr->ai_next) {
    ConnectSocket = socket(ptr->ai_family, ptr->ai_socktype, ptr->ai_protocol);
    if (ConnectSocket == INVALID_SOCKET) {
      std::fprintf(stderr, "socket failed: %d\n", WSAGetLastError());
      freeaddrinfo(result);
      WSACleanup();
      return 1;
    }
    iResult = connect(ConnectSocket, ptr->ai_addr, static_cast<int>(ptr->ai_addrlen));
    if (iResult == SOCKET_ERROR) {
      closesocket(ConnectSocket);
      ConnectSocket = INVALID_SOCKET;
      continue;
    }
    break;
  }
  freeaddrinfo(result);
  if (ConnectSocket == INVALID_SOCKET) {
    std::fprintf(stderr, "Unable to connect to server!\n");
    WSACleanup();
    return 1;
  }

  // One send; its count is printed, never compared with the request's size.
  iResult = send(ConnectSocket, sendbuf.data(), static_cast<int>(sendbuf.size()), 0);
  if (iResult == SOCKET_ERROR) {
    std::fprintf(stderr, "send failed: %d\n", WSAGetLastError());
    closesocket(ConnectSocket);
    WSACleanup();
    return 1;
  }
  std::fprintf(stderr, "Bytes Sent: %d\n", iResult);

  iResult = shutdown(ConnectSocket, SD_SEND);
  if (iResult == SOCKET_ERROR) {
    std::fprintf(stderr, "shutdown failed: %d\n", WSAGetLastError());
    closesocket(ConnectSocket);
    WSACleanup();
    return 1;
  }

  char recvbuf[kRecvBufLen];
  do {
    iResult = recv(ConnectSocket, recvbuf, kRecvBufLen, 0);
    if (iResult > 0) {
      std::fprintf(stderr, "Bytes received: %d\n", iResult);
      std::fwrite(recvbuf, 1, static_cast<std::size_t>(iResult), stdout);
    } else if (iResult == 0) {
      std::fprintf(stderr, "Connection closed\n");
    } else {
      std::fprintf(stderr, "recv failed: %d\n", WSAGetLastError());
    }
  } while (iResult > 0);

  closesocket(ConnectSocket);
  WSACleanup();
  return 0;  // the sample's: even after "recv failed"
}
