// dr-mirror killed with SIGKILL and stopped with SIGTERM, on real clusters.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "dr/clock.hpp"
#include "dr/kafka/client.hpp"
#include "dr/store/links.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/store/state_store.hpp"
#include "integration/clusters.hpp"
#include "integration/data.hpp"
#include "integration/process.hpp"

using namespace std::chrono_literals;
using dr::kafka::Record;

namespace {

constexpr int kPartitions = 6;

int64_t committed_total(const dr::test::Cluster& c, const std::string& group) {
  dr::kafka::Admin admin(dr::test::client_config(c, dr::kafka::ClientRole::admin));
  int64_t sum = 0;
  for (const auto& g : admin.list_group_offsets(group, 10s)) sum += g.offset;
  return sum;
}

int64_t total_end_offsets(const dr::test::Cluster& c, const std::string& topic) {
  dr::kafka::Admin admin(dr::test::client_config(c, dr::kafka::ClientRole::admin));
  int64_t sum = 0;
  try {
    for (int32_t p = 0; p < kPartitions; ++p) sum += admin.watermarks(topic, p, 5s).high;
  } catch (const dr::Error&) {
    return 0;  // the target topic does not exist yet
  }
  return sum;
}

std::vector<Record> make_records(const std::string& topic, int n, int first_id) {
  std::vector<Record> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int id = first_id + i;
    Record r;
    r.topic = topic;
    r.partition = id % kPartitions;
    r.key = fmt::format("k{}", id % 1000);
    r.value = fmt::format("id-{}|{}", id, std::string(400, static_cast<char>('a' + id % 26)));
    r.headers = {{"id", std::to_string(id)}};
    r.timestamp_ms = dr::now_ms() - 3'600'000 + id % 1000;  // recent: retention must not delete the test data
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::string> args_for(const dr::test::MirrorConfigs& cfg, const std::string& state, const std::string& topic) {
  return {"--consumer.config", cfg.consumer, "--producer.config", cfg.producer, "--whitelist", topic, "--state", state,
          "--offset.commit.interval.ms", "500", "--source-alias", "primary", "--target-alias", "standby"};
}

struct Verdict {
  int64_t duplicates = 0;
  size_t max_rows = 0;  // most mapping rows of any partition
};

// Every source record is on the target in its partition, and every mapping row is true.
Verdict verify(const dr::test::Cluster& primary, const dr::test::Cluster& standby, const std::string& topic,
               const std::string& state) {
  auto store = dr::store::StateStore::open(state, {.create_if_missing = false});
  const auto link = dr::store::list_links(store).at(0);
  Verdict v;
  for (int32_t p = 0; p < kPartitions; ++p) {
    CAPTURE(p);
    auto source = dr::test::read_partition(primary, topic, p);
    auto target = dr::test::read_partition(standby, topic, p);
    std::map<std::string, int> copies;
    for (const auto& r : target) ++copies[*r.value];
    for (const auto& r : source) {
      if (copies.count(*r.value) == 0) FAIL("source record " << topic << "/" << p << "@" << r.offset << " is missing on the target");
    }
    v.duplicates += static_cast<int64_t>(target.size() - source.size());
    // Order: the first copies of the records appear in source order.
    std::set<std::string> seen;
    size_t next = 0;
    for (const auto& r : target) {
      if (!seen.insert(*r.value).second) continue;
      REQUIRE(next < source.size());
      REQUIRE(*r.value == *source[next].value);
      ++next;
    }
    // Mapping: no row claims a target offset that does not hold the mapped record; all source offsets
    // mapped (a record copied again after a kill is mapped once per persisted copy).
    auto rows = dr::store::load_segments(store, link.id, topic, p);
    std::set<int64_t> covered;
    for (const auto& row : rows) {
      for (int64_t i = 0; i < row.length; ++i) {
        const auto s = static_cast<size_t>(row.source_start.value() + i);
        const auto t = static_cast<size_t>(row.target_start.value() + i);
        REQUIRE(s < source.size());
        REQUIRE(t < target.size());
        if (*target[t].value != *source[s].value) FAIL("mapping row claims target " << t << " holds source " << s);
        covered.insert(static_cast<int64_t>(s));
      }
    }
    CHECK(covered.size() == source.size());
    v.max_rows = std::max(v.max_rows, rows.size());
    MESSAGE("partition ", p, ": ", source.size(), " source records, ", target.size(), " on the target, ", rows.size(),
            " mapping rows");
  }
  return v;
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
    const int64_t committed = committed_total(primary, topic + "-mirror");
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
