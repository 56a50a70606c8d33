// fault_schedule_tool: the fault_schedule target's seeds, and reading its
// inputs.
//
//   fault_schedule_tool encode SCN_OR_DIR... -o DIR
//       writes DIR/seed-<scenario name> for every scenario the format can
//       express (expectations and the description are dropped: the oracle
//       derives what is expected) and says why each other one is skipped
//   fault_schedule_tool decode FILE...
//       prints the scenario each input decodes to (as `sockcheck
//       fuzz-scenario` does, without the header)
//   fault_schedule_tool check-seeds SCN_DIR SEED_DIR
//       exits 1 unless SEED_DIR's seed-* files are exactly the encodings of
//       SCN_DIR's encodable scenarios (a ctest runs it)
//
// Only seed-* files are the tool's; libFuzzer's additions and regressions/
// are left alone.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sockcheck/fault_schedule.h"
#include "sockcheck/scenario_parser.h"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

bool read_file(const fs::path& p, Bytes& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

std::vector<fs::path> scenario_files(const std::vector<fs::path>& args) {
  std::vector<fs::path> out;
  for (const fs::path& a : args) {
    std::error_code ec;
    if (fs::is_directory(a, ec)) {
      std::vector<fs::path> in_dir;
      for (const auto& e : fs::directory_iterator(a, ec)) {
        if (e.path().extension() == ".scn") in_dir.push_back(e.path());
      }
      std::sort(in_dir.begin(), in_dir.end());
      out.insert(out.end(), in_dir.begin(), in_dir.end());
    } else {
      out.push_back(a);
    }
  }
  return out;
}

// name -> encoding of every encodable scenario; 2 on a parse error.
int encode_all(const std::vector<fs::path>& inputs, std::map<std::string, Bytes>& out,
               bool verbose) {
  for (const fs::path& p : scenario_files(inputs)) {
    const sockcheck::ParseResult r = sockcheck::load_scenario_file(p);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.error->to_string().c_str());
      return 2;
    }
    const sockcheck::FaultScheduleEncoding e =
        sockcheck::encode_fault_schedule(*r.scenario);
    if (!e.ok()) {
      if (verbose) {
        std::printf("skipped %s: %s\n", r.scenario->name.c_str(), e.error.c_str());
      }
      continue;
    }
    out["seed-" + r.scenario->name] = e.bytes;
  }
  return 0;
}

int encode(const std::vector<fs::path>& inputs, const fs::path& dir) {
  std::map<std::string, Bytes> seeds;
  if (int rc = encode_all(inputs, seeds, true); rc != 0) return rc;
  fs::create_directories(dir);
  for (const auto& [name, bytes] : seeds) {
    std::ofstream o(dir / name, std::ios::binary | std::ios::trunc);
    o.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
    if (!o) {
      std::fprintf(stderr, "cannot write %s\n", (dir / name).string().c_str());
      return 1;
    }
    std::printf("wrote %s (%zu bytes)\n", (dir / name).string().c_str(), bytes.size());
  }
  return 0;
}

int check_seeds(const fs::path& scenarios, const fs::path& dir) {
  std::map<std::string, Bytes> seeds;
  if (int rc = encode_all({scenarios}, seeds, false); rc != 0) return rc;
  int bad = 0;
  for (const auto& [name, bytes] : seeds) {
    Bytes have;
    if (!read_file(dir / name, have) || have != bytes) {
      std::fprintf(stderr, "missing or different: %s\n", (dir / name).string().c_str());
      ++bad;
    }
  }
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("seed-", 0) == 0 && seeds.count(name) == 0) {
      std::fprintf(stderr, "stale: %s\n", e.path().string().c_str());
      ++bad;
    }
  }
  if (bad != 0) {
    std::fprintf(stderr,
                 "%d seed(s) out of date: run fault_schedule_tool encode "
                 "corpora/scenarios -o corpora/fault_schedule (and delete stale ones)\n",
                 bad);
    return 1;
  }
  std::printf("%zu seeds match\n", seeds.size());
  return 0;
}

int decode(const std::vector<fs::path>& files) {
  for (const fs::path& p : files) {
    Bytes b;
    if (!read_file(p, b)) {
      std::fprintf(stderr, "cannot read %s\n", p.string().c_str());
      return 2;
    }
    std::printf("# %s (%zu bytes)\n%s", p.string().c_str(), b.size(),
                sockcheck::print_scenario(sockcheck::decode_fault_schedule(b)).c_str());
  }
  return 0;
}

int usage() {
  std::fprintf(stderr,
               "usage: fault_schedule_tool encode SCN_OR_DIR... -o DIR\n"
               "       fault_schedule_tool decode FILE...\n"
               "       fault_schedule_tool check-seeds SCN_DIR SEED_DIR\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) return usage();
  const std::string_view cmd = args[0];
  if (cmd == "encode") {
    std::vector<fs::path> inputs;
    fs::path out;
    for (std::size_t i = 1; i < args.size(); ++i) {
      if (args[i] == "-o" && i + 1 < args.size()) {
        out = args[++i];
      } else {
        inputs.emplace_back(args[i]);
      }
    }
    if (inputs.empty() || out.empty()) return usage();
    return encode(inputs, out);
  }
  if (cmd == "decode" && args.size() >= 2) {
    return decode({args.begin() + 1, args.end()});
  }
  if (cmd == "check-seeds" && args.size() == 3) {
    return check_seeds(args[1], args[2]);
  }
  return usage();
}
