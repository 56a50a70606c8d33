// Windows client programs under Wine, for `sockcheck run --client-cmd
// 'PROGRAM.exe {host} {port}'`. Internal to the harness.
//
// Theory of operation. A run that judges a Windows program makes one
// private Wine prefix (a fresh temporary directory, so the user's ~/.wine is
// never touched and nothing is left from an earlier run), boots it once, and
// keeps its wineserver alive for the whole run (`wineserver -p`): without
// that, every scenario pays for a server start and for Wine's system
// processes (services, winedevice, ...), which would also hold the
// program's stdout open until they exit. Those system processes are started
// here, by wineboot, with /dev/null for stdio and outside any program's
// process group, so they never hold a client's pipes and the program
// runner's group kill never reaches them. Each program is then started as
// `env -u DISPLAY WINEPREFIX=... WINEDEBUG=-all wine64 PROGRAM.exe ARGS`: only
// its argv changes, the program runner is the same as for native programs.
//
// Lifetime: the destructor stops the prefix's server and every Wine process
// in it (`wineserver -k`, then waits for the server to exit) and removes the
// prefix; that runs on every return and exception path of the run. If the
// harness itself is killed, the server still exits on its own once no
// program has run for kServerLinger, and takes the system processes with it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sockcheck {

struct WineTools {
  std::string loader;  // wine64 (or wine): runs PROGRAM.exe
  std::string server;  // wineserver
};

// True when `program` (the command's first word) names a Windows program:
// its name ends with ".exe", in any case.
[[nodiscard]] bool is_windows_program(const std::string& program);

// Finds Wine on PATH and in Debian's /usr/lib/wine; nullopt when it is not
// installed.
[[nodiscard]] std::optional<WineTools> find_wine();

// The sentence to show when a Windows program is given and Wine is missing.
[[nodiscard]] std::string wine_missing_error(const std::string& program);

class WineSession {
 public:
  // Makes and boots a private prefix and starts its persistent server.
  // nullptr with `error` set when that fails.
  static std::unique_ptr<WineSession> start(const WineTools& tools,
                                            std::string* error);
  ~WineSession();
  WineSession(const WineSession&) = delete;
  WineSession& operator=(const WineSession&) = delete;

  // argv of a Windows program, as the argv that runs it in this prefix.
  [[nodiscard]] std::vector<std::string> wrap(std::vector<std::string> argv) const;
  [[nodiscard]] const std::string& prefix() const noexcept { return prefix_; }

 private:
  WineSession(WineTools tools, std::string prefix)
      : tools_(std::move(tools)), prefix_(std::move(prefix)) {}

  WineTools tools_;
  std::string prefix_;
};

}  // namespace sockcheck
