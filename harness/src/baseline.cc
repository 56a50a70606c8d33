// Baseline files: parse, write, compare with a run, and the exit decision
// that levels, --strict and a baseline make together (baseline.h).
#include "sockcheck/baseline.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>

namespace sockcheck {
namespace {

std::optional<Rule> rule_named(std::string_view name) {
  for (Rule r : kAllRules) {
    if (to_string(r) == name) return r;
  }
  return std::nullopt;
}

std::optional<Level> level_named(std::string_view name) {
  if (name == "MUST" || name == "must") return Level::must;
  if (name == "SHOULD" || name == "should") return Level::should;
  return std::nullopt;
}

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-';
}

struct Field {
  std::string_view text;
  std::size_t column = 0;  // 1-based
};

std::vector<Field> fields_of(std::string_view line) {
  std::vector<Field> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) out.push_back({line.substr(start, i - start), start + 1});
  }
  return out;
}

using Key = std::pair<std::string, Rule>;

Key key_of(const BaselineEntry& e) { return {e.scenario, e.rule}; }

std::string entry_line(const BaselineEntry& e) {
  return e.scenario + " " + std::string(to_string(e.rule)) + " " +
         std::string(to_string(e.level)) + (e.sometimes ? " sometimes" : "");
}

}  // namespace

BaselineParse parse_baseline(std::string_view text, std::string_view path) {
  BaselineParse out;
  std::map<Key, int> seen;
  int number = 0;
  std::size_t at = 0;
  while (at <= text.size()) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto error = [&](std::size_t column, const std::string& message) {
      out.errors.push_back(std::string(path) + ":" + std::to_string(number) + ":" +
                           std::to_string(column) + ": " + message);
    };
    const std::vector<Field> f = fields_of(line);
    if (f.empty() || f.front().text.front() == '#') {
      if (end == text.size()) break;
      continue;
    }
    const bool sometimes = f.size() == 4 && f[3].text == "sometimes";
    if (f.size() == 4 && !sometimes) {
      error(f[3].column, "unexpected '" + std::string(f[3].text) +
                             "' (the only word allowed after the level is 'sometimes')");
    } else if (f.size() != 3 && !sometimes) {
      error(f.front().column, "expected 'SCENARIO RULE LEVEL [sometimes]', got " +
                                  std::to_string(f.size()) +
                                  (f.size() == 1 ? " field" : " fields"));
    } else if (!std::all_of(f[0].text.begin(), f[0].text.end(), name_char) ||
               f[0].text.size() > 128) {
      error(f[0].column, "'" + std::string(f[0].text) +
                             "' is not a scenario name (letters, digits, '.', '_', '-')");
    } else if (const auto rule = rule_named(f[1].text); !rule) {
      std::string names;
      for (Rule r : kAllRules) names += (names.empty() ? "" : ", ") + std::string(to_string(r));
      error(f[1].column, "unknown rule '" + std::string(f[1].text) + "' (expected " + names + ")");
    } else if (const auto level = level_named(f[2].text); !level) {
      error(f[2].column, "unknown level '" + std::string(f[2].text) + "' (expected MUST or SHOULD)");
    } else {
      BaselineEntry e{std::string(f[0].text), *rule, *level, sometimes, number};
      const auto [it, fresh] = seen.emplace(key_of(e), number);
      if (!fresh) {
        error(f[0].column, "'" + std::string(f[0].text) + " " + std::string(f[1].text) +
                               "' is listed twice (first on line " +
                               std::to_string(it->second) + ")");
      } else {
        out.entries.push_back(std::move(e));
      }
    }
    if (end == text.size()) break;
  }
  return out;
}

std::vector<BaselineEntry> baseline_entries(std::span<const RunRecord> records) {
  std::map<Key, std::pair<BaselineEntry, std::size_t>> found;  // entry, runs violated
  std::map<std::string, std::size_t> runs;                    // scenario: runs judged
  for (const RunRecord& r : records) {
    if (!r.error.empty()) continue;
    ++runs[r.scenario];
    for (const RuleResult* v : r.violations()) {
      BaselineEntry e{r.scenario, v->rule, r.level, false, 0};
      ++found.try_emplace(key_of(e), e, std::size_t{0}).first->second.second;
    }
  }
  std::vector<BaselineEntry> out;
  out.reserve(found.size());
  for (auto& [key, value] : found) {
    value.first.sometimes = value.second < runs[key.first];
    out.push_back(std::move(value.first));
  }
  return out;
}

std::string baseline_text(std::span<const BaselineEntry> entries, std::string_view origin) {
  std::string out =
      "# sockcheck baseline: the violations this client is known to have, one per line\n"
      "# (SCENARIO RULE LEVEL [sometimes]). `sockcheck run --baseline FILE` fails on\n"
      "# any other; `sometimes`: violated in some runs only (a race in the client).\n";
  if (!origin.empty()) out += "# written by: " + std::string(origin) + "\n";
  if (entries.empty()) out += "# (none: every scenario kept every rule)\n";
  for (const BaselineEntry& e : entries) out += entry_line(e) + "\n";
  return out;
}

BaselineComparison compare_with_baseline(std::span<const RunRecord> records,
                                         std::span<const BaselineEntry> baseline) {
  BaselineComparison c;
  std::set<Key> known;
  for (const BaselineEntry& e : baseline) known.insert(key_of(e));
  std::set<std::string> ran;
  for (const RunRecord& r : records) ran.insert(r.scenario);
  const std::vector<BaselineEntry> now = baseline_entries(records);
  std::set<Key> violated;
  for (const BaselineEntry& e : now) {
    violated.insert(key_of(e));
    (known.count(key_of(e)) > 0 ? c.known : c.fresh).push_back(e);
  }
  for (const BaselineEntry& e : baseline) {
    if (ran.count(e.scenario) == 0) {
      ++c.not_run;
    } else if (violated.count(key_of(e)) == 0) {
      if (e.sometimes) {
        ++c.sometimes_kept;
      } else {
        c.fixed.push_back(e);
      }
    }
  }
  return c;
}

bool run_fails(std::span<const RunRecord> records, const Gate& gate,
               std::vector<std::string>* why) {
  bool fails = false;
  auto because = [&](std::string text) {
    fails = true;
    if (why) why->push_back("fails the run: " + std::move(text));
  };
  std::size_t errors = 0;
  for (const RunRecord& r : records) errors += r.error.empty() ? 0U : 1U;
  if (errors > 0) {
    because(std::to_string(errors) + (errors == 1 ? " run" : " runs") +
            " could not be carried out");
  }
  std::set<Key> known;
  if (gate.baseline) {
    for (const BaselineEntry& e : gate.baseline->known) known.insert(key_of(e));
  }
  std::size_t must = 0;
  std::size_t should = 0;
  std::size_t should_ignored = 0;
  for (const BaselineEntry& e : baseline_entries(records)) {
    if (known.count(key_of(e)) > 0) continue;
    if (e.level == Level::must) {
      ++must;
    } else if (gate.strict) {
      ++should;
    } else {
      ++should_ignored;
    }
  }
  const std::string unknown = gate.baseline ? " not in the baseline" : "";
  if (must > 0) {
    because(std::to_string(must) + " MUST violation" + (must == 1 ? "" : "s") + unknown);
  }
  if (should > 0) {
    because(std::to_string(should) + " SHOULD violation" + (should == 1 ? "" : "s") + unknown +
            " (--strict)");
  }
  if (should_ignored > 0 && why) {
    why->push_back("does not fail the run: " + std::to_string(should_ignored) +
                   " SHOULD violation" + (should_ignored == 1 ? "" : "s") + unknown +
                   " (--strict fails on SHOULD)");
  }
  if (gate.strict && gate.baseline && !gate.baseline->fixed.empty()) {
    const std::size_t n = gate.baseline->fixed.size();
    because(std::to_string(n) +
            (n == 1 ? " baseline entry now passes (--strict: remove it"
                    : " baseline entries now pass (--strict: remove them") +
            " from the baseline)");
  }
  return fails;
}

std::string baseline_report(const BaselineComparison& c, std::string_view path, bool strict) {
  std::string out = "baseline " + std::string(path) + ": " + std::to_string(c.known.size()) +
                    " known, " + std::to_string(c.fresh.size()) + " new, " +
                    std::to_string(c.fixed.size()) + " now pass";
  if (c.sometimes_kept > 0) {
    out += ", " + std::to_string(c.sometimes_kept) + " 'sometimes' not seen this time";
  }
  if (c.not_run > 0) out += ", " + std::to_string(c.not_run) + " for scenarios not run";
  out += "\n";
  for (const BaselineEntry& e : c.fresh) out += "  new:       " + entry_line(e) + "\n";
  for (const BaselineEntry& e : c.fixed) {
    out += "  now pass:  " + entry_line(e) + " (line " + std::to_string(e.line) + ")" +
           (strict ? "" : "; remove it, or --strict fails on it") + "\n";
  }
  return out;
}

}  // namespace sockcheck
