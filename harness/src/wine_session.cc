// See wine_session.h.
#include "wine_session.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

extern char** environ;

namespace sockcheck {
namespace {

// How long the prefix's server outlives the last program (wineserver -p):
// longer than any gap between two scenarios' programs, short enough that a
// killed harness leaves nothing running for long.
constexpr const char* kServerLinger = "-p30";

// The environment every Wine process of the session gets, as `env` words.
std::vector<std::string> wine_environment(const std::string& prefix) {
  return {"/usr/bin/env", "-u", "DISPLAY", "WINEPREFIX=" + prefix, "WINEDEBUG=-all",
          // No Mono or Gecko installer dialogs: client programs need neither.
          "WINEDLLOVERRIDES=mscoree,mshtml="};
}

std::optional<std::string> find_executable(const std::vector<std::string>& names,
                                           const std::vector<std::string>& dirs) {
  std::vector<std::string> search;
  if (const char* path = std::getenv("PATH")) {
    std::string p = path;
    for (std::size_t at = 0; at <= p.size();) {
      const std::size_t end = std::min(p.find(':', at), p.size());
      if (end > at) search.push_back(p.substr(at, end - at));
      at = end + 1;
    }
  }
  search.insert(search.end(), dirs.begin(), dirs.end());
  for (const std::string& name : names) {
    for (const std::string& dir : search) {
      const std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return std::nullopt;
}

// Runs a Wine tool with stdio on /dev/null and waits for it; its exit
// status, or -1 when it could not be started. Whatever it leaves running
// (the server, the system processes) holds no pipe of ours.
int run_quietly(const std::vector<std::string>& argv) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (int fd = 0; fd <= 2; ++fd) {
    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null",
                                     fd == 0 ? O_RDONLY : O_WRONLY, 0);
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<std::string> with_environment(const std::string& prefix,
                                          std::vector<std::string> command) {
  std::vector<std::string> argv = wine_environment(prefix);
  argv.insert(argv.end(), std::make_move_iterator(command.begin()),
              std::make_move_iterator(command.end()));
  return argv;
}

}  // namespace

bool is_windows_program(const std::string& program) {
  constexpr std::string_view kSuffix = ".exe";
  if (program.size() <= kSuffix.size()) return false;
  return std::equal(kSuffix.begin(), kSuffix.end(),
                    program.end() - static_cast<std::ptrdiff_t>(kSuffix.size()),
                    [](char a, char b) {
                      return a == std::tolower(static_cast<unsigned char>(b));
                    });
}

std::optional<WineTools> find_wine() {
  const std::vector<std::string> debian = {"/usr/lib/wine"};
  auto loader = find_executable({"wine64", "wine"}, debian);
  auto server = find_executable({"wineserver", "wineserver64"}, debian);
  if (!loader || !server) return std::nullopt;
  return WineTools{*loader, *server};
}

std::string wine_missing_error(const std::string& program) {
  return "'" + program + "' is a Windows program, which sockcheck runs under "
         "Wine, but Wine was not found (on PATH or in /usr/lib/wine): install "
         "it, e.g. apt-get install wine wine64";
}

std::unique_ptr<WineSession> WineSession::start(const WineTools& tools,
                                                std::string* error) {
  std::error_code ec;
  const auto tmp = std::filesystem::temp_directory_path(ec);
  std::string templ = (ec ? std::filesystem::path("/tmp") : tmp) / "sockcheck-wine-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    *error = "cannot make a Wine prefix in " + templ + ": " + std::strerror(errno);
    return nullptr;
  }
  std::unique_ptr<WineSession> session(new WineSession(tools, templ));
  if (run_quietly(with_environment(templ, {tools.server, kServerLinger})) != 0) {
    *error = "cannot start wineserver (" + tools.server + ") for prefix " + templ;
    return nullptr;  // the destructor removes the prefix
  }
  if (run_quietly(with_environment(templ, {tools.loader, "wineboot", "--init"})) != 0) {
    *error = "wineboot could not make the Wine prefix " + templ;
    return nullptr;
  }
  return session;
}

WineSession::~WineSession() {
  run_quietly(with_environment(prefix_, {tools_.server, "-k"}));
  run_quietly(with_environment(prefix_, {tools_.server, "-w"}));
  std::error_code ec;
  std::filesystem::remove_all(prefix_, ec);
}

std::vector<std::string> WineSession::wrap(std::vector<std::string> argv) const {
  argv.insert(argv.begin(), tools_.loader);
  return with_environment(prefix_, std::move(argv));
}

}  // namespace sockcheck
