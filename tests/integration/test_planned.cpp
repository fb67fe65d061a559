// dr-failover --planned on real clusters: producers stop, the mirror copies everything, each
// group's current offset moves exactly: nothing lost, nothing read twice (counted by sequence number).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dr/clock.hpp"
#include "dr/kafka/client.hpp"
#include "dr/store/audit.hpp"
#include "dr/store/checkpoints.hpp"
#include "dr/store/links.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/store/state_store.hpp"
#include "integration/clusters.hpp"
#include "integration/data.hpp"
#include "integration/process.hpp"

using namespace std::chrono_literals;
using dr::kafka::Record;
using dr::test::Cluster;

namespace {

constexpr int kPartitions = 3;
constexpr int kTrimmed = 7;  // deleted on the source before mirroring: source and target offsets differ

std::vector<Record> sequence(const std::string& topic, int first, int n) {
  std::vector<Record> out;
  for (int i = first; i < first + n; ++i) {
    out.push_back(Record{topic, i % kPartitions, -1, fmt::format("k{}", i), fmt::format("seq-{}", i), {}, 0, {}});
  }
  return out;
}

// Reads as `group` (subscribed: a live member) until `n` records arrived or nothing comes for a
// while, commits what it read, and leaves the group.
std::vector<std::string> read_as(const Cluster& c, const std::string& group, const std::string& topic, size_t n) {
  auto config = dr::test::client_config(c, dr::kafka::ClientRole::consumer);
  config.set_default("group.id", group);
  config.set_default("auto.offset.reset", "earliest");
  dr::kafka::Consumer consumer(config);
  consumer.subscribe({topic});
  std::vector<std::string> out;
  std::map<int32_t, int64_t> next;
  auto idle_since = std::chrono::steady_clock::now();
  while (out.size() < n && std::chrono::steady_clock::now() - idle_since < 6s) {
    auto r = consumer.poll(200ms);
    if (!r) continue;
    idle_since = std::chrono::steady_clock::now();
    out.push_back(*r->value);
    next[r->partition] = r->offset + 1;
  }
  std::vector<dr::kafka::TopicPartitionOffset> commit;
  for (auto& [p, o] : next) commit.push_back({topic, p, o});
  if (!commit.empty()) consumer.commit(commit);
  consumer.close();
  return out;
}

struct Planned {
  Cluster primary = dr::test::cluster("primary");
  Cluster standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  std::string topic = dr::test::unique_topic("planned");
  std::string group = topic + "-app";
  std::string state = dir.path + "/dr-state.db";
  std::string primary_config = dir.path + "/primary.properties";
  std::string standby_config = dir.path + "/standby.properties";
  std::unique_ptr<dr::test::Background> mirror;

  Planned() {
    dr::test::write_file(primary_config, "bootstrap.servers=" + primary.bootstrap + "\n");
    dr::test::write_file(standby_config, "bootstrap.servers=" + standby.bootstrap + "\n");
    dr::test::create_topic(primary, topic, kPartitions);
    dr::test::produce(primary, sequence(topic, 0, 300));
    dr::kafka::Admin admin(dr::test::client_config(primary, dr::kafka::ClientRole::admin));
    for (int32_t p = 0; p < kPartitions; ++p) admin.delete_records(topic, p, kTrimmed, 10s);
    const auto cfg = dr::test::write_mirror_configs(dir.path, primary, standby, topic + "-mirror");
    mirror = std::make_unique<dr::test::Background>(
        "dr-mirror",
        std::vector<std::string>{"--consumer.config", cfg.consumer, "--producer.config", cfg.producer, "--include", topic,
                                 "--state", state, "--source-alias", "primary", "--target-alias", "standby",
                                 "--offset.commit.interval.ms", "300", "--checkpoint-interval-ms", "300", "--groups", group},
        dir.path + "/mirror.log");
    // Until the mirror has recorded its link and copied what is there.
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (bool ready = false; !ready;) {
      REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, dr::test::read_file(dir.path + "/mirror.log"));
      std::this_thread::sleep_for(300ms);
      try {
        auto store = dr::store::StateStore::open(state, {.create_if_missing = false, .access = dr::store::Access::read_only});
        const auto links = dr::store::list_links(store);
        ready = !links.empty();
        for (int32_t p = 0; ready && p < kPartitions; ++p) {
          int64_t end = 0;
          for (const auto& r : dr::store::load_segments(store, links[0].id, topic, p)) end = std::max(end, r.source_end().value());
          ready = end == dr::test::end_offset(primary, topic, p);
        }
      } catch (const dr::Error&) {
      }
    }
  }
  // Until dr-mirror's checkpointer has recorded the group (the switchover moves checkpointed groups).
  void wait_checkpointed() const {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (;;) {
      REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, dr::test::read_file(dir.path + "/mirror.log"));
      try {
        auto store = dr::store::StateStore::open(state, {.create_if_missing = false, .access = dr::store::Access::read_only});
        const auto links = dr::store::list_links(store);
        for (const auto& c : dr::store::latest_checkpoints(store, links.at(0).id)) {
          if (c.group_id == group) return;
        }
      } catch (const dr::Error&) {
      }
      std::this_thread::sleep_for(200ms);
    }
  }
  dr::test::RunResult switchover(std::vector<std::string> extra = {}, const std::string& quiet = "1s") const {
    std::vector<std::string> a{"--state", state, "--link", "primary->standby", "--planned", "--source-config",
                               primary_config, "--target-config", standby_config, "--quiet-period", quiet, "--format",
                               "json"};
    a.insert(a.end(), extra.begin(), extra.end());
    return dr::test::run_tool("dr-failover", a);
  }
  // Nothing of a switchover happened: the link is active, no failover is audited, the target has no
  // offsets for the group. (The state file's bytes change anyway: the running mirror writes to it.)
  void check_nothing_done() const {
    auto store = dr::store::StateStore::open(state, {.create_if_missing = false, .access = dr::store::Access::read_only});
    const auto link = dr::store::list_links(store).at(0);
    CHECK(link.state == dr::store::LinkState::active);
    CHECK(dr::store::list_failovers(store, link.id).empty());
    dr::kafka::Admin admin(dr::test::client_config(standby, dr::kafka::ClientRole::admin));
    CHECK(admin.list_group_offsets(group, 10s).empty());
  }
};

}  // namespace

TEST_CASE("planned switchover: the group resumes on the target with nothing lost and nothing read twice") {
  Planned s;
  auto before = read_as(s.primary, s.group, s.topic, 120);  // part of the data, committed
  REQUIRE(before.size() == 120);
  s.wait_checkpointed();
  dr::test::produce(s.primary, sequence(s.topic, 300, 150));  // more, while the mirror runs; then producers stop
  const auto r = s.switchover({"--execute", "--wait-timeout", "2m"});
  INFO(r.output);
  INFO(dr::test::read_file(s.dir.path + "/mirror.log"));
  REQUIRE(r.exit_code == 0);
  const auto report = nlohmann::json::parse(r.out);
  CHECK(report["planned"] == true);
  CHECK(report["outcome"] == "done");
  for (const auto& g : report["groups"]) {
    for (const auto& p : g["partitions"]) {
      CHECK(p["translation"] == "exact");
      CHECK(p["expected_duplicates"] == 0);
    }
  }
  CHECK(s.mirror->wait(30s) == 3);  // the fenced link's mirror stops by itself

  auto after = read_as(s.standby, s.group, s.topic, 1000);
  std::multiset<std::string> all(before.begin(), before.end());
  all.insert(after.begin(), after.end());
  std::set<std::string> expected;
  for (const auto& rec : sequence(s.topic, 0, 450)) expected.insert(*rec.value);
  // The trimmed records (kTrimmed per partition) were never readable on either side.
  for (int32_t p = 0; p < kPartitions; ++p) {
    for (int i = 0; i < kTrimmed; ++i) expected.erase(fmt::format("seq-{}", i * kPartitions + p));
  }
  std::set<std::string> distinct(all.begin(), all.end());
  CHECK(all.size() == distinct.size());  // duplicates: 0
  CHECK(distinct == expected);           // lost: 0
}

TEST_CASE("planned switchover: refusals change nothing") {
  Planned s;
  read_as(s.primary, s.group, s.topic, 30);
  s.wait_checkpointed();
  // --planned with --at is bad input, before anything is contacted.
  CHECK(s.switchover({"--at", "-5m"}).exit_code == 2);
  // A live member on the source.
  {
    auto config = dr::test::client_config(s.primary, dr::kafka::ClientRole::consumer);
    config.set_default("group.id", s.group);
    dr::kafka::Consumer live(config);
    live.subscribe({s.topic});
    for (int i = 0; i < 50; ++i) live.poll(100ms);
    const auto r = s.switchover({"--execute", "--wait-timeout", "5s"});
    INFO(r.output);
    CHECK(r.exit_code == 3);
    CHECK(r.output.find(s.group) != std::string::npos);
    s.check_nothing_done();
    live.close();
  }
  // Producers that never stop.
  {
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      for (int i = 1000; !stop; ++i) {
        dr::test::produce(s.primary, sequence(s.topic, i, 1));
        std::this_thread::sleep_for(100ms);
      }
    });
    // A quiet period longer than a test producer's slowest write (each is a new producer: up to a
    // second or more on a busy machine), or a slow write would pass for the producers having stopped.
    const auto r = s.switchover({"--execute", "--wait-timeout", "8s"}, "3s");
    stop = true;
    writer.join();
    INFO(r.output);
    CHECK(r.exit_code == 3);
    CHECK(r.output.find("still takes writes") != std::string::npos);
    s.check_nothing_done();
  }
  // No mirror running: the records written now are never copied.
  s.mirror->kill9();
  dr::test::produce(s.primary, sequence(s.topic, 5000, 30));
  const auto r = s.switchover({"--execute", "--wait-timeout", "4s"});
  INFO(r.output);
  CHECK(r.exit_code == 3);
  CHECK(r.output.find("is dr-mirror running") != std::string::npos);
  s.check_nothing_done();
}
