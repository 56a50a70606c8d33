// The receive-path seeds. Each is one shape of exchange the fuzzer should
// start from; the comments give the reference client's loop turns
// ("turn N: send, recv[, wait]") that the answers line up with.
#include "sockcheck/receive_path_seeds.h"

#include <chrono>

#include "sockcheck/fuzz_script.h"

namespace sockcheck {

namespace {

using std::chrono::milliseconds;

constexpr std::string_view kReply =
    "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello";

ReceivePathSeed seed(std::string name, std::string description,
                     const FuzzScript& script, Outcome expected) {
  return {std::move(name), std::move(description), script.bytes(), expected};
}

}  // namespace

std::vector<ReceivePathSeed> receive_path_seeds() {
  std::vector<ReceivePathSeed> out;

  out.push_back(seed("plain-reply",
                     "request sent whole, one reply chunk, EOF",
                     FuzzScript::receive_path(64, 40)
                         .send_all()
                         .shutdown_ok()
                         .recv_data(kReply)
                         .recv_eof()
                         .close_ok(),
                     Outcome::closed));

  {
    FuzzScript s = FuzzScript::receive_path(1, 16);
    s.send_all().shutdown_ok();
    for (const char c : std::string_view("HTTP/1.0 204\r\n\r\n")) {
      s.recv_data(std::string_view(&c, 1));
    }
    s.recv_eof().close_ok();
    out.push_back(seed("one-byte-chunks",
                       "a 1-byte recv buffer: every chunk is one byte", s,
                       Outcome::closed));
  }

  out.push_back(seed("full-buffer-chunks",
                     "chunks that fill the 8-byte buffer, then a short one",
                     FuzzScript::receive_path(8, 8)
                         .send_all()
                         .shutdown_ok()
                         .recv_fill("HTTP/1.0")
                         .recv_fill(" 200 OK\r")
                         .recv_fill("\n\r\nhello")
                         .recv_data(" end.")
                         .recv_eof()
                         .close_ok(),
                     Outcome::closed));

  out.push_back(seed("reset-mid-stream", "two chunks, then ECONNRESET",
                     FuzzScript::receive_path(32, 30)
                         .send_all()
                         .shutdown_ok()
                         .recv_data("HTTP/1.0 200 OK\r\nContent-")
                         .recv_data("Length: 9")
                         .recv_reset()
                         .close_ok(),
                     Outcome::reset));

  // turn 1: short send, recv EAGAIN (no wait: the send progressed);
  // turn 2: EPIPE.
  out.push_back(seed("reset-on-send", "a short send, then EPIPE",
                     FuzzScript::receive_path(32, 100)
                         .send_partial(10, 100)
                         .recv_eagain()
                         .send_error(std::errc::broken_pipe)
                         .close_ok(),
                     Outcome::reset));

  // turns 1-2: EINTR on both; turn 3: the send completes, shutdown is
  // interrupted, recv EINTR; turn 4: the same again; turn 5: shutdown
  // succeeds; then chunks among EINTRs; close EINTR.
  out.push_back(seed("eintr-storm",
                     "EINTR from send, shutdown, recv and close",
                     FuzzScript::receive_path(16, 20)
                         .send_eintr()
                         .recv_eintr()
                         .send_eintr()
                         .recv_eintr()
                         .send_all()
                         .shutdown_eintr()
                         .recv_eintr()
                         .shutdown_eintr()
                         .recv_eintr()
                         .shutdown_ok()
                         .recv_data("HTTP/1.0 ")
                         .recv_eintr()
                         .recv_eintr()
                         .recv_eintr()
                         .recv_data("200 OK\r\n\r\n")
                         .recv_eintr()
                         .recv_eof()
                         .close_error(std::errc::interrupted),
                     Outcome::closed));

  // turn 1: 1 of 200 accepted, recv EAGAIN; turn 2: 50 of 199 (recv still
  // blocked, no input); turn 3: send EAGAIN, both blocked: wait writable;
  // turn 4: 100 of 149; turn 5: the last 49, shutdown, recv blocked: wait
  // readable; turn 6: the reply; turn 7: EOF.
  out.push_back(seed("short-sends",
                     "a 200-byte request accepted in 1, 50, 100, 49 bytes",
                     FuzzScript::receive_path(64, 200)
                         .send_partial(1, 200)
                         .recv_eagain()
                         .send_partial(50, 199)
                         .send_eagain()
                         .wait_writable(milliseconds(5))
                         .send_partial(100, 149)
                         .send_all()
                         .shutdown_ok()
                         .wait_readable(milliseconds(1))
                         .recv_data(kReply)
                         .recv_eof()
                         .close_ok(),
                     Outcome::closed));

  out.push_back(seed("eagain-and-wait",
                     "EAGAIN, a spurious wake-up, an interrupted wait",
                     FuzzScript::receive_path(128, 20)
                         .send_all()
                         .shutdown_ok()
                         .recv_eagain()
                         .wait_ready(milliseconds(3))
                         .recv_eagain()
                         .wait_eintr(milliseconds(2))
                         .wait_readable(milliseconds(1))
                         .recv_data(kReply)
                         .recv_eagain()
                         .wait_ready(milliseconds(10))
                         .recv_eof()
                         .close_ok(),
                     Outcome::closed));

  out.push_back(seed("timeout", "part of a reply, then the wait times out",
                     FuzzScript::receive_path(64, 10, milliseconds(100))
                         .send_all()
                         .shutdown_ok()
                         .recv_data("HTTP/1.0 2")
                         .recv_eagain()
                         .wait_timeout()
                         .close_ok(),
                     Outcome::timed_out));

  out.push_back(seed("late-wakeups",
                     "waits that wake up late run past a 50ms deadline",
                     FuzzScript::receive_path(64, 10, milliseconds(50))
                         .send_all()
                         .shutdown_ok()
                         .recv_eagain()
                         .wait_readable(milliseconds(30))
                         .recv_data("H")
                         .recv_eagain()
                         .wait_readable(milliseconds(30))
                         .close_ok(),
                     Outcome::timed_out));

  // turn 1: 100 of 250 accepted, the server answers early; turn 2: send
  // EAGAIN, recv EOF, a wait for writable only; turn 3: the rest, shutdown,
  // and the exchange is closed.
  out.push_back(seed("early-reply-while-sending",
                     "the server replies and closes before the request ends",
                     FuzzScript::receive_path(64, 250)
                         .send_partial(100, 250)
                         .recv_data("HTTP/1.0 413 Too Large\r\n\r\n")
                         .send_eagain()
                         .recv_eof()
                         .wait_ready(milliseconds(1))
                         .send_all()
                         .shutdown_ok()
                         .close_ok(),
                     Outcome::closed));

  out.push_back(seed("recv-error", "a chunk, then ETIMEDOUT from recv",
                     FuzzScript::receive_path(32, 10)
                         .send_all()
                         .shutdown_ok()
                         .recv_data("x")
                         .recv_error(std::errc::timed_out)
                         .close_ok(),
                     Outcome::error));

  out.push_back(seed("recv-aborted", "a chunk, then ECONNABORTED from recv",
                     FuzzScript::receive_path(32, 10)
                         .send_all()
                         .shutdown_ok()
                         .recv_data("HTTP/1.0 ")
                         .recv_error(std::errc::connection_aborted)
                         .close_ok(),
                     Outcome::reset));

  out.push_back(seed("shutdown-error", "shutdown fails with ENOBUFS",
                     FuzzScript::receive_path(32, 10)
                         .send_all()
                         .shutdown_error(std::errc::no_buffer_space)
                         .close_ok(),
                     Outcome::error));

  out.push_back(seed("wait-error", "the wait fails with ENOMEM",
                     FuzzScript::receive_path(32, 5)
                         .send_all()
                         .shutdown_ok()
                         .recv_eagain()
                         .wait_error(std::errc::not_enough_memory)
                         .close_ok(),
                     Outcome::error));

  // An empty request is half-closed before the loop starts.
  out.push_back(seed("empty-request", "nothing to send: FIN at once",
                     FuzzScript::receive_path(32, 0)
                         .shutdown_ok()
                         .recv_data("pong")
                         .recv_eof()
                         .close_ok(),
                     Outcome::closed));

  out.push_back(seed("input-ends",
                     "the input ends after one chunk: EOF by exhaustion",
                     FuzzScript::receive_path(64, 10)
                         .send_all()
                         .shutdown_ok()
                         .recv_data("HTTP/1.0 200 OK\r\n"),
                     Outcome::closed));

  out.push_back(seed("response-not-kept",
                     "keep_response off: only the observer sees the bytes",
                     FuzzScript::receive_path(16, 12, milliseconds(2560),
                                              /*keep_response=*/false)
                         .send_all()
                         .shutdown_ok()
                         .recv_fill("HTTP/1.0 200 OK\r")
                         .recv_data("\n\r\n")
                         .recv_eof()
                         .close_ok(),
                     Outcome::closed));

  return out;
}

}  // namespace sockcheck
