// dr-mirror killed with SIGKILL and stopped with SIGTERM, on real clusters.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "dr/kafka/client.hpp"
#include "fault/mirror_check.hpp"
#include "integration/clusters.hpp"
#include "integration/data.hpp"
#include "integration/process.hpp"

using namespace std::chrono_literals;
using dr::kafka::Record;

namespace {

constexpr int kPartitions = 6;

std::vector<Record> make_records(const std::string& topic, int n, int first_id) {
  return dr::test::make_stream_records(topic, n, first_id, kPartitions);
}

int64_t total_end_offsets(const dr::test::Cluster& c, const std::string& topic) {
  return dr::test::total_end_offsets(c, topic, kPartitions);
}

std::vector<std::string> args_for(const dr::test::MirrorConfigs& cfg, const std::string& state, const std::string& topic) {
  return {"--consumer.config", cfg.consumer, "--producer.config", cfg.producer, "--whitelist", topic, "--state", state,
          "--offset.commit.interval.ms", "500", "--source-alias", "primary", "--target-alias", "standby"};
}

dr::test::MirrorVerdict verify(const dr::test::Cluster& primary, const dr::test::Cluster& standby, const std::string& topic,
                               const std::string& state) {
  return dr::test::verify_mirrored(primary, standby, topic, kPartitions, state);
}

}  // namespace

TEST_CASE("kill -9 dr-mirror five times during a 200k-record mirror: nothing lost, mapping true") {
  const auto primary = dr::test::cluster("primary");
  const auto standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  const std::string topic = dr::test::unique_topic("kill9");
  dr::test::create_topic(primary, topic, kPartitions);
  constexpr int kRecords = 200'000;
  // The primary keeps taking writes while the mirror is killed again and again.
  std::atomic<bool> producing{true};
  std::thread producer([&] {
    // A steady stream (small batches, short gaps) so that the mirror is always copying when killed.
    for (int batch = 0; batch < 100; ++batch) {
      dr::test::produce(primary, make_records(topic, 2'000, batch * 2'000));
      std::this_thread::sleep_for(60ms);
    }
    producing = false;
  });

  // Static membership lets a restarted mirror take its partitions back without waiting for the
  // killed member's session to expire.
  auto cfg = dr::test::write_mirror_configs(dir.path, primary, standby, topic + "-mirror",
                                            "group.instance.id=kill9-mirror\nsession.timeout.ms=6000\n");
  const std::string state = dir.path + "/dr-state.db";
  const std::string log = dir.path + "/mirror.log";
  std::mt19937 rng(std::random_device{}());
  int killed_mid_stream = 0;
  for (int round = 1; round <= 5; ++round) {
    dr::test::Background mirror("dr-mirror", args_for(cfg, state, topic), log);
    std::this_thread::sleep_for(std::chrono::milliseconds(700 + rng() % 1000));  // around the 500 ms commit interval
    REQUIRE_MESSAGE(mirror.running(), dr::test::read_file(log));
    const int64_t produced = total_end_offsets(primary, topic);
    mirror.kill9();
    const int64_t at_kill = total_end_offsets(standby, topic);
    const int64_t committed = dr::test::committed_total(primary, topic + "-mirror");
    MESSAGE("round ", round, ": killed with ", produced, " records on the primary, ", at_kill, " on the target, source offsets committed up to ",
            committed);
    if (committed < produced) ++killed_mid_stream;
  }
  producer.join();
  CHECK(killed_mid_stream >= 3);
  auto args = args_for(cfg, state, topic);
  args.push_back("--until-caught-up");
  auto final_run = dr::test::run_tool("dr-mirror", args, 600s);
  INFO(final_run.output);
  REQUIRE(final_run.exit_code == 0);
  auto v = verify(primary, standby, topic, state);
  MESSAGE("duplicates on the target after 5 kills: ", v.duplicates, " (", 100.0 * static_cast<double>(v.duplicates) / kRecords,
          "% of ", kRecords, ")");
  CHECK(v.duplicates >= 0);
}

TEST_CASE("SIGTERM: in-flight records land, offsets are committed, a restart copies nothing twice") {
  const auto primary = dr::test::cluster("primary");
  const auto standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  const std::string topic = dr::test::unique_topic("sigterm");
  dr::test::create_topic(primary, topic, kPartitions);
  auto cfg = dr::test::write_mirror_configs(dir.path, primary, standby, topic + "-mirror");
  const std::string state = dir.path + "/dr-state.db";
  const std::string log = dir.path + "/mirror.log";
  {
    dr::test::Background mirror("dr-mirror", args_for(cfg, state, topic), log);
    // Produce while the mirror runs, then stop it in the middle of the stream.
    std::thread producer([&] {
      for (int batch = 0; batch < 10; ++batch) dr::test::produce(primary, make_records(topic, 5000, batch * 5000));
    });
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (total_end_offsets(standby, topic) < 20000 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    mirror.terminate();
    producer.join();
    const int code = mirror.wait(60s);
    INFO(dr::test::read_file(log));
    REQUIRE(code == 0);
    CHECK(dr::test::read_file(log).find("stop requested") != std::string::npos);
  }
  const int64_t after_stop = total_end_offsets(standby, topic);
  MESSAGE("stopped with ", after_stop, " of 50000 records on the target");
  auto args = args_for(cfg, state, topic);
  args.push_back("--until-caught-up");
  auto r = dr::test::run_tool("dr-mirror", args, 300s);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  auto v = verify(primary, standby, topic, state);
  CHECK(v.duplicates == 0);  // a clean stop commits exactly what landed
  CHECK(v.max_rows == 1);    // and the restart continues the same mapping row
}
