// Child processes: run a program and capture its output (gnuplot for report charts), or start one
// that runs beside us and may be killed abruptly (the drill's dr-mirror, killed with SIGKILL at the
// disaster moment). Every wait is bounded; a Child still running when its owner is destroyed is
// killed (SIGKILL) and reaped, so nothing outlives a failed drill; and every child is started with
// PR_SET_PDEATHSIG: the kernel kills it (SIGKILL) when we die, even of a SIGKILL. Start children
// from a thread that lives as long as they should (the kernel acts when the starting thread ends).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace dr::process {

struct Captured {
  int exit_code = -1;   // exit status, or 128 + signal number
  bool timed_out = false;
  std::string out;
  std::string err;
};

// Runs argv (argv[0] looked up in PATH) with `input` on its stdin; waits at most `timeout`, then
// SIGKILLs it (timed_out = true). Throws dr::Error(io) when it cannot be started (e.g. not
// installed), naming the program.
Captured run_and_capture(const std::vector<std::string>& argv, const std::string& input,
                         std::chrono::milliseconds timeout);

class Child {
 public:
  // Starts argv (argv[0]: a path, or a name looked up in PATH) with stdin from /dev/null and stdout
  // and stderr appended to `log_path`. Throws dr::Error(io) naming the program or the log file.
  Child(const std::vector<std::string>& argv, const std::string& log_path);
  ~Child();  // SIGKILL and reap if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const noexcept { return pid_; }
  // Sends a signal (SIGKILL, SIGTERM, SIGSTOP, SIGCONT); false when it has already exited.
  bool signal(int signal_number) noexcept;
  // Waits at most `timeout` for it to exit; its exit code (128 + signal if killed), or nullopt
  // when it is still running.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // Has it exited? (reaps it when it has.)
  bool exited();
  std::optional<int> exit_code() const noexcept { return exit_code_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// The directory of the running executable (/proc/self/exe), for finding sibling tools.
std::string own_directory();

}  // namespace dr::process
