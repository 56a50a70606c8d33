// The encoder of fuzzed-backend inputs: writes, answer by answer, the bytes
// that make FuzzedTransport (fuzzed_transport.h) give those answers.
//
// Theory of operation. The fuzzed backend reads one answer per call, in the
// order the client calls, so a script is the list of answers in call order:
// for the reference client with a non-empty request that is, per turn of its
// loop, a send answer, a recv answer, and a wait answer when both were
// blocked; shutdown right after the send that completes the request; close
// last. Clock reads take no input. Answers that take no input (a sticky
// error, a sticky EOF, an EAGAIN not yet cleared by a wait) are not written.
//
// Seeds (tools/receive_path_seeds.cc) and hand-made test inputs are written
// with it, so they keep decoding as intended when the encoding changes: the
// seed check in ctest regenerates the committed seeds and compares.
//
// Every method throws std::invalid_argument when asked for an answer the
// encoding cannot express (a chunk longer than 256 bytes, an error that is
// not in the call's table, ...): the encoder is for tools and tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <system_error>
#include <vector>

#include "sockcheck/io.h"

namespace sockcheck {

class FuzzScript {
 public:
  // An empty script (no header), for inputs of the bare transport.
  FuzzScript() = default;

  // A script for receive_path.h, starting with its header: the client's recv
  // buffer (1..256), request size (0..255), timeout (10ms..2560ms in steps of
  // 10ms) and whether it keeps the response.
  static FuzzScript receive_path(std::size_t recv_buffer_size,
                                 std::size_t request_size,
                                 Duration timeout = std::chrono::milliseconds(2560),
                                 bool keep_response = true);

  // recv answers.
  FuzzScript& recv_data(std::string_view bytes);  // 1..256 bytes, one recv
  FuzzScript& recv_fill(std::string_view bytes);  // exactly the buffer's size
  FuzzScript& recv_eof();
  FuzzScript& recv_eintr();
  FuzzScript& recv_eagain();
  FuzzScript& recv_reset();
  FuzzScript& recv_error(std::errc e);  // one of kRecvErrors

  // send answers. send_partial(n) accepts n of the `offered` bytes the call
  // will offer (1 <= n < offered).
  FuzzScript& send_all();
  FuzzScript& send_partial(std::size_t n, std::size_t offered);
  FuzzScript& send_eintr();
  FuzzScript& send_eagain();
  FuzzScript& send_error(std::errc e);  // one of kSendErrors

  FuzzScript& shutdown_ok();
  FuzzScript& shutdown_eintr();
  FuzzScript& shutdown_error(std::errc e);  // one of kShutdownErrors

  FuzzScript& close_ok();
  FuzzScript& close_error(std::errc e);  // one of kCloseErrors

  // wait answers; `advance` moves the clock (0..255ms, whole milliseconds).
  FuzzScript& wait_ready(Duration advance = {});
  FuzzScript& wait_readable(Duration advance = {});
  FuzzScript& wait_writable(Duration advance = {});
  FuzzScript& wait_timeout();
  FuzzScript& wait_eintr(Duration advance = {});
  FuzzScript& wait_error(std::errc e, Duration advance = {});  // kWaitErrors

  FuzzScript& connect_ok();
  FuzzScript& connect_refused();

  // Raw bytes, for what the helpers do not cover.
  FuzzScript& raw(std::string_view bytes);

  [[nodiscard]] const std::vector<std::uint8_t>& bytes() const noexcept {
    return bytes_;
  }

 private:
  FuzzScript& wait_answer(std::uint8_t op, Duration advance);
  void put(std::uint8_t b) { bytes_.push_back(b); }

  std::vector<std::uint8_t> bytes_;
};

}  // namespace sockcheck
