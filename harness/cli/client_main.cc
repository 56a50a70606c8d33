// `sockcheck-client`: `sockcheck client` as a program of its own, for
// platforms where the rest of the harness does not build (Windows). The
// arguments and the output are those of `sockcheck client`.
//
// Standard input and output are switched to binary mode on Windows: the
// request and, with --raw, the response are bytes, and a text-mode stream
// would turn every "\n" into "\r\n" on the way out (and the reverse on the
// way in), which a byte-exact judge rightly counts as a changed reply.
#include <iostream>
#include <string_view>
#include <vector>

#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#endif

#include "commands.h"

int main(int argc, char** argv) {
#if defined(_WIN32)
  _setmode(_fileno(stdin), _O_BINARY);
  _setmode(_fileno(stdout), _O_BINARY);
  _setmode(_fileno(stderr), _O_BINARY);
#endif
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  const sockcheck::cli::Streams io{std::cin, std::cout, std::cerr};
  return sockcheck::cli::client_main(args, io);
}
