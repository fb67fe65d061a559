#include "integration/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace dr::test {

namespace {

pid_t spawn(const std::string& path, const std::vector<std::string>& args, int out_fd, int data_fd = -1) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(path.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(data_fd >= 0 ? data_fd : out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int decode(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

}  // namespace

std::string tool_path(const std::string& name) {
  const char* dir = std::getenv("DR_BIN_DIR");  // overrides the build tree's tools/
  if (!dir || !*dir) dir = DR_DEFAULT_BIN_DIR;
  return std::string(dir) + "/" + name;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RunResult run_tool(const std::string& name, const std::vector<std::string>& args, std::chrono::seconds timeout) {
  char tmpl[] = "/tmp/dr-test-err-XXXXXX";
  char data_tmpl[] = "/tmp/dr-test-out-XXXXXX";
  int fd = mkstemp(tmpl);
  int data_fd = mkstemp(data_tmpl);
  if (fd < 0 || data_fd < 0) throw std::runtime_error("mkstemp failed");
  pid_t pid = spawn(tool_path(name), args, fd, data_fd);
  close(fd);
  close(data_fd);
  RunResult r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      r.exit_code = decode(status);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      r.exit_code = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  r.out = read_file(data_tmpl);
  r.output = r.out + read_file(tmpl);  // data first, then diagnostics
  unlink(tmpl);
  unlink(data_tmpl);
  return r;
}

Background::Background(const std::string& name, const std::vector<std::string>& args, const std::string& log_path) {
  int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + log_path);
  pid_ = spawn(tool_path(name), args, fd);
  close(fd);
}

Background::~Background() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
}

bool Background::running() {
  if (reaped_) return false;
  pid_t done = waitpid(pid_, &status_, WNOHANG);
  if (done == pid_) reaped_ = true;
  return !reaped_;
}

void Background::kill9() {
  if (!running()) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, &status_, 0);
  reaped_ = true;
}

void Background::terminate() {
  if (running()) kill(pid_, SIGTERM);
}

int Background::wait(std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill9();
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return decode(status_);
}

}  // namespace dr::test
