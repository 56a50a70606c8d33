// receive_path_tool: the seeds and the explanation of receive-path inputs.
//
//   receive_path_tool write-seeds DIR   writes DIR/seed-<name> for every seed
//                                       of receive_path_seeds.h
//   receive_path_tool check-seeds DIR   exits 1 unless DIR's seed-* files are
//                                       exactly those seeds (a ctest runs it)
//   receive_path_tool explain FILE...   runs the reference client on each
//                                       input and prints the header, the
//                                       result, the expected end and the
//                                       transcript, then checks the
//                                       invariants (aborting as the fuzz
//                                       target would)
//
// Only seed-* files are the tool's: other files in DIR (inputs libFuzzer
// added, regressions/) are left alone and not compared.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "sockcheck/receive_path.h"
#include "sockcheck/receive_path_seeds.h"

namespace {

namespace fs = std::filesystem;

std::vector<std::uint8_t> read_file(const fs::path& p, bool& ok) {
  std::ifstream in(p, std::ios::binary);
  ok = static_cast<bool>(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int write_seeds(const fs::path& dir) {
  fs::create_directories(dir);
  for (const auto& seed : sockcheck::receive_path_seeds()) {
    const fs::path p = dir / ("seed-" + seed.name);
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(seed.bytes.data()),
              static_cast<std::streamsize>(seed.bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", p.string().c_str());
      return 1;
    }
    std::printf("wrote %s (%zu bytes): %s\n", p.string().c_str(),
                seed.bytes.size(), seed.description.c_str());
  }
  return 0;
}

int check_seeds(const fs::path& dir) {
  int bad = 0;
  std::set<std::string> expected;
  for (const auto& seed : sockcheck::receive_path_seeds()) {
    const std::string name = "seed-" + seed.name;
    expected.insert(name);
    bool ok = false;
    const auto bytes = read_file(dir / name, ok);
    if (!ok) {
      std::fprintf(stderr, "missing: %s\n", (dir / name).string().c_str());
      ++bad;
    } else if (bytes != seed.bytes) {
      std::fprintf(stderr, "stale: %s\n", (dir / name).string().c_str());
      ++bad;
    }
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("seed-", 0) == 0 && !expected.count(name)) {
      std::fprintf(stderr, "not a seed any more: %s\n",
                   entry.path().string().c_str());
      ++bad;
    }
  }
  if (ec) {
    std::fprintf(stderr, "cannot list %s: %s\n", dir.string().c_str(),
                 ec.message().c_str());
    ++bad;
  }
  if (bad != 0) {
    std::fprintf(stderr,
                 "%d seed file(s) differ from receive_path_seeds.cc; "
                 "regenerate with: receive_path_tool write-seeds %s\n",
                 bad, dir.string().c_str());
    return 1;
  }
  std::printf("%zu seeds up to date in %s\n", expected.size(),
              dir.string().c_str());
  return 0;
}

int explain(const fs::path& file) {
  bool ok = false;
  const auto bytes = read_file(file, ok);
  if (!ok) {
    std::fprintf(stderr, "cannot read %s\n", file.string().c_str());
    return 1;
  }
  const sockcheck::ReceivePathRun run =
      sockcheck::run_receive_path(bytes, sockcheck::reference_exchange());
  std::printf("%s:\n%s", file.string().c_str(),
              sockcheck::describe(run).c_str());
  std::fflush(stdout);
  sockcheck::check_receive_path_run(run);
  std::printf("  every invariant holds\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string usage =
      "usage: receive_path_tool write-seeds DIR | check-seeds DIR | "
      "explain FILE...\n";
  if (argc < 3) {
    std::fputs(usage.c_str(), stderr);
    return 2;
  }
  const std::string command = argv[1];
  if (command == "write-seeds" && argc == 3) return write_seeds(argv[2]);
  if (command == "check-seeds" && argc == 3) return check_seeds(argv[2]);
  if (command == "explain") {
    int status = 0;
    for (int i = 2; i < argc; ++i) status |= explain(argv[i]);
    return status;
  }
  std::fputs(usage.c_str(), stderr);
  return 2;
}
