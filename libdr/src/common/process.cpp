#include "dr/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "dr/error.hpp"

extern char** environ;

namespace dr::process {
namespace {

using Clock = std::chrono::steady_clock;

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::vector<char*> c_argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

// An owned file descriptor.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// Where a child's stdin, stdout and stderr come from (descriptors of the parent).
struct Redirects {
  int in = -1, out = -1, err = -1;
};

// argv[0] as a path: itself when it holds a '/', else the first executable of that name in PATH.
std::string resolve_program(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    if (::access(program.c_str(), X_OK) != 0) {
      throw Error(ErrorKind::io, fmt::format("cannot start {}: {}", program, std::strerror(errno)));
    }
    return program;
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    const std::string dir = end > start ? dirs.substr(start, end - start) : ".";
    const std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) return candidate;
    start = end + 1;
  }
  throw Error(ErrorKind::io, fmt::format("cannot start {}: not found in PATH", program));
}

// fork + execve rather than posix_spawn, for one thing posix_spawn cannot do: the child asks the
// kernel to SIGKILL it when we die (PR_SET_PDEATHSIG), so a dr-mirror started by a drill does not
// outlive a dr-drill killed with SIGKILL. (The kernel sends it when the *thread* that forked ends:
// callers start children from a thread that lives as long as they do.) Between fork and execve the
// child calls only async-signal-safe functions.
pid_t spawn(const std::vector<std::string>& argv, const Redirects& io) {
  if (argv.empty()) throw Error(ErrorKind::internal, "spawn: no program");
  const std::string program = resolve_program(argv[0]);
  auto args = c_argv(argv);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw Error(ErrorKind::io, fmt::format("cannot start {}: fork: {}", argv[0], std::strerror(errno)));
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    if (::dup2(io.in, 0) < 0 || ::dup2(io.out, 1) < 0 || ::dup2(io.err, 2) < 0) ::_exit(127);
    // Default signal handling and an empty mask (our tools ignore SIGPIPE or catch SIGTERM).
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);  // fails harmlessly for SIGKILL, SIGSTOP
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execve(program.c_str(), args.data(), environ);
    ::_exit(127);
  }
  return pid;
}

}  // namespace

Captured run_and_capture(const std::vector<std::string>& argv, const std::string& input,
                         std::chrono::milliseconds timeout) {
  // A child that exits before reading all of `input` must not kill us with SIGPIPE on the next
  // write (librdkafka asks applications to ignore SIGPIPE too).
  ::signal(SIGPIPE, SIG_IGN);
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0) throw Error(ErrorKind::io, "pipe: " + std::string(std::strerror(errno)));
  Fd in_r(in_pipe[0]), in_w(in_pipe[1]);
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw Error(ErrorKind::io, "pipe: " + std::string(std::strerror(errno)));
  Fd out_r(out_pipe[0]), out_w(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) throw Error(ErrorKind::io, "pipe: " + std::string(std::strerror(errno)));
  Fd err_r(err_pipe[0]), err_w(err_pipe[1]);
  // A missing program is an error here; one that cannot be executed exits 127 in the child.
  const pid_t pid = spawn(argv, {in_r.fd, out_w.fd, err_w.fd});
  in_r.reset();
  out_w.reset();
  err_w.reset();
  for (int fd : {in_w.fd, out_r.fd, err_r.fd}) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

  Captured result;
  size_t written = 0;
  if (input.empty()) in_w.reset();
  const auto deadline = Clock::now() + timeout;
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      result.timed_out = true;
      break;
    }
    pollfd fds[3] = {{out_r.fd, POLLIN, 0}, {err_r.fd, POLLIN, 0}, {in_w.fd, POLLOUT, 0}};
    if (::poll(fds, 3, static_cast<int>(std::min<int64_t>(left, 1000))) < 0 && errno != EINTR) break;
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) (i == 0 ? result.out : result.err).append(buf, static_cast<size_t>(n));
      else if (n == 0 || (errno != EAGAIN && errno != EINTR)) (i == 0 ? out_r : err_r).reset();
    }
    if (in_w.fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = ::write(in_w.fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) in_w.reset();
    }
  }
  in_w.reset();
  if (result.timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  // The pipes are closed (or we killed it): the child exits promptly; bound the wait anyway.
  const auto reap_deadline = Clock::now() + std::chrono::seconds(5);
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > reap_deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      result.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  result.exit_code = decode_status(status);
  if (result.exit_code == 127 && result.out.empty()) {
    throw Error(ErrorKind::io, fmt::format("cannot start {}: not found or not executable", argv[0]));
  }
  return result;
}

Child::Child(const std::vector<std::string>& argv, const std::string& log_path) {
  Fd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (log.fd < 0) throw Error(ErrorKind::io, fmt::format("cannot open the log: {}", std::strerror(errno)), {.file = log_path});
  Fd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  pid_ = spawn(argv, {null_in.fd, log.fd, log.fd});
}

Child::~Child() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

bool Child::signal(int signal_number) noexcept {
  if (pid_ <= 0 || exit_code_) return false;
  return ::kill(pid_, signal_number) == 0;
}

bool Child::exited() {
  if (exit_code_) return true;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) exit_code_ = decode_status(status);
  return exit_code_.has_value();
}

std::optional<int> Child::wait(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!exited()) {
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

std::string own_directory() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return ".";
  return exe.parent_path().string();
}

}  // namespace dr::process
