// The encoder. See fuzz_script.h; the tables it inverts are in
// fuzzed_transport.h, so the two cannot drift apart silently.
#include "sockcheck/fuzz_script.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "sockcheck/fuzzed_transport.h"

namespace sockcheck {

namespace {

// The canonical byte of an answer: its first index in the table.
template <typename T, std::size_t N>
std::uint8_t code_of(const std::array<T, N>& table, T answer) {
  const auto it = std::find(table.begin(), table.end(), answer);
  if (it == table.end()) throw std::invalid_argument("answer not in table");
  return static_cast<std::uint8_t>(it - table.begin());
}

template <std::size_t N>
std::uint8_t error_index(const std::array<std::errc, N>& table, std::errc e,
                         const char* what) {
  const auto it = std::find(table.begin(), table.end(), e);
  if (it == table.end()) {
    throw std::invalid_argument(std::string(what) +
                                ": error not in the table of this call");
  }
  return static_cast<std::uint8_t>(it - table.begin());
}

std::uint8_t milliseconds_byte(Duration d) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d);
  if (ms != d || ms.count() < 0 || ms.count() > 255) {
    throw std::invalid_argument("wait advance must be 0..255 whole ms");
  }
  return static_cast<std::uint8_t>(ms.count());
}

}  // namespace

FuzzScript FuzzScript::receive_path(std::size_t recv_buffer_size,
                                    std::size_t request_size, Duration timeout,
                                    bool keep_response) {
  if (recv_buffer_size < 1 || recv_buffer_size > 256) {
    throw std::invalid_argument("recv buffer size must be 1..256");
  }
  if (request_size > 255) {
    throw std::invalid_argument("request size must be 0..255");
  }
  const auto tens =
      std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
  if (std::chrono::milliseconds(tens) != timeout || tens % 10 != 0 ||
      tens < 10 || tens > 2560) {
    throw std::invalid_argument("timeout must be 10ms..2560ms in 10ms steps");
  }
  FuzzScript s;
  s.put(static_cast<std::uint8_t>(recv_buffer_size - 1));
  s.put(static_cast<std::uint8_t>(request_size));
  s.put(static_cast<std::uint8_t>(tens / 10 - 1));
  s.put(keep_response ? 0 : 1);
  return s;
}

FuzzScript& FuzzScript::recv_data(std::string_view bytes) {
  if (bytes.empty() || bytes.size() > 256) {
    throw std::invalid_argument("recv_data takes 1..256 bytes");
  }
  put(code_of(kRecvTable, RecvAnswer::data));
  put(static_cast<std::uint8_t>(bytes.size() - 1));
  return raw(bytes);
}

FuzzScript& FuzzScript::recv_fill(std::string_view bytes) {
  if (bytes.empty()) throw std::invalid_argument("recv_fill takes bytes");
  put(code_of(kRecvTable, RecvAnswer::fill));
  return raw(bytes);
}

FuzzScript& FuzzScript::recv_eof() {
  put(code_of(kRecvTable, RecvAnswer::eof));
  return *this;
}

FuzzScript& FuzzScript::recv_eintr() {
  put(code_of(kRecvTable, RecvAnswer::interrupted));
  return *this;
}

FuzzScript& FuzzScript::recv_eagain() {
  put(code_of(kRecvTable, RecvAnswer::would_block));
  return *this;
}

FuzzScript& FuzzScript::recv_reset() {
  put(code_of(kRecvTable, RecvAnswer::reset));
  return *this;
}

FuzzScript& FuzzScript::recv_error(std::errc e) {
  put(code_of(kRecvTable, RecvAnswer::error));
  put(error_index(kRecvErrors, e, "recv_error"));
  return *this;
}

FuzzScript& FuzzScript::send_all() {
  put(code_of(kSendTable, SendAnswer::all));
  return *this;
}

FuzzScript& FuzzScript::send_partial(std::size_t n, std::size_t offered) {
  if (offered < 2 || n < 1 || n >= offered || n > 256) {
    throw std::invalid_argument("send_partial needs 1 <= n < offered");
  }
  put(code_of(kSendTable, SendAnswer::partial));
  // The decoder accepts 1 + K % (offered - 1); K = n - 1 < offered - 1.
  put(static_cast<std::uint8_t>(n - 1));
  return *this;
}

FuzzScript& FuzzScript::send_eintr() {
  put(code_of(kSendTable, SendAnswer::interrupted));
  return *this;
}

FuzzScript& FuzzScript::send_eagain() {
  put(code_of(kSendTable, SendAnswer::would_block));
  return *this;
}

FuzzScript& FuzzScript::send_error(std::errc e) {
  put(code_of(kSendTable, SendAnswer::error));
  put(error_index(kSendErrors, e, "send_error"));
  return *this;
}

FuzzScript& FuzzScript::shutdown_ok() {
  put(code_of(kShutdownTable, ShutdownAnswer::ok));
  return *this;
}

FuzzScript& FuzzScript::shutdown_eintr() {
  put(code_of(kShutdownTable, ShutdownAnswer::interrupted));
  return *this;
}

FuzzScript& FuzzScript::shutdown_error(std::errc e) {
  put(code_of(kShutdownTable, ShutdownAnswer::error));
  put(error_index(kShutdownErrors, e, "shutdown_error"));
  return *this;
}

FuzzScript& FuzzScript::close_ok() {
  put(code_of(kCloseTable, CloseAnswer::ok));
  return *this;
}

FuzzScript& FuzzScript::close_error(std::errc e) {
  put(code_of(kCloseTable, CloseAnswer::error));
  put(error_index(kCloseErrors, e, "close_error"));
  return *this;
}

FuzzScript& FuzzScript::wait_answer(std::uint8_t op, Duration advance) {
  put(op);
  put(milliseconds_byte(advance));
  return *this;
}

FuzzScript& FuzzScript::wait_ready(Duration advance) {
  return wait_answer(code_of(kWaitTable, WaitAnswer::ready), advance);
}

FuzzScript& FuzzScript::wait_readable(Duration advance) {
  return wait_answer(code_of(kWaitTable, WaitAnswer::readable_only), advance);
}

FuzzScript& FuzzScript::wait_writable(Duration advance) {
  return wait_answer(code_of(kWaitTable, WaitAnswer::writable_only), advance);
}

FuzzScript& FuzzScript::wait_timeout() {
  return wait_answer(code_of(kWaitTable, WaitAnswer::timeout), {});
}

FuzzScript& FuzzScript::wait_eintr(Duration advance) {
  return wait_answer(code_of(kWaitTable, WaitAnswer::interrupted), advance);
}

FuzzScript& FuzzScript::wait_error(std::errc e, Duration advance) {
  wait_answer(code_of(kWaitTable, WaitAnswer::error), advance);
  put(error_index(kWaitErrors, e, "wait_error"));
  return *this;
}

FuzzScript& FuzzScript::connect_ok() {
  put(code_of(kConnectTable, ConnectAnswer::ok));
  return *this;
}

FuzzScript& FuzzScript::connect_refused() {
  put(code_of(kConnectTable, ConnectAnswer::refused));
  return *this;
}

FuzzScript& FuzzScript::raw(std::string_view bytes) {
  for (const char c : bytes) put(static_cast<std::uint8_t>(c));
  return *this;
}

}  // namespace sockcheck
