// The replay driver: main() for fuzz targets built without libFuzzer (gcc,
// or clang without -fsanitize=fuzzer), so that every target's corpus runs
// under ctest in every build and targets cannot rot.
//
// Usage: <target> [-flag ...] PATH...
//   Each PATH is an input file or a folder searched recursively (sorted, so
//   runs are reproducible; names starting with '.' are skipped). Arguments
//   starting with '-' are ignored, so a libFuzzer command line such as
//   `-runs=0 corpora/x` works unchanged. Each input is read into a buffer of
//   exactly its size (so ASan sees any over-read) and passed to
//   LLVMFuzzerTestOneInput; its name is printed first, so a crash names the
//   input that caused it. Exit status: 0 when every input ran, 1 when a path
//   is missing or no input was found (a replay that ran nothing is a failure,
//   not a pass). A failing input does not return: the target aborts.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size);
// Optional in a target, as with libFuzzer.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc,
                                                           char*** argv);

namespace {

namespace fs = std::filesystem;

bool hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name.front() == '.';
}

bool collect(const fs::path& root, std::vector<fs::path>& out) {
  std::error_code ec;
  if (fs::is_regular_file(root, ec)) {
    out.push_back(root);
    return true;
  }
  if (!fs::is_directory(root, ec)) {
    std::fprintf(stderr, "replay: no such file or folder: %s\n",
                 root.string().c_str());
    return false;
  }
  std::vector<fs::path> found;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (hidden(it->path())) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) found.push_back(it->path());
  }
  if (ec) {
    std::fprintf(stderr, "replay: cannot read %s: %s\n",
                 root.string().c_str(), ec.message().c_str());
    return false;
  }
  std::sort(found.begin(), found.end());
  out.insert(out.end(), found.begin(), found.end());
  return true;
}

bool run_one(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot open %s\n", file.string().c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  // A heap block of exactly the input's size: reading one byte past the end
  // is an ASan report, as under libFuzzer.
  const std::size_t size = bytes.size();
  const std::unique_ptr<std::uint8_t[]> data(new std::uint8_t[size == 0 ? 1 : size]);
  std::copy(bytes.begin(), bytes.end(), data.get());
  std::fprintf(stderr, "replay: %s (%zu bytes)\n", file.string().c_str(), size);
  std::fflush(stderr);
  LLVMFuzzerTestOneInput(data.get(), size);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<fs::path> files;
  bool ok = true;
  std::size_t paths = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.empty() || arg.front() == '-') continue;
    ++paths;
    ok = collect(arg, files) && ok;
  }
  if (paths == 0) {
    std::fprintf(stderr, "usage: %s [-flag ...] FILE_OR_FOLDER...\n", argv[0]);
    return 1;
  }
  std::size_t ran = 0;
  for (const fs::path& f : files) {
    if (run_one(f)) ++ran;
    else ok = false;
  }
  std::fprintf(stderr, "replay: %zu inputs ran from %zu paths\n", ran, paths);
  if (ran == 0) {
    std::fprintf(stderr, "replay: no input found: nothing was checked\n");
    return 1;
  }
  return ok ? 0 : 1;
}
