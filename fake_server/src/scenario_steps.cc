// The steps of a connection's script: where each may stand (check
// placement), its arguments and its options. See scenario_statements.h.
//
// Placement is checked at the step's keyword, before its arguments, by the
// plan's Placement rules (script_plan.h), so a step out of place is
// reported at its keyword whatever follows it.
#include "scenario_statements.h"

#include <string>
#include <utility>

namespace sockcheck::scenario_parsing {

bool Parser::check_placement(const Token& k, Step::Kind kind) {
  if (mode_ == Mode::none) {
    mode_ = Mode::headerless;
    ConnectionScript script;
    script.where = {line_no(), k.column};
    s_.scripts.push_back(std::move(script));
  }
  // The rules themselves are the plan's (script_plan.h), shared with the
  // fault-schedule decoder and every executor.
  if (auto error = script_.error(kind, k.raw)) return fail(k.column, *error);
  return true;
}

bool Parser::parse_step(const Token& k, Step::Kind kind) {
  if (!check_placement(k, kind)) return false;
  Step step;
  step.kind = kind;
  step.where = {line_no(), k.column};
  bool ok = true;
  switch (kind) {
    case Step::Kind::accept: ok = step_options(k, step, false, true); break;
    case Step::Kind::read: {
      const Token* p = peek();
      if (p == nullptr) return false;
      if (p->is_word("until-fin")) {
        Token skip;
        next(skip);
        step.kind = Step::Kind::read_until_fin;
      } else if (p->kind != Token::Kind::word) {
        return fail(p->column,
                    "expected a byte count or until-fin after 'read', found " +
                        p->shown());
      } else if (!size_value("a byte count after 'read'", "read", step.count)) {
        return false;
      }
      ok = step_options(k, step, true, false);
      break;
    }
    case Step::Kind::recv_buffer:
      ok = size_value("a size after 'recv-buffer'", "recv-buffer", step.count) &&
           expect_end();
      break;
    case Step::Kind::write:
      ok = data_value("'write'", true, step.data) &&
           step_options(k, step, true, false);
      break;
    case Step::Kind::sleep:
      ok = duration_value("a duration after 'sleep'", step.delay, true) &&
           expect_end();
      break;
    default: ok = expect_end(); break;
  }
  if (!ok) return false;
  script_.place(kind, k.raw);
  s_.scripts.back().steps.push_back(std::move(step));
  return true;
}

bool Parser::step_options(const Token& k, Step& step, bool pieces,
                          bool after) {
  bool seen_chunk = false;
  bool seen_gap = false;
  bool seen_after = false;
  int gap_column = 0;
  const std::string kw(k.raw);
  for (;;) {
    Token t;
    if (!next(t)) return false;
    if (t.kind == Token::Kind::end) break;
    const bool is_chunk = pieces && t.is_word("chunk");
    const bool is_gap = pieces && t.is_word("gap");
    const bool is_after = after && t.is_word("after");
    if (!is_chunk && !is_gap && !is_after) {
      const std::string expected = pieces ? "chunk or gap" : "after";
      return fail(t.column, "unknown option " + t.shown() + " for '" + kw +
                                "' (expected " + expected + ")");
    }
    bool& seen = is_chunk ? seen_chunk : is_gap ? seen_gap : seen_after;
    if (seen) return fail(t.column, "duplicate option " + t.shown());
    seen = true;
    if (is_chunk) {
      if (!size_value("a size after 'chunk'", "chunk", step.chunk)) return false;
    } else if (is_gap) {
      gap_column = t.column;
      if (!duration_value("a duration after 'gap'", step.gap, true)) return false;
    } else {
      if (!duration_value("a duration after 'after'", step.delay, true)) {
        return false;
      }
    }
  }
  // The gap is the pause between chunks. Without chunk a write is one
  // piece and a read takes whatever has arrived, so a gap would mean
  // nothing on loopback; rejecting it keeps both transports in step.
  if (seen_gap && !seen_chunk) {
    return fail(gap_column,
                "'gap' needs 'chunk' (the gap is the pause between chunks)");
  }
  return true;
}

}  // namespace sockcheck::scenario_parsing
