// Runs the project's binaries as child processes (the tools are tested as operators use them).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace dr::test {

// $DR_BIN_DIR/<name>, by default the build tree's tools/ directory.
std::string tool_path(const std::string& name);

struct RunResult {
  int exit_code = -1;  // -1: killed by a signal or timed out
  std::string output;  // stdout and stderr, interleaved
  std::string out;     // stdout alone (data)
};

// Runs a tool to completion (killed after `timeout`).
RunResult run_tool(const std::string& name, const std::vector<std::string>& args,
                   std::chrono::seconds timeout = std::chrono::seconds(120));

// A tool running in the background; output goes to a log file.
class Background {
 public:
  Background(const std::string& name, const std::vector<std::string>& args, const std::string& log_path);
  ~Background();  // SIGKILL if still running
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  void kill9();
  void terminate();                                    // SIGTERM
  int wait(std::chrono::seconds timeout);              // exit code, -1 if signalled or timed out (then killed)
  bool running();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
};

std::string read_file(const std::string& path);

}  // namespace dr::test
