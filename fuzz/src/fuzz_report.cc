// The text of the fuzzing library: descriptions of records and runs, and the
// evidence of failed invariants.
//
// Theory of operation. Nothing in this file runs while an input passes: the
// fuzz targets reach it only inside SOCKCHECK_FUZZ_ASSERT's failure branch
// (or through the tools and tests that print runs). It is kept apart from
// the hot path for two reasons. Building strings costs allocations and, under
// ASan, a lot of them; and with libFuzzer every instrumented edge and
// comparison in the binary is feedback the fuzzer bookkeeps, which this code
// would only add noise to. So fuzz/CMakeLists.txt compiles this file without
// coverage instrumentation (-fno-sanitize-coverage=..., clang only); the
// sanitizers stay on.
#include <algorithm>
#include <string>
#include <string_view>

#include "sockcheck/escape.h"
#include "sockcheck/fuzzed_transport.h"
#include "sockcheck/receive_path.h"

namespace sockcheck {

namespace {

// Bytes as a C-like string literal (escape.h), cut after `limit` bytes,
// with tab and NUL as \x09 and \x00 as these descriptions have always
// written them.
std::string escape(std::string_view bytes, std::size_t limit) {
  std::string out = escaped_literal(bytes.substr(0, limit), std::string_view::npos,
                                    {.tab = false, .nul = false});
  if (bytes.size() > limit) {
    out += " ... (" + std::to_string(bytes.size()) + " bytes)";
  }
  return out;
}

std::string describe_error(const std::error_code& ec) {
  return ec ? error_name(ec) : std::string("ok");
}

std::string error_text(const std::error_code& ec) {
  return ec ? error_name(ec) : std::string("none");
}

std::string milliseconds_text(Duration d) {
  return std::to_string(
             std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) +
         "ms";
}

std::string describe_entry(const TraceEntry& e) {
  const std::error_code ec = e.error_code();
  std::string s = "#" + std::to_string(e.index) + " " +
                  std::string(to_string(e.call));
  switch (e.call) {
    case SeamCall::send:
      s += "(" + std::to_string(e.offered) + ") -> ";
      s += ec ? describe_error(ec) : std::to_string(e.bytes);
      break;
    case SeamCall::recv:
      s += "(" + std::to_string(e.offered) + ") -> ";
      s += ec ? describe_error(ec)
              : (e.has(TraceEntry::kEof) ? std::string("0 (EOF)")
                                         : std::to_string(e.bytes));
      break;
    case SeamCall::wait: {
      const bool r = e.has(TraceEntry::kReadable);
      const bool w = e.has(TraceEntry::kWritable);
      s += " -> ";
      s += ec ? describe_error(ec)
              : (r || w ? std::string(r ? "readable " : "") +
                              (w ? "writable" : "")
                        : std::string("timed out"));
      break;
    }
    default:
      s += " -> " + describe_error(ec);
      break;
  }
  s += e.has(TraceEntry::kFromInput) ? "" : " [no input read]";
  s += " @" + milliseconds_text(Duration(e.clock));
  return s;
}

}  // namespace

std::string_view to_string(SeamCall call) noexcept {
  switch (call) {
    case SeamCall::now: return "now";
    case SeamCall::connect: return "connect";
    case SeamCall::send: return "send";
    case SeamCall::recv: return "recv";
    case SeamCall::shutdown: return "shutdown";
    case SeamCall::close: return "close";
    case SeamCall::wait: return "wait";
  }
  return "?";
}

std::string FuzzedRecord::describe() const {
  std::string out;
  auto line = [&out](const std::string& s) { out += "  " + s + "\n"; };
  line("calls: " + std::to_string(calls) + ", input consumed: " +
       std::to_string(input_consumed) +
       (input_exhausted ? " (exhausted)" : ""));
  line("shutdown calls: " + std::to_string(shutdown_calls) +
       " (after success: " + std::to_string(shutdowns_after_success) +
       "), close calls: " + std::to_string(close_calls) +
       ", calls after close: " + std::to_string(calls_after_close) +
       ", sends after shutdown: " + std::to_string(sends_after_shutdown) +
       ", empty recv buffers: " + std::to_string(empty_recv_buffers));
  line("first fatal error: " +
       (first_fatal_call != 0
            ? describe_error(first_fatal_error) + " from " +
                  std::string(to_string(first_fatal_op)) + " at call " +
                  std::to_string(first_fatal_call)
            : std::string("none")) +
       "; EOF at call " + std::to_string(eof_call) +
       "; shutdown ok at call " + std::to_string(shutdown_ok_call) +
       "; deadline seen at call " + std::to_string(deadline_call) +
       " (0 = never)");
  line("given to the client (" + std::to_string(given.size()) +
       " bytes): " + escape(given, 160));
  line("accepted from the client (" + std::to_string(accepted.size()) +
       " bytes): " + escape(accepted, 160));
  const std::size_t shown = std::min(calls, kTraceSize);
  line(shown < calls ? "last " + std::to_string(shown) + " of " +
                           std::to_string(calls) + " calls:"
                     : std::string("calls:"));
  for (std::size_t i = calls - shown + 1; i <= calls; ++i) {
    const TraceEntry& e = trace[i % kTraceSize];
    // A call that ended in an abort (the one past the cap) left no entry.
    if (e.index != static_cast<std::uint32_t>(i)) continue;
    line("  " + describe_entry(e));
  }
  return out;
}

std::string describe_unbounded(const FuzzedRecord& record,
                               std::size_t max_calls, std::size_t index,
                               SeamCall call) {
  return "  the client made more than " + std::to_string(max_calls) +
         " calls through the seam (the bound for this input); it is "
         "spinning. Call #" +
         std::to_string(index) + " was " + std::string(to_string(call)) +
         ".\n" + record.describe();
}

std::string describe(const ReceivePathRun& run) {
  const ClientResult& res = run.result;
  std::string out;
  out += "  input: " + std::to_string(run.input_size) +
         " bytes; recv buffer " + std::to_string(run.setup.recv_buffer_size) +
         ", request " + std::to_string(run.setup.request.size()) +
         " bytes, timeout " + milliseconds_text(run.setup.timeout) +
         ", keep_response " + (run.setup.keep_response ? "yes" : "no") + "\n";
  out += "  client result: outcome " + std::string(to_string(res.outcome)) +
         ", error " + error_text(res.error) + " from " +
         std::string(to_string(res.failed_operation)) + ", bytes_sent " +
         std::to_string(res.bytes_sent) + ", bytes_received " +
         std::to_string(res.bytes_received) + ", half_closed " +
         (res.half_closed ? "yes" : "no") + ", saw_end_of_stream " +
         (res.saw_end_of_stream ? "yes" : "no") + ", response " +
         std::to_string(res.response.size()) + " bytes\n";
  out += "  observer: " + std::to_string(run.observed_size) +
         " bytes delivered, " +
         (run.observed_mismatch_at == ReceivePathRun::kNoMismatch
              ? std::string("each the byte recv gave at its position")
              : "the first that is not what recv gave is at offset " +
                    std::to_string(run.observed_mismatch_at)) +
         "; end of stream reported " +
         std::to_string(run.observer_end_of_stream) + " time(s)\n";
  const std::optional<ExpectedEnd> e = expected_end(run.record);
  std::string expected = "no terminal event happened";
  if (e) {
    expected = std::string(to_string(e->outcome)) + " (" + std::string(e->why);
    if (e->outcome == Outcome::reset || e->outcome == Outcome::error) {
      expected += ": " + std::string(to_string(run.record.first_fatal_op)) +
                  " failed with " + error_text(e->error) +
                  (e->reset_or_error ? ", reset or error" : "");
    }
    expected += ", call " + std::to_string(e->call) + ")";
  }
  out += "  expected: " + expected + "\n";
  out += run.record.describe();
  return out;
}

}  // namespace sockcheck
