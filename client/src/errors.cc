// Portable classification and naming of the errors the client reports.
#include <array>
#include <string>
#include <utility>

#include "sockcheck/io.h"

namespace sockcheck {

bool is_interrupted(const std::error_code& ec) noexcept {
  return ec == std::errc::interrupted;
}

bool is_would_block(const std::error_code& ec) noexcept {
  return ec == std::errc::resource_unavailable_try_again ||
         ec == std::errc::operation_would_block;
}

bool is_reset(const std::error_code& ec) noexcept {
  return ec == std::errc::connection_reset || ec == std::errc::broken_pipe ||
         ec == std::errc::connection_aborted;
}

std::string error_name(const std::error_code& ec) {
  static constexpr std::array<std::pair<std::errc, const char*>, 16> kNames{{
      {std::errc::connection_reset, "ECONNRESET"},
      {std::errc::broken_pipe, "EPIPE"},
      {std::errc::connection_aborted, "ECONNABORTED"},
      {std::errc::connection_refused, "ECONNREFUSED"},
      {std::errc::timed_out, "ETIMEDOUT"},
      {std::errc::interrupted, "EINTR"},
      {std::errc::resource_unavailable_try_again, "EAGAIN"},
      {std::errc::not_connected, "ENOTCONN"},
      {std::errc::host_unreachable, "EHOSTUNREACH"},
      {std::errc::network_unreachable, "ENETUNREACH"},
      {std::errc::bad_file_descriptor, "EBADF"},
      {std::errc::invalid_argument, "EINVAL"},
      {std::errc::io_error, "EIO"},
      {std::errc::address_not_available, "EADDRNOTAVAIL"},
      {std::errc::no_buffer_space, "ENOBUFS"},
      {std::errc::not_enough_memory, "ENOMEM"},
  }};
  if (!ec) return "OK";
  for (const auto& [cond, name] : kNames) {
    if (ec == cond) return name;
  }
  return std::to_string(ec.value());
}

}  // namespace sockcheck
