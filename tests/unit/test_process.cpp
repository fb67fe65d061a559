#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "dr/error.hpp"
#include "dr/process.hpp"

using namespace std::chrono_literals;

TEST_CASE("process: a program's output is captured and its input is fed") {
  std::string big(300000, 'x');  // larger than a pipe buffer: input and output interleave
  const auto r = dr::process::run_and_capture({"cat"}, big, 10s);
  CHECK(r.exit_code == 0);
  CHECK_FALSE(r.timed_out);
  CHECK(r.out == big);
  const auto e = dr::process::run_and_capture({"sh", "-c", "echo oops >&2; exit 3"}, "", 10s);
  CHECK(e.exit_code == 3);
  CHECK(e.err == "oops\n");
}

TEST_CASE("process: a program that runs too long is killed, one that is missing is an error") {
  const auto start = std::chrono::steady_clock::now();
  const auto r = dr::process::run_and_capture({"sleep", "30"}, "", 300ms);
  CHECK(r.timed_out);
  CHECK(r.exit_code == 128 + SIGKILL);
  CHECK(std::chrono::steady_clock::now() - start < 10s);
  CHECK_THROWS_AS(dr::process::run_and_capture({"kafka-dr-no-such-program"}, "", 1s), dr::Error);
  // It stops reading its input early: no SIGPIPE for us.
  const auto h = dr::process::run_and_capture({"head", "-c", "1"}, std::string(1 << 20, 'y'), 10s);
  CHECK(h.out == "y");
}

TEST_CASE("process: a child can be killed abruptly and its exit is seen") {
  const auto log = std::filesystem::temp_directory_path() / "dr-unit-child.log";
  std::filesystem::remove(log);
  {
    dr::process::Child echo({"sh", "-c", "echo started; exit 5"}, log.string());
    CHECK(echo.wait(10s) == 5);
    CHECK_FALSE(echo.signal(SIGKILL));
  }
  std::ifstream in(log);
  std::string line;
  std::getline(in, line);
  CHECK(line == "started");
  dr::process::Child sleeper({"sleep", "30"}, log.string());
  CHECK_FALSE(sleeper.wait(50ms).has_value());
  CHECK(sleeper.signal(SIGKILL));
  CHECK(sleeper.wait(10s) == 128 + SIGKILL);
  std::filesystem::remove(log);
}

TEST_CASE("process: a child dies with its parent, even when the parent is killed with SIGKILL") {
  // An intermediate process starts the child (a sleep) through dr::process::Child, reports its pid
  // and is killed with SIGKILL: nothing of it runs a destructor, so only the kernel can end the sleep.
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t parent = ::fork();
  REQUIRE(parent >= 0);
  if (parent == 0) {
    ::close(fds[0]);
    try {
      dr::process::Child sleeper({"sleep", "60"}, "/dev/null");
      const pid_t pid = sleeper.pid();
      if (::write(fds[1], &pid, sizeof pid) != sizeof pid) ::_exit(2);
      ::pause();
    } catch (...) {
    }
    ::_exit(1);
  }
  ::close(fds[1]);
  pid_t orphan = -1;
  REQUIRE(::read(fds[0], &orphan, sizeof orphan) == sizeof orphan);
  ::close(fds[0]);
  REQUIRE(orphan > 0);
  CHECK(::kill(orphan, 0) == 0);
  ::kill(parent, SIGKILL);
  int status = 0;
  ::waitpid(parent, &status, 0);
  // The orphan is re-parented (to init, or a subreaper that reaps it) and killed by the kernel.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  bool gone = false;
  while (!gone && std::chrono::steady_clock::now() < deadline) {
    std::ifstream stat("/proc/" + std::to_string(orphan) + "/stat");
    std::string pid_text, comm, state;
    gone = !(stat >> pid_text >> comm >> state) || state == "Z";  // gone, or dead and not yet reaped
    if (!gone) std::this_thread::sleep_for(20ms);
  }
  if (!gone) ::kill(orphan, SIGKILL);
  CHECK(gone);
}

TEST_CASE("process: a program that is not there is an error naming it") {
  try {
    dr::process::Child missing({"/nonexistent/dr-mirror", "--help"}, "/dev/null");
    FAIL("started a missing program");
  } catch (const dr::Error& e) {
    CHECK(std::string(e.what()).find("/nonexistent/dr-mirror") != std::string::npos);
  }
}
