// Child processes for `--client-cmd`. See program_runner.h.
//
// stdin comes from an unlinked temporary file holding the request, so the
// harness never writes to a pipe the child may have closed (no SIGPIPE, no
// deadlock on a large request). stdout and stderr are pipes drained with
// poll() while the child runs.
//
// The child leads a process group of its own, and the run ends with that
// group: as soon as the leader has ended (exit or signal), or at the limit
// while it still runs, every process left in the group is killed. Nothing a
// program starts (a helper under /bin/sh -c, `sleep 47 &`) outlives its run,
// and none of them can hold the run open by keeping stdout open. The leader
// is seen ending with waitid(WNOWAIT), which leaves it a zombie: until it
// is reaped its pid, which is the group's id, cannot be given to another
// process, so the kill can only reach this group. After the kill, what is
// still in the pipes is read until end of file, for kDrainAfterExit at most
// (a process that left the group, with setsid() for instance, may hold
// them open; it is not waited for). The leader's end is noticed at once
// through a pidfd polled beside the pipes; where the kernel has none
// (before Linux 5.3) the leader is looked at every 20 ms instead, which
// would add up to that much to every run's measured time.
#include "program_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace sockcheck {
namespace {

constexpr std::size_t kMaxStderr = 64 * 1024;
// How long the pipes are still read once the group has been killed: its
// processes close them as they die, at once; only one that escaped the
// group keeps them open, and it is not waited for.
constexpr auto kDrainAfterExit = std::chrono::milliseconds(250);

int temp_file_with(const std::string& input) {
  char path[] = "/tmp/sockcheck-stdin-XXXXXX";
  const int fd = ::mkostemp(path, O_CLOEXEC);
  if (fd < 0) return -1;
  ::unlink(path);
  std::size_t done = 0;
  while (done < input.size()) {
    const ssize_t n = ::write(fd, input.data() + done, input.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return -1;
    }
    done += static_cast<std::size_t>(n);
  }
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

// Whether the leader has ended. It is left a zombie (WNOWAIT), so that its
// pid, the group's id, stays reserved until end_group() reaps it.
bool leader_ended(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info,
                  WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

// A descriptor that polls readable when `pid` ends, or -1 if the kernel
// has none to give.
int open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
  (void)pid;
  return -1;
#endif
}

// Kills every process of the leader's group (and the leader, running or a
// zombie), then reaps the leader; returns its wait status.
int end_group(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  return wstatus;
}

}  // namespace

// The child's environment: the caller's, with `extra` added or replacing
// variables of the same name. Built before fork(), since the child of a
// threaded parent may not allocate.
static std::vector<std::string> child_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view var(*e);
    const auto name = var.substr(0, var.find('=') + 1);
    const bool replaced = std::any_of(extra.begin(), extra.end(), [&](const std::string& x) {
      return std::string_view(x).starts_with(name);
    });
    if (!replaced) out.emplace_back(var);
  }
  out.insert(out.end(), extra.begin(), extra.end());
  return out;
}

ProgramResult run_program_with_input(const std::vector<std::string>& argv,
                                     const std::string& input, Duration limit,
                                     const std::vector<std::string>& env) {
  ProgramResult result;
  if (argv.empty()) {
    result.start_error = "empty command";
    return result;
  }
  const int in_fd = temp_file_with(input);
  int out_pipe[2] = {-1, -1};
  int err_pipe[2] = {-1, -1};
  if (in_fd < 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    result.start_error = std::string("cannot set up the child's stdio: ") +
                         std::strerror(errno);
    for (int fd : {in_fd, out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      if (fd >= 0) ::close(fd);
    }
    return result;
  }
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (std::string& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<std::string> envs = env.empty() ? std::vector<std::string>{}
                                              : child_environment(env);
  std::vector<char*> cenv;
  for (std::string& e : envs) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setpgid(0, 0);
    ::signal(SIGPIPE, SIG_DFL);  // the child's own disposition, as if run by a shell
    ::dup2(in_fd, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    if (env.empty()) {
      ::execvp(cargv[0], cargv.data());
    } else {
      ::execvpe(cargv[0], cargv.data(), cenv.data());
    }
    std::fprintf(stderr, "sockcheck: cannot run '%s': %s\n", cargv[0],
                 std::strerror(errno));
    ::_exit(127);
  }
  ::close(in_fd);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (pid < 0) {
    result.start_error = std::string("fork: ") + std::strerror(errno);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return result;
  }
  ::setpgid(pid, pid);  // also from the parent, to win the race with exec
  const int pid_fd = open_pidfd(pid);

  const auto deadline = start + limit;
  auto stop_reading = deadline;  // earlier once the leader has ended
  int fds[2] = {out_pipe[0], err_pipe[0]};
  std::string* sinks[2] = {&result.out, &result.err};
  bool ended = false;  // the leader has ended and its group was killed
  int wstatus = 0;
  char buf[65536];
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (!ended && leader_ended(pid)) {
      result.elapsed = now - start;
      wstatus = end_group(pid);
      ended = true;
      stop_reading = std::min(deadline, now + kDrainAfterExit);
    }
    if (ended && fds[0] < 0 && fds[1] < 0) break;
    if (now >= stop_reading) break;
    pollfd p[3];
    nfds_t n = 0;
    int index[2];
    for (int i = 0; i < 2; ++i) {
      if (fds[i] >= 0) {
        p[n] = {fds[i], POLLIN, 0};
        index[n++] = i;
      }
    }
    const nfds_t pipes = n;
    if (!ended && pid_fd >= 0) p[n++] = {pid_fd, POLLIN, 0};
    // Without a pidfd, look at the leader every 20 ms while it runs (every
    // 5 ms once it has closed both pipes and there is nothing else to wait on).
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(stop_reading - now).count();
    const int wait_ms = static_cast<int>(std::min<long long>(
        left, ended || pid_fd >= 0 ? left : (pipes == 0 ? 5 : 20)));
    const int rc = ::poll(p, n, wait_ms);
    if (rc < 0 && errno != EINTR) break;
    for (nfds_t k = 0; rc > 0 && k < pipes; ++k) {
      if (p[k].revents == 0) continue;
      const int i = index[k];
      const ssize_t got = ::read(fds[i], buf, sizeof buf);
      if (got > 0) {
        std::string& sink = *sinks[i];
        const std::size_t room = i == 1 ? kMaxStderr - std::min(kMaxStderr, sink.size())
                                        : static_cast<std::size_t>(got);
        sink.append(buf, std::min(room, static_cast<std::size_t>(got)));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        ::close(fds[i]);
        fds[i] = -1;
      }
    }
  }
  if (pid_fd >= 0) ::close(pid_fd);
  if (!ended) {
    // The limit passed (or poll() failed) while the leader still ran.
    result.elapsed = std::chrono::steady_clock::now() - start;
    wstatus = end_group(pid);
    result.killed = true;
  }
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
  if (!result.killed) {
    if (WIFEXITED(wstatus)) result.exit_status = WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus)) result.signal = WTERMSIG(wstatus);
  }
  return result;
}

}  // namespace sockcheck
