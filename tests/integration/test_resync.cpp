// dr-resync on real clusters: after a failover, the old primary becomes the standby of the new
// one; what diverged is saved exactly, kept partitions copy only the new records, and the reverse
// link translates old and new data exactly.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <atomic>
#include <map>
#include <optional>
#include <tuple>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dr/clock.hpp"
#include "dr/kafka/client.hpp"
#include "dr/resync/saved_records.hpp"
#include "dr/store/audit.hpp"
#include "dr/store/links.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/store/resync_state.hpp"
#include "dr/store/state_store.hpp"
#include "integration/clusters.hpp"
#include "store/state_store_impl.hpp"
#include "integration/data.hpp"
#include "integration/process.hpp"

using namespace std::chrono_literals;
using dr::kafka::Record;
using dr::test::Cluster;

namespace {

constexpr int kPartitions = 3;
constexpr int kOld = 30;        // records per partition on the primary before the failover
constexpr int kTrimmed = 5;     // deleted on the primary before mirroring: offsets differ by this much
constexpr int kDiverged = 4;    // written to partition 1 of the primary after the mirror stopped
constexpr int kNew = 10;        // per partition on the new primary after the failover

std::vector<Record> records(const std::string& topic, int32_t partition, const std::string& tag, int n) {
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    Record r{topic, partition, -1, fmt::format("{}-{}-{}", tag, partition, i), fmt::format("value {} {} {}", tag, partition, i),
             {{"h", fmt::format("{}", i)}}, dr::now_ms() - 3'600'000 + i, {}};
    out.push_back(r);
  }
  return out;
}

std::string file_hash(const std::string& path) {
  return dr::test::read_file(path) + dr::test::read_file(path + "-wal");
}

struct Resync {
  Cluster primary = dr::test::cluster("primary");
  Cluster standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  std::string topic;
  std::string state = dir.path + "/dr-state.db";
  std::string primary_config = dir.path + "/primary.properties";
  std::string standby_config = dir.path + "/standby.properties";
  std::string save_dir = dir.path + "/diverged";
  std::map<std::string, std::string> topic_configs;

  explicit Resync(const std::string& prefix, std::map<std::string, std::string> configs = {})
      : topic(dr::test::unique_topic(prefix)), topic_configs(std::move(configs)) {
    dr::test::write_file(primary_config, "bootstrap.servers=" + primary.bootstrap + "\n");
    dr::test::write_file(standby_config, "bootstrap.servers=" + standby.bootstrap + "\n");
  }

  // Mirror, stop abruptly, write on the primary what never reaches the standby, fence the link,
  // write new records on the new primary.
  void fail_over(int diverged_partition = 1) {
    dr::test::create_topic(primary, topic, kPartitions, topic_configs);
    for (int32_t p = 0; p < kPartitions; ++p) dr::test::produce(primary, records(topic, p, "old", kOld));
    if (topic_configs.empty()) {
      dr::kafka::Admin admin(dr::test::client_config(primary, dr::kafka::ClientRole::admin));
      for (int32_t p = 0; p < kPartitions; ++p) admin.delete_records(topic, p, kTrimmed, 10s);
    }
    const auto cfg = dr::test::write_mirror_configs(dir.path, primary, standby, topic + "-mirror");
    const auto run = dr::test::run_tool("dr-mirror", {"--consumer.config", cfg.consumer, "--producer.config", cfg.producer,
                                                      "--include", topic, "--state", state, "--source-alias", "primary",
                                                      "--target-alias", "standby", "--until-caught-up"});
    REQUIRE_MESSAGE(run.exit_code == 0, run.output);
    if (diverged_partition >= 0) dr::test::produce(primary, records(topic, diverged_partition, "diverged", kDiverged));
    {
      auto store = dr::store::StateStore::open(state);
      dr::store::fence_link(store, dr::store::list_links(store).at(0).id, "test: failover");
    }
    for (int32_t p = 0; p < kPartitions; ++p) dr::test::produce(standby, records(topic, p, "new", kNew));
  }

  std::vector<std::string> args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a{"--state", state, "--link", "primary->standby", "--old-primary-config", primary_config,
                               "--new-primary-config", standby_config, "--topics", topic, "--quiet-period", "1s",
                               "--format", "json"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  dr::test::RunResult resync(std::vector<std::string> extra = {}) const { return dr::test::run_tool("dr-resync", args(extra)); }
  dr::test::RunResult execute(std::vector<std::string> extra = {}) const {
    extra.insert(extra.end(), {"--execute", "--confirm", primary.cluster_id, "--save-dir", save_dir});
    return resync(extra);
  }
  // The reverse mirror, as the resync positioned it, until it has caught up.
  void mirror_back(const std::string& group) {
    dr::test::TempDir d;
    const auto cfg = dr::test::write_mirror_configs(d.path, standby, primary, group);
    const auto run = dr::test::run_tool("dr-mirror", {"--consumer.config", cfg.consumer, "--producer.config", cfg.producer,
                                                      "--include", topic, "--state", state, "--source-alias", "standby",
                                                      "--target-alias", "primary", "--until-caught-up"});
    REQUIRE_MESSAGE(run.exit_code == 0, run.output);
  }
};

nlohmann::json parse_json(const dr::test::RunResult& r) {
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

const nlohmann::json& partition(const nlohmann::json& report, int32_t p) {
  for (const auto& x : report["partitions"]) {
    if (x["partition"] == p) return x;
  }
  FAIL("no partition " << p);
  throw;
}

std::vector<std::string> values(const std::vector<Record>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs) out.push_back(*r.value);
  return out;
}

}  // namespace

TEST_CASE("resync: keep and wipe in one run, the saved records are exactly the diverged ones, the reverse link is exact") {
  Resync s("resync");
  s.fail_over();
  // The mirror delivered the last 3 records of partition 2 but was stopped before recording them:
  // the mapping ends early, and only the content comparison knows they reached the standby.
  {
    auto store = dr::store::StateStore::open(s.state);
    const auto link = dr::store::list_links(store).at(0);
    auto rows = dr::store::load_segments(store, link.id, s.topic, 2);
    REQUIRE(rows.size() == 1);
    REQUIRE(rows[0].length == kOld - kTrimmed);
    rows[0].length -= 3;
    dr::store::Statement up(store.impl().db, "UPDATE offset_segments SET length = ?1 WHERE source_topic = ?2 AND partition = 2");
    up.bind(1, rows[0].length).bind(2, s.topic).run();
  }

  const auto plan = parse_json(s.resync());
  CHECK(plan["executed"] == false);
  for (int32_t p = 0; p < kPartitions; ++p) {
    CAPTURE(p);
    const auto& x = partition(plan, p);
    CHECK(x["action"] == (p == 1 ? "wipe" : "keep"));
    CHECK(x["diverged_records"] == (p == 1 ? kDiverged : 0));
    CHECK(x["common_end"] == kOld);
    CHECK(x["new_common_end"] == kOld - kTrimmed);
    CHECK(x["records_to_copy"] == (p == 1 ? kOld - kTrimmed + kNew : kNew));
    CHECK(x["mapped_end"] == (p == 2 ? kOld - 3 : kOld));
    CHECK(x["matched_tail"] == (p == 2 ? 3 : 0));
  }
  CHECK(std::filesystem::exists(s.save_dir) == false);  // a dry run writes nothing

  // --mirror: the reverse mirror runs until it has caught up.
  const auto done = parse_json(s.execute({"--mirror"}));
  CHECK(done["outcome"] == "done");

  // Exactly the diverged records, saved and verifiable.
  const auto manifest = dr::resync::read_manifest(s.save_dir);
  REQUIRE(manifest);
  REQUIRE(manifest->partitions.size() == 1);
  const auto& saved = manifest->partitions[0];
  CHECK(saved.partition == 1);
  std::vector<std::string> saved_values;
  dr::resync::for_each_saved(s.save_dir, saved, [&](const Record& r) { saved_values.push_back(*r.value); });
  CHECK(saved_values == values(records(s.topic, 1, "diverged", kDiverged)));

  for (int32_t p = 0; p < kPartitions; ++p) {
    CAPTURE(p);
    const auto on_primary = dr::test::read_partition(s.primary, s.topic, p);
    auto expected = values(records(s.topic, p, "old", kOld));
    expected.erase(expected.begin(), expected.begin() + kTrimmed);
    if (p == 1) {
      // Wiped: the new primary's copy of the old data came back, then its new records.
      CHECK(on_primary.front().offset == kOld + kDiverged);
    } else {
      // Kept: the old records stay where they were; only the new ones were copied.
      CHECK(on_primary.front().offset == kTrimmed);
    }
    for (const auto& v : values(records(s.topic, p, "new", kNew))) expected.push_back(v);
    CHECK(values(on_primary) == expected);
  }

  // The reverse link translates the old data exactly (offsets differ by kTrimmed) and the new data.
  for (auto [p, offset, want] : std::vector<std::tuple<int, int, int>>{{0, 3, 3 + kTrimmed},
                                                                       {0, kOld - kTrimmed + 2, kOld + 2},
                                                                       {1, 3, kOld + kDiverged + 3},
                                                                       {2, kOld - kTrimmed - 2, kOld - 2},
                                                                       {2, kOld - kTrimmed, kOld}}) {
    CAPTURE(p);
    CAPTURE(offset);
    const auto t = dr::test::run_tool("dr-translate-offsets",
                                      {"--state", s.state, "--link", "standby->primary", "--topic", s.topic, "--partition",
                                       std::to_string(p), "--offset", std::to_string(offset), "--format", "json"});
    INFO(t.output);
    REQUIRE(t.exit_code == 0);
    const auto j = nlohmann::json::parse(t.out);
    const auto& first = j.at("results").at(0);
    CHECK(first["offset"] == want);
    CHECK(first["precision"] == "exact");
  }
  const auto status = dr::test::run_tool("dr-status", {"--state", s.state});
  CHECK(status.exit_code == 0);
  CHECK(status.output.find("standby->primary") != std::string::npos);

  // A second run: the link is retired, nothing to do.
  CHECK(s.execute().exit_code == 3);
}

TEST_CASE("resync: killed after each step, every rerun continues, nothing is saved or deleted twice, nothing lost") {
  Resync s("resync-kill");
  s.fail_over();
  for (const char* fp : {"after-saved", "after-wiped", "after-seeded"}) {
    CAPTURE(fp);
    ::setenv("DR_RESYNC_FAILPOINT", fp, 1);
    const auto r = s.execute();
    ::unsetenv("DR_RESYNC_FAILPOINT");
    CHECK_MESSAGE(r.exit_code == -1, r.output);  // killed
  }
  const auto done = parse_json(s.execute());
  CHECK(done["outcome"] == "done");
  CHECK(done["resumed"] == true);
  {
    auto store = dr::store::StateStore::open(s.state, {.create_if_missing = false});
    const auto links = dr::store::list_links(store);
    int64_t resyncs = 0;
    for (const auto& l : links) resyncs += static_cast<int64_t>(dr::store::list_resyncs(store, l.id).size());
    CHECK(resyncs == 1);  // one resync, finished by three reruns
  }
  const auto manifest = dr::resync::read_manifest(s.save_dir);
  REQUIRE(manifest);
  CHECK(manifest->partitions.size() == 1);
  CHECK(manifest->partitions[0].records == kDiverged);
  s.mirror_back(done["mirror_group"]);
  for (int32_t p = 0; p < kPartitions; ++p) {
    const auto on_primary = dr::test::read_partition(s.primary, s.topic, p);
    CHECK(on_primary.size() == static_cast<size_t>(kOld - kTrimmed + kNew));
  }
}

TEST_CASE("resync: a compacted topic that diverged is deleted and recreated with its configs, then copied in full") {
  Resync s("resync-compact", {{"cleanup.policy", "compact"}, {"min.cleanable.dirty.ratio", "0.9"}});
  s.fail_over(0);
  const auto done = parse_json(s.execute());
  for (int32_t p = 0; p < kPartitions; ++p) CHECK(partition(done, p)["action"] == "recreate");
  dr::kafka::Admin admin(dr::test::client_config(s.primary, dr::kafka::ClientRole::admin));
  auto configs = admin.describe_topic_configs(s.topic, 10s);
  CHECK(configs["cleanup.policy"].value == "compact");
  CHECK(configs["min.cleanable.dirty.ratio"].value == "0.9");
  s.mirror_back(done["mirror_group"]);
  for (int32_t p = 0; p < kPartitions; ++p) {
    CHECK(dr::test::read_partition(s.primary, s.topic, p).size() == static_cast<size_t>(kOld + kNew));
  }
  const auto manifest = dr::resync::read_manifest(s.save_dir);
  REQUIRE(manifest);
  CHECK(manifest->partitions.size() == 1);
  CHECK(manifest->partitions[0].records == kDiverged);
}

TEST_CASE("resync: every refusal exits 3 and changes nothing") {
  Resync s("resync-refuse");
  dr::test::create_topic(s.primary, s.topic, 1);
  dr::test::produce(s.primary, records(s.topic, 0, "old", 5));
  const auto cfg = dr::test::write_mirror_configs(s.dir.path, s.primary, s.standby, s.topic + "-mirror");
  REQUIRE(dr::test::run_tool("dr-mirror", {"--consumer.config", cfg.consumer, "--producer.config", cfg.producer, "--include",
                                           s.topic, "--state", s.state, "--source-alias", "primary", "--target-alias",
                                           "standby", "--until-caught-up"})
              .exit_code == 0);
  auto refused = [&](const std::vector<std::string>& extra, const std::string& why) {
    const std::string before = file_hash(s.state);
    const auto r = s.execute(extra);
    INFO(r.output);
    CHECK(r.exit_code == 3);
    CHECK(r.output.find(why) != std::string::npos);
    CHECK(file_hash(s.state) == before);
    CHECK_FALSE(std::filesystem::exists(s.save_dir));
  };
  refused({}, "is active");
  {
    auto store = dr::store::StateStore::open(s.state);
    dr::store::fence_link(store, dr::store::list_links(store).at(0).id, "test: failover");
  }
  // --confirm with another id (the new primary's).
  {
    const std::string before = file_hash(s.state);
    const auto r = s.resync({"--execute", "--confirm", s.standby.cluster_id, "--save-dir", s.save_dir});
    CHECK(r.exit_code == 3);
    CHECK(r.output.find("--confirm") != std::string::npos);
    CHECK(file_hash(s.state) == before);
  }
  // The configs swapped: the old primary's config points at the new primary.
  {
    auto a = s.args({"--execute", "--confirm", s.primary.cluster_id});
    for (auto& x : a) {
      if (x == s.primary_config) x = s.standby_config;
    }
    const std::string before = file_hash(s.state);
    const auto r = dr::test::run_tool("dr-resync", a);
    CHECK(r.exit_code == 3);
    CHECK(r.output.find("wrong config") != std::string::npos);
    CHECK(file_hash(s.state) == before);
  }
  // A producer still writing to the old primary.
  {
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      while (!stop) {
        dr::test::produce(s.primary, records(s.topic, 0, "late", 1));
        std::this_thread::sleep_for(100ms);
      }
    });
    refused({}, "still takes writes");
    stop = true;
    writer.join();
  }
  // A consumer group with a live member on the old primary reading the topic.
  {
    auto config = dr::test::client_config(s.primary, dr::kafka::ClientRole::consumer);
    config.set_default("group.id", s.topic + "-app");
    config.set_default("auto.offset.reset", "earliest");
    dr::kafka::Consumer consumer(config);
    consumer.subscribe({s.topic});
    std::optional<Record> r;
    for (int i = 0; i < 300 && !r; ++i) r = consumer.poll(100ms);
    REQUIRE(r);
    consumer.commit({{s.topic, 0, r->offset + 1}});
    refused({}, s.topic + "-app");
    consumer.close();
  }
}
