// Broker faults while dr-mirror copies a steady stream, on the fixture's real clusters: the target
// broker frozen (SIGSTOP for 15 s, then SIGCONT), and the source broker killed with SIGKILL and
// restarted on its data. The same mirror process must carry on by itself, lose nothing, and the
// duplicates the fault caused are counted and reported.
#include <doctest/doctest.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "fault/mirror_check.hpp"
#include "integration/clusters.hpp"
#include "integration/data.hpp"
#include "integration/process.hpp"

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kPartitions = 6;
constexpr int kBatch = 200;

// Produces batches of kBatch records to the primary every 50 ms on a thread of its own, until
// stopped; pause() returns once no batch is in flight, so the primary can be killed between two
// acknowledged batches (every record the test counts was acknowledged with acks=all).
class SteadyProducer {
 public:
  SteadyProducer(const dr::test::Cluster& primary, std::string topic) : primary_(primary), topic_(std::move(topic)) {
    thread_ = std::thread([this] { run(); });
  }
  ~SteadyProducer() { stop(); }
  void pause() {
    paused_ = true;
    while (busy_) std::this_thread::sleep_for(5ms);
  }
  void resume() { paused_ = false; }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int produced() const { return produced_; }
  // Sends n records at once from the calling thread (the producer thread must be paused).
  void burst(int n) {
    dr::test::produce(primary_, dr::test::make_stream_records(topic_, n, produced_, kPartitions));
    produced_ += n;
  }

 private:
  void run() {
    while (!stopping_) {
      if (paused_) {
        std::this_thread::sleep_for(10ms);
        continue;
      }
      busy_ = true;
      if (!paused_) {
        dr::test::produce(primary_, dr::test::make_stream_records(topic_, kBatch, produced_, kPartitions));
        produced_ += kBatch;
      }
      busy_ = false;
      std::this_thread::sleep_for(50ms);
    }
  }

  dr::test::Cluster primary_;
  std::string topic_;
  std::atomic<bool> paused_{false}, stopping_{false}, busy_{false};
  std::atomic<int> produced_{0};
  std::thread thread_;
};

std::vector<std::string> mirror_args(const dr::test::MirrorConfigs& cfg, const std::string& state, const std::string& topic) {
  return {"--consumer.config", cfg.consumer, "--producer.config", cfg.producer, "--include", topic, "--state", state,
          "--offset.commit.interval.ms", "500", "--source-alias", "primary", "--target-alias", "standby",
          "--unreachable-timeout-ms", "300000"};
}

template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(250ms);
  }
  return false;
}

// Waits until the mirror committed every record the primary holds (so every one was acknowledged
// by the target and mapped), with the mirror still the process the test started.
void wait_until_mirrored(const dr::test::Cluster& primary, const std::string& topic, dr::test::Background& mirror,
                         const std::string& log) {
  const int64_t total = dr::test::total_end_offsets(primary, topic, kPartitions);
  const bool done = eventually(
      [&] {
        REQUIRE_MESSAGE(mirror.running(), "dr-mirror exited instead of carrying on:\n" << dr::test::read_file(log));
        return dr::test::committed_total(primary, topic + "-mirror") == total;
      },
      240s);
  REQUIRE_MESSAGE(done, "the mirror did not catch up with " << total << " records:\n" << dr::test::read_file(log));
}

// Stops the mirror cleanly and checks the target against the source.
dr::test::MirrorVerdict stop_and_verify(const dr::test::Cluster& primary, const dr::test::Cluster& standby, const std::string& topic,
                                        const std::string& state, dr::test::Background& mirror, const std::string& log) {
  mirror.terminate();
  const int code = mirror.wait(60s);
  INFO(dr::test::read_file(log));
  REQUIRE(code == 0);
  return dr::test::verify_mirrored(primary, standby, topic, kPartitions, state);
}

}  // namespace

TEST_CASE("target broker frozen 15 s (SIGSTOP, SIGCONT) while the mirror copies: nothing lost, the mirror resumes by itself") {
  const auto primary = dr::test::cluster("primary");
  const auto standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  const std::string topic = dr::test::unique_topic("freeze");
  dr::test::create_topic(primary, topic, kPartitions);
  auto cfg = dr::test::write_mirror_configs(dir.path, primary, standby, topic + "-mirror");
  const std::string state = dir.path + "/dr-state.db", log = dir.path + "/mirror.log";
  dr::test::Background mirror("dr-mirror", mirror_args(cfg, state, topic), log);
  SteadyProducer producer(primary, topic);
  REQUIRE_MESSAGE(eventually([&] { return dr::test::total_end_offsets(standby, topic, kPartitions) >= 5 * kBatch; }, 60s),
                  dr::test::read_file(log));

  const int standby_pid = dr::test::broker_pid("standby");
  struct Thaw {  // the fixture's standby must run again whatever happens here
    int pid;
    ~Thaw() { ::kill(pid, SIGCONT); }
  } thaw{standby_pid};
  REQUIRE(::kill(standby_pid, SIGSTOP) == 0);
  const int produced_at_freeze = producer.produced();
  std::this_thread::sleep_for(15s);
  const int produced_while_frozen = producer.produced() - produced_at_freeze;
  REQUIRE(::kill(standby_pid, SIGCONT) == 0);
  const auto thawed = Clock::now();
  std::this_thread::sleep_for(5s);  // the stream goes on after the thaw
  producer.stop();
  REQUIRE_MESSAGE(mirror.running(), dr::test::read_file(log));
  wait_until_mirrored(primary, topic, mirror, log);
  const auto caught_up_s = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - thawed).count();

  auto v = stop_and_verify(primary, standby, topic, state, mirror, log);
  CHECK(v.source_records == producer.produced());
  CHECK(v.duplicates >= 0);
  MESSAGE("target frozen 15 s: ", produced_while_frozen, " records produced meanwhile; all ", v.source_records,
          " on the target ", caught_up_s, " s after SIGCONT, same mirror process; duplicates: ", v.duplicates);
}

TEST_CASE("source broker killed (SIGKILL) and restarted while the mirror copies: nothing lost, the mirror resumes by itself") {
  const auto primary = dr::test::cluster("primary");
  const auto standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  const std::string topic = dr::test::unique_topic("srckill");
  dr::test::create_topic(primary, topic, kPartitions);
  auto cfg = dr::test::write_mirror_configs(dir.path, primary, standby, topic + "-mirror");
  const std::string state = dir.path + "/dr-state.db", log = dir.path + "/mirror.log";
  dr::test::Background mirror("dr-mirror", mirror_args(cfg, state, topic), log);
  SteadyProducer producer(primary, topic);
  REQUIRE_MESSAGE(eventually([&] { return dr::test::total_end_offsets(standby, topic, kPartitions) >= 5 * kBatch; }, 60s),
                  dr::test::read_file(log));

  // Between two acknowledged batches, a burst the mirror is still copying when the broker dies.
  producer.pause();
  producer.burst(20'000);
  struct Restart {  // the fixture's primary must run again whatever happens here
    bool down = false;
    ~Restart() {
      if (down) {
        try {
          dr::test::start_broker("primary");
        } catch (...) {
        }
      }
    }
  } restart;
  restart.down = true;
  dr::test::stop_broker("primary", /*kill=*/true);
  const int64_t on_target_at_kill = dr::test::total_end_offsets(standby, topic, kPartitions);
  const int produced_at_kill = producer.produced();
  std::this_thread::sleep_for(5s);
  REQUIRE_MESSAGE(mirror.running(), dr::test::read_file(log));
  const auto restart_began = Clock::now();
  dr::test::start_broker("primary");
  restart.down = false;
  const auto restart_s = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - restart_began).count();
  producer.resume();
  std::this_thread::sleep_for(5s);  // the stream goes on after the restart
  producer.stop();
  REQUIRE_MESSAGE(mirror.running(), dr::test::read_file(log));
  wait_until_mirrored(primary, topic, mirror, log);

  auto v = stop_and_verify(primary, standby, topic, state, mirror, log);
  CHECK(v.source_records == producer.produced());
  CHECK(v.duplicates >= 0);
  MESSAGE("source killed with ", produced_at_kill, " records produced and ", on_target_at_kill, " on the target (",
          std::string(on_target_at_kill < produced_at_kill ? "mid-copy" : "caught up"), "); restarted in ", restart_s, " s; all ",
          v.source_records, " on the target, same mirror process; duplicates: ", v.duplicates);
}
