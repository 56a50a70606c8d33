// Message helpers of the scenario parser; see scenario_messages.h. Each is
// bounded whatever the input: quoted text is cut to kMaxQuoted characters,
// an excerpt of a line to kExcerptColumns, and the edit distance is only
// computed for short words. Source text is escaped by escape_bytes (the
// project's one escaper) with kSourceText.
#include "scenario_messages.h"

#include <algorithm>
#include <cstddef>
#include <vector>

#include "sockcheck/escape.h"
#include "sockcheck/scenario_parser.h"

namespace sockcheck::scenario_parsing {

namespace {

constexpr std::size_t kMaxQuoted = 40;  // characters of source text in a message
// The widest excerpt of a line, in columns of escaped text ("..." aside),
// and how many of them go before the caret when the line is longer.
constexpr std::size_t kExcerptColumns = kMaxLineText - 6;
constexpr std::size_t kExcerptBefore = 80;

std::string shown(std::string_view text) {
  return escape_bytes(text, std::string_view::npos, kSourceText);
}

// Columns byte `c` takes once escaped: 1, or 4 for \xHH.
std::size_t width(char c) { return shown(std::string_view(&c, 1)).size(); }

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
  const std::size_t n = std::min(text.size(), kMaxQuoted);
  return "'" + shown(text.substr(0, n)) + (text.size() > n ? "...'" : "'");
}

Excerpt excerpt(std::string_view line, int column) {
  const std::size_t at =
      std::min(line.size(), static_cast<std::size_t>(std::max(column, 1) - 1));
  // Up to kExcerptBefore columns before the error, then as many after it as
  // fit, then whatever room is left goes before it again.
  std::size_t used = 0;
  std::size_t from = at;
  while (from > 0 && used + width(line[from - 1]) <= kExcerptBefore) {
    used += width(line[--from]);
  }
  std::size_t to = at;
  while (to < line.size() && used + width(line[to]) <= kExcerptColumns) {
    used += width(line[to++]);
  }
  while (from > 0 && used + width(line[from - 1]) <= kExcerptColumns) {
    used += width(line[--from]);
  }
  Excerpt e;
  e.text = (from > 0 ? "..." : "") + shown(line.substr(from, at - from));
  e.caret = e.text.size();
  e.text += shown(line.substr(at, to - at));
  if (to < line.size()) e.text += "...";
  return e;
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
