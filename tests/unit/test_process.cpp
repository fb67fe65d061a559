#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>

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
