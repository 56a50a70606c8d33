// See args.h.
#include "args.h"

#include <ostream>

namespace sockcheck::cli {

bool ArgReader::next() noexcept {
  ++at_;
  if (!options_done_ && at_ < args_.size() && args_[at_] == "--") {
    options_done_ = true;
    ++at_;
  }
  return at_ < args_.size();
}

bool ArgReader::is_option() const noexcept {
  const std::string_view a = arg();
  return !options_done_ && a.size() > 1 && a.front() == '-';
}

std::size_t ArgReader::equals() const noexcept {
  const std::string_view a = arg();
  return is_option() && a.starts_with("--") ? a.find('=')
                                            : std::string_view::npos;
}

std::string_view ArgReader::name() const noexcept {
  return arg().substr(0, equals());
}

std::optional<std::string_view> ArgReader::value() noexcept {
  if (const std::size_t eq = equals(); eq != std::string_view::npos) {
    return arg().substr(eq + 1);
  }
  if (at_ + 1 >= args_.size()) return std::nullopt;
  return args_[++at_];
}

bool ArgReader::flag() const noexcept {
  return equals() == std::string_view::npos;
}

int usage_error(Streams io, std::string_view command,
                std::string_view message) {
  io.err << "sockcheck " << command << ": " << message << "\n"
         << "Try `sockcheck " << command << " --help`.\n";
  return kExitUsage;
}

}  // namespace sockcheck::cli
