// Message helpers of the scenario parser; see scenario_messages.h. Each is
// bounded whatever the input: quoted text is cut to kMaxQuoted characters
// and the edit distance is only computed for short words.
#include "scenario_messages.h"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace sockcheck::scenario_parsing {

namespace {

constexpr std::size_t kMaxQuoted = 40;  // characters of source text in a message

// Levenshtein distance, only ever called on short words (see suggest()).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1,
                         diagonal + (a[i - 1] == b[j - 1] ? 0u : 1u)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  const std::size_t shown = std::min(text.size(), kMaxQuoted);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  if (text.size() > shown) out += "...";
  out += "'";
  return out;
}

std::string one_of(std::span<const std::string_view> names) {
  std::string out;
  std::size_t i = 0;
  for (const auto name : names) {
    if (i > 0) out += (i + 1 == names.size()) ? " or " : ", ";
    out += name;
    ++i;
  }
  return out;
}

std::optional<std::string_view> suggest(
    std::string_view word, std::span<const std::string_view> names) {
  if (word.size() < 2 || word.size() > 32) return std::nullopt;
  std::optional<std::string_view> best;
  std::size_t best_distance = 3;
  for (const auto name : names) {
    const std::size_t d = edit_distance(word, name);
    if (d < best_distance && d < name.size()) {
      best = name;
      best_distance = d;
    }
  }
  return best;
}

}  // namespace sockcheck::scenario_parsing
