// Expansion of DataSpec into bytes. See scenario.h.
#include <algorithm>

#include "sockcheck/scenario.h"

namespace sockcheck {
namespace {

// splitmix64: tiny, well mixed, and defined bit for bit, so `random N seed S`
// means the same bytes everywhere.
std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::string_view to_string(Step::Kind kind) noexcept {
  switch (kind) {
    case Step::Kind::accept: return "accept";
    case Step::Kind::refuse: return "refuse";
    case Step::Kind::read: return "read";
    case Step::Kind::read_until_fin: return "read until-fin";
    case Step::Kind::recv_buffer: return "recv-buffer";
    case Step::Kind::write: return "write";
    case Step::Kind::sleep: return "sleep";
    case Step::Kind::half_close: return "half-close";
    case Step::Kind::close: return "close";
    case Step::Kind::reset: return "reset";
    case Step::Kind::hang: return "hang";
  }
  return "unknown";
}

std::uint64_t data_size(const DataSpec& data, std::uint64_t request_size) {
  switch (data.kind) {
    case DataSpec::Kind::literal:
    case DataSpec::Kind::hex: return data.text.size();
    case DataSpec::Kind::repeat: return data.text.empty() ? 0 : data.size;
    case DataSpec::Kind::random: return data.size;
    case DataSpec::Kind::request: return request_size;
  }
  return 0;
}

std::string materialize(const DataSpec& data, const std::string& request) {
  switch (data.kind) {
    case DataSpec::Kind::literal:
    case DataSpec::Kind::hex: return data.text;
    case DataSpec::Kind::request: return request;
    case DataSpec::Kind::repeat: {
      std::string out;
      if (data.text.empty()) return out;
      const auto size = static_cast<std::size_t>(data.size);
      out.reserve(size);
      out.append(data.text, 0, std::min(size, data.text.size()));
      // Doubling: O(log n) appends even for a one-byte pattern.
      while (out.size() < size) {
        out.append(out, 0, std::min(out.size(), size - out.size()));
      }
      return out;
    }
    case DataSpec::Kind::random: {
      std::string out(static_cast<std::size_t>(data.size), '\0');
      std::uint64_t state = data.seed;
      for (std::size_t i = 0; i < out.size(); i += 8) {
        std::uint64_t word = splitmix64(state);
        for (std::size_t j = i; j < std::min(out.size(), i + 8); ++j) {
          out[j] = static_cast<char>(word & 0xff);
          word >>= 8;
        }
      }
      return out;
    }
  }
  return {};
}

}  // namespace sockcheck
