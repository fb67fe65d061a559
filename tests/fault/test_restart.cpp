// dr-mirror restarted after kill -9, on real clusters: how soon it copies again (static group
// membership) and how much it copies twice (resuming after the durable mapping).
#include <doctest/doctest.h>

#include <chrono>
#include <map>
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

constexpr int kPartitions = 3;

std::vector<Record> numbered(const std::string& topic, int first, int n, const std::string& tag) {
  std::vector<Record> out;
  for (int i = first; i < first + n; ++i) {
    Record r;
    r.topic = topic;
    r.partition = i % kPartitions;
    r.key = fmt::format("k{}", i);
    r.value = fmt::format("{}-{}", tag, i);
    r.timestamp_ms = dr::now_ms();
    out.push_back(std::move(r));
  }
  return out;
}

template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (pred()) return true;
    } catch (const dr::Error&) {
      // not there yet
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

std::vector<std::string> mirror_args(const dr::test::MirrorConfigs& cfg, const std::string& state, const std::string& topic) {
  return {"--consumer.config", cfg.consumer, "--producer.config", cfg.producer, "--whitelist", topic, "--state", state,
          "--offset.commit.interval.ms", "500", "--source-alias", "primary", "--target-alias", "standby"};
}

int64_t total_end(const dr::test::Cluster& c, const std::string& topic) {
  int64_t sum = 0;
  for (int32_t p = 0; p < kPartitions; ++p) sum += dr::test::end_offset(c, topic, p);
  return sum;
}

std::map<int32_t, int64_t> committed(const dr::test::Cluster& c, const std::string& group) {
  dr::kafka::Admin admin(dr::test::client_config(c, dr::kafka::ClientRole::admin));
  std::map<int32_t, int64_t> out;
  for (const auto& g : admin.list_group_offsets(group, 10s)) out[g.partition] = g.offset;
  return out;
}

// Source offsets of the partition that the state file maps, each once.
std::set<int64_t> mapped(const std::string& state, const std::string& topic, int32_t p) {
  auto store = dr::store::StateStore::open(state, {.create_if_missing = false});
  auto links = dr::store::list_links(store);
  std::set<int64_t> out;
  if (links.empty()) return out;
  for (const auto& r : dr::store::load_segments(store, links[0].id, topic, p)) {
    for (int64_t i = 0; i < r.length; ++i) out.insert(r.source_start.value() + i);
  }
  return out;
}

// Every source record is on the target; returns the records on the target more than once.
int64_t check_nothing_lost(const dr::test::Cluster& primary, const dr::test::Cluster& standby, const std::string& topic) {
  int64_t duplicates = 0;
  for (int32_t p = 0; p < kPartitions; ++p) {
    CAPTURE(p);
    auto source = dr::test::read_partition(primary, topic, p);
    auto target = dr::test::read_partition(standby, topic, p);
    std::map<std::string, int> copies;
    for (const auto& r : target) ++copies[*r.value];
    for (const auto& r : source) {
      if (copies.count(*r.value) == 0) FAIL("source record " << topic << "/" << p << "@" << r.offset << " is missing on the target");
    }
    duplicates += static_cast<int64_t>(target.size()) - static_cast<int64_t>(source.size());
  }
  return duplicates;
}

}  // namespace

TEST_CASE("restart after kill -9: the mirror copies again within seconds, not after the session timeout") {
  const auto primary = dr::test::cluster("primary");
  const auto standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  const std::string topic = dr::test::unique_topic("restartgap");
  dr::test::create_topic(primary, topic, kPartitions);
  // The session timeout spelled out: librdkafka's default, what a killed member keeps its partitions for.
  auto cfg = dr::test::write_mirror_configs(dir.path, primary, standby, topic + "-mirror", "session.timeout.ms=45000\n");
  const std::string state = dir.path + "/dr-state.db";
  const std::string log = dir.path + "/mirror.log";
  dr::test::produce(primary, numbered(topic, 0, 300, "before"));
  {
    dr::test::Background mirror("dr-mirror", mirror_args(cfg, state, topic), log);
    REQUIRE_MESSAGE(eventually([&] { return total_end(standby, topic) >= 300; }, 60s), dr::test::read_file(log));
    mirror.kill9();
  }
  dr::test::Background restarted("dr-mirror", mirror_args(cfg, state, topic), log + ".2");
  const auto restarted_at = std::chrono::steady_clock::now();
  const int64_t before = total_end(standby, topic);
  dr::test::produce(primary, numbered(topic, 1000, kPartitions, "after"));
  // Every partition copies again (the new records reach the target): with static membership the
  // restarted process takes the dead member's place at once; without it the group waits for the
  // dead member's session to expire (45 s). 15 s leaves room for a slow machine.
  const bool copied = eventually(
      [&] {
        for (int32_t p = 0; p < kPartitions; ++p) {
          auto target = dr::test::read_partition(standby, topic, p);
          if (target.empty() || target.back().value->rfind("after-", 0) != 0) return false;
        }
        return true;
      },
      60s);
  const auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - restarted_at);
  MESSAGE("restart gap: the first new record of every partition was on the target ", gap.count(), " ms after the restart (",
          total_end(standby, topic) - before, " records copied since)");
  INFO(dr::test::read_file(log + ".2"));
  REQUIRE(copied);
  CHECK(gap < 15s);
  CHECK(dr::test::read_file(log + ".2").find("static group membership") != std::string::npos);
  restarted.terminate();
  CHECK(restarted.wait(60s) == 0);
  CHECK(check_nothing_lost(primary, standby, topic) >= 0);
}

TEST_CASE("restart after kill -9 with the committed offsets behind the durable mapping: only the rest is copied") {
  const auto primary = dr::test::cluster("primary");
  const auto standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  const std::string topic = dr::test::unique_topic("resume");
  const std::string group = topic + "-mirror";
  dr::test::create_topic(primary, topic, kPartitions);
  // A short session so that the killed member leaves the group soon and its offsets can be changed.
  auto cfg = dr::test::write_mirror_configs(dir.path, primary, standby, group, "session.timeout.ms=6000\n");
  const std::string state = dir.path + "/dr-state.db";
  const std::string log = dir.path + "/mirror.log";
  constexpr int kFirst = 6000;
  dr::test::produce(primary, numbered(topic, 0, kFirst, "first"));
  {
    dr::test::Background mirror("dr-mirror", mirror_args(cfg, state, topic), log);
    // Everything copied and mapped durably.
    REQUIRE_MESSAGE(eventually(
                        [&] {
                          for (int32_t p = 0; p < kPartitions; ++p) {
                            if (static_cast<int64_t>(mapped(state, topic, p).size()) != dr::test::end_offset(primary, topic, p))
                              return false;
                          }
                          return true;
                        },
                        60s),
                    dr::test::read_file(log));
    mirror.kill9();
  }
  // What a source-broker outage leaves behind: the commits failed while the copying went on, so the
  // group's committed offsets are far behind the durable mapping. Rewind them to a quarter.
  std::map<std::string, std::vector<dr::kafka::GroupOffset>> rewind;
  int64_t behind = 0;  // records between the committed offsets and the end of the durable mapping
  for (int32_t p = 0; p < kPartitions; ++p) {
    const int64_t end = dr::test::end_offset(primary, topic, p);
    rewind[group].push_back({topic, p, end / 4});
    behind += end - end / 4;
  }
  dr::kafka::Admin admin(dr::test::client_config(primary, dr::kafka::ClientRole::admin));
  REQUIRE_MESSAGE(eventually([&] { return admin.alter_group_offsets(rewind, 10s).empty(); }, 60s),
                  "the killed member did not leave the group in time");
  for (const auto& [p, offset] : committed(primary, group)) CHECK(offset == dr::test::end_offset(primary, topic, p) / 4);
  dr::test::produce(primary, numbered(topic, kFirst, 600, "second"));

  auto args = mirror_args(cfg, state, topic);
  args.push_back("--until-caught-up");
  auto run = dr::test::run_tool("dr-mirror", args, 300s);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  const int64_t duplicates = check_nothing_lost(primary, standby, topic);
  MESSAGE("committed offsets ", behind, " records behind the durable mapping; the restart copied ", duplicates,
          " records a second time");
  CHECK(duplicates < behind);
  CHECK(duplicates == 0);  // everything below the kill was mapped durably
  CHECK(run.output.find("resumes at source offset") != std::string::npos);
  // The group is committed past everything again.
  for (const auto& [p, offset] : committed(primary, group)) CHECK(offset == dr::test::end_offset(primary, topic, p));
}

TEST_CASE("two dr-mirror processes of one link on one host need their own --instance-id") {
  const auto primary = dr::test::cluster("primary");
  const auto standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  const std::string topic = dr::test::unique_topic("identity");
  dr::test::create_topic(primary, topic, kPartitions);
  auto cfg = dr::test::write_mirror_configs(dir.path, primary, standby, topic + "-mirror");
  const std::string state = dir.path + "/dr-state.db";
  const std::string log = dir.path + "/a.log";
  dr::test::Background a("dr-mirror", mirror_args(cfg, state, topic), log);
  REQUIRE_MESSAGE(eventually([&] { return dr::test::read_file(log).find("assigned " + topic) != std::string::npos; }, 60s),
                  dr::test::read_file(log));
  auto second = dr::test::run_tool("dr-mirror", mirror_args(cfg, state, topic), 60s);
  INFO(second.output);
  CHECK(second.exit_code == 3);
  CHECK(second.output.find("--instance-id") != std::string::npos);
  CHECK(a.running());  // not fenced by the refused one
  auto args = mirror_args(cfg, state, topic);
  args.insert(args.end(), {"--instance-id", "second-mirror", "--until-caught-up"});
  auto third = dr::test::run_tool("dr-mirror", args, 120s);
  INFO(third.output);
  CHECK(third.exit_code == 0);
  CHECK(third.output.find("group.instance.id second-mirror-0") != std::string::npos);
  CHECK(a.running());
  a.terminate();
  CHECK(a.wait(60s) == 0);
}
