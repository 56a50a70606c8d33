// The scenario language: text to Scenario. See scenario_parser.h and
// docs/scenario-language.md for the grammar.
//
// Theory of operation. The language is line-oriented, so the parser walks
// the input one line at a time and pulls tokens from that line on demand
// (word, "string", `|`, end of line). Tokens are produced lazily so the
// first error reported is the first one in reading order: a bad escape late
// in a line is not reported before a misspelt keyword at its start. Every
// function returns bool; the first failure records a ParseError and every
// caller returns at once, so nothing throws and nothing continues past an
// error.
//
// Why the parser is linear on any input: each byte is looked at a bounded
// number of times by the lexer; every check that compares a line with
// earlier lines uses bounded state (a handful of flags per script, at most
// eight injections, at most six outcomes) or an ordered map (overlapping
// connection ranges); quoted text in messages is cut to a fixed length; the
// spelling suggestion only runs on short words. The caps on inputs, sizes
// and durations (constants in scenario_lexer.h, scenario_values.cc and
// scenario_statements.cc, documented in the language reference) keep later
// materialisation bounded too.
//
// One job per file: scenario_lexer.{h,cc} reads lines and tokens and keeps
// the first error; scenario_values.{h,cc} reads durations, sizes, numbers
// and DATA; scenario_messages.{h,cc} shows source text and choices in
// messages; scenario_statements.{h,cc} parses the lines and
// scenario_steps.cc the steps of a script (class Parser); this file holds
// the public entry points.
#include <fstream>
#include <string>
#include <system_error>
#include <utility>

#include "scenario_lexer.h"
#include "scenario_statements.h"
#include "sockcheck/escape.h"
#include "sockcheck/scenario_parser.h"

namespace sockcheck {

using scenario_parsing::kMaxInput;

std::string ParseError::to_string() const {
  // The message is built from quoted (escaped) source text already; it is
  // escaped again only so that no message can ever break the promise.
  const auto safe = [](std::string_view text) {
    return escape_bytes(text, std::string_view::npos, kSourceText);
  };
  const std::string name = file.empty() ? std::string("<input>") : safe(file);
  if (where.line <= 0) return name + ": " + safe(message);
  return name + ":" + std::to_string(where.line) + ":" +
         std::to_string(where.column) + ": " + safe(message);
}

std::string ParseError::excerpt() const {
  if (line_text.empty()) return "";
  return "  " + line_text + "\n  " + std::string(caret, ' ') + "^\n";
}

ParseResult parse_scenario(std::string_view text, std::string_view file_name) {
  return scenario_parsing::Parser(text, file_name).run();
}

ParseResult load_scenario_file(const std::filesystem::path& path) {
  const auto failure = [&](std::string message) {
    ParseResult r;
    ParseError e;
    e.file = path.string();
    e.message = std::move(message);
    r.error = std::move(e);
    return r;
  };
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return failure("cannot read the file: " + ec.message());
  if (size > kMaxInput) return failure("file larger than 16MiB");
  std::ifstream in(path, std::ios::binary);
  if (!in) return failure("cannot open the file");
  std::string text(static_cast<std::size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  // The file may have changed size since file_size(); keep what was read.
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) return failure("cannot read the file");
  return parse_scenario(text, path.string());
}

}  // namespace sockcheck
