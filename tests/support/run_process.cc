#include "support/run_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <thread>

#ifndef SOCKCHECK_BINARY
#define SOCKCHECK_BINARY "sockcheck"
#endif

namespace sockcheck::testing {
namespace {

std::string slurp(const char* path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

}  // namespace

CliRun run_program(const std::string& program,
                   const std::vector<std::string>& args,
                   const std::string& input,
                   std::chrono::milliseconds timeout) {
  // Temporary files rather than pipes: no risk of a pipe deadlock when the
  // child writes a lot, and nothing to pump while we wait.
  char in_path[] = "/tmp/sockcheck-test-in-XXXXXX";
  char out_path[] = "/tmp/sockcheck-test-out-XXXXXX";
  char err_path[] = "/tmp/sockcheck-test-err-XXXXXX";
  const int in_fd = ::mkstemp(in_path);
  const int out_fd = ::mkstemp(out_path);
  const int err_fd = ::mkstemp(err_path);
  CliRun run;
  auto cleanup = [&] {
    for (const char* p : {in_path, out_path, err_path}) ::unlink(p);
    for (int fd : {in_fd, out_fd, err_fd}) {
      if (fd >= 0) ::close(fd);
    }
  };
  if (in_fd < 0 || out_fd < 0 || err_fd < 0 ||
      ::write(in_fd, input.data(), input.size()) !=
          static_cast<ssize_t>(input.size())) {
    cleanup();
    run.err = "test harness: cannot create temporary files";
    return run;
  }
  ::lseek(in_fd, 0, SEEK_SET);
  std::vector<std::string> argv_storage;
  argv_storage.push_back(program);
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  int wstatus = 0;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const pid_t done = ::waitpid(pid, &wstatus, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &wstatus, 0);
      run.killed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling a child, not synchronising
  }
  if (WIFEXITED(wstatus)) run.status = WEXITSTATUS(wstatus);
  run.out = slurp(out_path);
  run.err = slurp(err_path);
  cleanup();
  return run;
}

CliRun run_sockcheck(const std::vector<std::string>& args,
                     const std::string& input,
                     std::chrono::milliseconds timeout) {
  return run_program(SOCKCHECK_BINARY, args, input, timeout);
}

}  // namespace sockcheck::testing
