// Reading the interposer's trace back. See syscall_trace.h; the record
// format is written down in preload/src/trace.cc.
#include "sockcheck/syscall_trace.h"

#include <elf.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>

#include "sockcheck/client.h"

namespace sockcheck {
namespace {

std::vector<std::string_view> words(std::string_view line, std::size_t max) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size() && out.size() < max) {
    while (i < line.size() && line[i] == ' ') ++i;
    if (i >= line.size()) break;
    if (out.size() + 1 == max) {  // the rest of the line, spaces and all
      out.push_back(line.substr(i));
      break;
    }
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    out.push_back(line.substr(start, i - start));
  }
  return out;
}

long long num(std::string_view w) {
  return std::strtoll(std::string(w).c_str(), nullptr, 10);
}

Duration since(std::string_view t, std::uint64_t start_ns) {
  const auto ns = static_cast<std::uint64_t>(std::strtoull(std::string(t).c_str(), nullptr, 10));
  return std::chrono::nanoseconds(ns > start_ns ? ns - start_ns : 0);
}

std::optional<Injection::Call> call_class(std::string_view w) {
  if (w == "send") return Injection::Call::send;
  if (w == "recv") return Injection::Call::recv;
  if (w == "wait") return Injection::Call::wait;
  if (w == "shutdown") return Injection::Call::shutdown;
  return std::nullopt;
}

std::string_view class_text(Injection::Call c) {
  switch (c) {
    case Injection::Call::send: return "send";
    case Injection::Call::recv: return "recv";
    case Injection::Call::wait: return "wait";
    case Injection::Call::shutdown: return "shutdown";
  }
  return "?";
}

std::string errno_text(int e) {
  return error_name(std::error_code(e, std::generic_category()));
}

// The file `argv0` names, looked up in PATH as execvp() would.
std::string resolve(const std::string& argv0) {
  if (argv0.find('/') != std::string::npos) return argv0;
  const char* path = std::getenv("PATH");
  std::string_view p = path != nullptr ? path : "/usr/bin:/bin";
  while (!p.empty()) {
    const std::size_t colon = p.find(':');
    const std::string dir(p.substr(0, colon));
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + argv0;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    p.remove_prefix(colon + 1);
  }
  return {};
}

}  // namespace

std::string_view to_string(FaultLevel l) noexcept {
  return l == FaultLevel::portable ? "portable" : "realistic";
}

int SyscallTrace::count(TracedCall::Status s) const {
  return static_cast<int>(std::count_if(calls.begin(), calls.end(),
                                        [&](const TracedCall& c) { return c.status == s; }));
}

std::string SyscallTrace::skipped_reasons() const {
  std::vector<std::string> seen;
  for (const TracedCall& c : calls) {
    if (c.status != TracedCall::Status::skipped) continue;
    const std::string r = c.fault + " on " + std::string(class_text(c.call)) + ": " + c.why;
    if (std::find(seen.begin(), seen.end(), r) == seen.end()) seen.push_back(r);
  }
  std::string out;
  for (const std::string& r : seen) out += (out.empty() ? "" : "; ") + r;
  return out;
}

const TracedCall* SyscallTrace::last_injected() const {
  for (auto it = calls.rbegin(); it != calls.rend(); ++it) {
    if (it->status == TracedCall::Status::injected) return &*it;
  }
  return nullptr;
}

SyscallTrace parse_syscall_trace(std::string_view text, std::uint64_t start_ns) {
  SyscallTrace t;
  std::set<int> pids;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    const auto w = words(line, 13);
    if (w.size() < 3) continue;
    const int pid = static_cast<int>(num(w[1]));
    if (w[0] == "hello") {
      t.loaded = true;
      pids.insert(pid);
    } else if (w[0] == "call" && w.size() >= 12) {
      TracedCall c;
      c.pid = pid;
      c.at = since(w[2], start_ns);
      c.connection = static_cast<int>(num(w[3]));
      c.function = std::string(w[4]);
      const auto cls = call_class(w[5]);
      if (!cls) continue;
      c.call = *cls;
      c.index = static_cast<std::uint32_t>(num(w[6]));
      c.asked = num(w[7]);
      c.result = num(w[8]);
      c.error = static_cast<int>(num(w[9]));
      c.status = w[10] == "injected"  ? TracedCall::Status::injected
                 : w[10] == "skipped" ? TracedCall::Status::skipped
                                      : TracedCall::Status::real;
      if (w[11] != "-") c.fault = std::string(w[11]);
      if (w.size() > 12) c.why = std::string(w[12]);
      pids.insert(pid);
      t.calls.push_back(std::move(c));
    } else if (w[0] == "event" && w.size() >= 8) {
      TracedEvent e;
      e.pid = pid;
      e.at = since(w[2], start_ns);
      e.connection = static_cast<int>(num(w[3]));
      e.what = std::string(w[4]);
      e.arg = num(w[5]);
      e.result = num(w[6]);
      e.error = static_cast<int>(num(w[7]));
      pids.insert(pid);
      t.events.push_back(std::move(e));
    } else if (w[0] == "spin" && w.size() >= 6) {
      const auto n = static_cast<std::uint64_t>(num(w[4]));
      if (n > t.longest_spin) {
        t.longest_spin = n;
        t.longest_spin_time = std::chrono::nanoseconds(num(w[5]));
      }
    }
  }
  t.processes.assign(pids.begin(), pids.end());
  return t;
}

std::string describe_call(const TracedCall& c) {
  const std::string cls(class_text(c.call));
  std::string out = c.function == cls ? cls : c.function + " (" + cls + ")";
  out += " #" + std::to_string(c.index) + ": ";
  if (c.result < 0) {
    out += errno_text(c.error);
  } else if (c.call == Injection::Call::send || c.call == Injection::Call::recv) {
    out += std::to_string(c.result) + " of " + std::to_string(c.asked) + " bytes";
  } else {
    out += std::to_string(c.result);
  }
  if (c.status == TracedCall::Status::injected) {
    out += c.fault == "short" ? " (short count, injected)" : " (injected)";
  } else if (c.status == TracedCall::Status::skipped) {
    out += " (" + c.fault + " not injected: " + c.why + ")";
  }
  return out;
}

std::vector<std::string> trace_lines(const SyscallTrace& t, std::size_t max) {
  std::vector<std::string> out;
  if (!t.reached()) {
    out.push_back("interposer: " + (t.not_reached.empty() ? std::string("not loaded")
                                                          : t.not_reached));
    return out;
  }
  // Merge calls and events in time order.
  std::size_t i = 0, j = 0;
  const bool many = t.processes.size() > 1;
  auto who = [&](int pid, int conn) {
    return (many ? "pid " + std::to_string(pid) + " " : std::string()) + "conn " +
           std::to_string(conn) + ": ";
  };
  auto ms = [](Duration d) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    return "+" + std::to_string(us / 1000) + "." + std::to_string(us % 1000 / 100) + "ms ";
  };
  while ((i < t.calls.size() || j < t.events.size()) && out.size() < max) {
    const bool call = j >= t.events.size() ||
                      (i < t.calls.size() && t.calls[i].at <= t.events[j].at);
    if (call) {
      const TracedCall& c = t.calls[i++];
      out.push_back(ms(c.at) + who(c.pid, c.connection) + describe_call(c));
    } else {
      const TracedEvent& e = t.events[j++];
      out.push_back(ms(e.at) + who(e.pid, e.connection) + e.what + "(fd " +
                    std::to_string(e.arg) + ") -> " +
                    (e.result < 0 ? errno_text(e.error) : std::to_string(e.result)));
    }
  }
  const std::size_t total = t.calls.size() + t.events.size();
  if (total > out.size()) {
    out.push_back("[" + std::to_string(total - out.size()) + " more records]");
  }
  if (t.longest_spin > 0) {
    out.push_back("longest run of EAGAIN with no wait: " + std::to_string(t.longest_spin) +
                  " calls in " +
                  std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                     t.longest_spin_time).count()) + "us");
  }
  return out;
}

std::string interposer_unreachable(const std::string& argv0) {
  const std::string file = resolve(argv0);
  if (file.empty()) return {};
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID)) != 0) {
    return file + " is setuid/setgid: the dynamic loader ignores LD_PRELOAD for it";
  }
  std::ifstream in(file, std::ios::binary);
  Elf64_Ehdr eh{};
  if (!in.read(reinterpret_cast<char*>(&eh), sizeof eh) ||
      std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
    return {};  // a script: its interpreter is what runs
  }
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) return {};
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    in.seekg(static_cast<std::streamoff>(eh.e_phoff + static_cast<std::uint64_t>(i) * eh.e_phentsize));
    if (!in.read(reinterpret_cast<char*>(&ph), sizeof ph)) return {};
    if (ph.p_type == PT_INTERP) return {};
  }
  return file + " is statically linked (no PT_INTERP): LD_PRELOAD cannot reach it";
}

}  // namespace sockcheck
