// A tiny reader over a fuzzer's input, in the spirit of LLVM's
// FuzzedDataProvider but ours, so that the fuzzed backend builds with any
// compiler (gcc included) and without libFuzzer's headers.
//
// Theory of operation. The input is read strictly front to back: every
// decision of the fuzzed backend takes the next byte, and payloads (the bytes
// a recv returns) are taken in place from the same stream. A linear format
// keeps inputs readable and lets a small encoder (fuzz_script.h) write seeds
// in the order a client makes its calls; libFuzzer's mutations then splice,
// insert and drop whole decisions. Every byte value decodes to a valid
// decision, so no input is rejected, and reading past the end is not an
// error: take_byte() returns 0 and take_bytes() returns what is left.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace sockcheck {

// Lifetime: views `data` without copying; the bytes must outlive the reader
// and every span it returned.
class FuzzInput {
 public:
  FuzzInput(const std::uint8_t* data, std::size_t size) noexcept
      : data_(data), size_(data == nullptr ? 0 : size) {}
  explicit FuzzInput(std::span<const std::uint8_t> bytes) noexcept
      : FuzzInput(bytes.data(), bytes.size()) {}

  [[nodiscard]] bool empty() const noexcept { return pos_ == size_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::size_t consumed() const noexcept { return pos_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return size_ - pos_; }

  // The next byte; 0 once the input is exhausted. Callers that must tell an
  // exhausted input from a 0 byte check empty() first.
  std::uint8_t take_byte() noexcept {
    return pos_ < size_ ? data_[pos_++] : std::uint8_t{0};
  }

  // The next min(n, remaining()) bytes, viewed in place.
  std::span<const std::uint8_t> take_bytes(std::size_t n) noexcept {
    const std::size_t k = n < remaining() ? n : remaining();
    const std::span<const std::uint8_t> out(data_ + pos_, k);
    pos_ += k;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace sockcheck
