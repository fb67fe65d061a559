// dr-mirror against two real Kafka clusters: fidelity, compacted gaps, refusals.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "dr/kafka/client.hpp"
#include "dr/store/audit.hpp"
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

std::vector<dr::store::OffsetSegment> mapping_of(const std::string& state, const std::string& topic, int32_t partition) {
  auto store = dr::store::StateStore::open(state, {.create_if_missing = false});
  auto links = dr::store::list_links(store);
  REQUIRE(links.size() == 1);
  return dr::store::load_segments(store, links[0].id, topic, partition);
}

// Every mapping row must point at the very record it claims.
void check_mapping_against_data(const std::vector<dr::store::OffsetSegment>& rows, const std::vector<Record>& source,
                                const std::vector<Record>& target) {
  std::map<int64_t, const Record*> by_source, by_target;
  for (const auto& r : source) by_source[r.offset] = &r;
  for (const auto& r : target) by_target[r.offset] = &r;
  for (const auto& row : rows) {
    for (int64_t i = 0; i < row.length; ++i) {
      auto s = by_source.find(row.source_start.value() + i);
      auto t = by_target.find(row.target_start.value() + i);
      if (s == by_source.end()) continue;  // compacted away on the source since it was mirrored
      REQUIRE_MESSAGE(t != by_target.end(), "target offset " << row.target_start.value() + i << " missing");
      REQUIRE(t->second->key == s->second->key);
      REQUIRE(t->second->value == s->second->value);
      REQUIRE(t->second->headers == s->second->headers);
    }
  }
}

std::vector<std::string> mirror_args(const dr::test::MirrorConfigs& cfg, const std::string& state, const std::string& include) {
  return {"--consumer.config", cfg.consumer, "--producer.config", cfg.producer, "--whitelist", include,
          "--state", state, "--source-alias", "primary", "--target-alias", "standby", "--offset.commit.interval.ms", "500"};
}

}  // namespace

TEST_CASE("dr-mirror copies 3 topics x 6 partitions record for record") {
  const auto primary = dr::test::cluster("primary");
  const auto standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  const std::string prefix = dr::test::unique_topic("fidelity");
  const std::vector<std::string> topics{prefix + ".a", prefix + ".b", prefix + ".c"};
  for (const auto& t : topics) dr::test::create_topic(primary, t, 6, {{"retention.ms", "604800000"}});

  constexpr int kRecords = 100'000;
  const int64_t base_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count() -
      3'600'000;
  std::vector<Record> records;
  records.reserve(kRecords);
  for (int i = 0; i < kRecords; ++i) {
    Record r;
    r.topic = topics[static_cast<size_t>(i % 3)];
    r.partition = (i / 3) % 6;
    if (i % 7 != 0) r.key = fmt::format("key-{}", i % 5000);                   // null keys too
    if (i % 13 != 0) r.value = fmt::format("value-{}-{}", i, std::string(static_cast<size_t>(i % 97), 'x'));  // tombstones
    if (i % 5 != 0) r.headers = {{"id", std::to_string(i)}, {"dup", "first"}, {"dup", std::nullopt}, {"dup", "third"}};
    r.timestamp_ms = base_ms + (i % 2 == 0 ? i : -i) * 17;  // explicit, not monotonic, within retention
    records.push_back(std::move(r));
  }
  dr::test::produce(primary, records);

  auto cfg = dr::test::write_mirror_configs(dir.path, primary, standby, prefix + "-mirror");
  const std::string state = dir.path + "/dr-state.db";
  auto run = dr::test::run_tool("dr-mirror", [&] {
    auto a = mirror_args(cfg, state, prefix + "\\..*");
    a.push_back("--until-caught-up");
    a.push_back("--num.streams");
    a.push_back("2");
    return a;
  }(), 300s);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);

  size_t compared = 0;
  for (const auto& t : topics) {
    for (int32_t p = 0; p < 6; ++p) {
      auto src = dr::test::read_partition(primary, t, p);
      auto dst = dr::test::read_partition(standby, t, p);
      REQUIRE(src.size() == dst.size());
      for (size_t i = 0; i < src.size(); ++i) {
        CAPTURE(t);
        CAPTURE(p);
        CAPTURE(i);
        REQUIRE(dst[i].offset == src[i].offset);  // fresh target, gap-free source: same offsets
        REQUIRE(dst[i].key == src[i].key);
        REQUIRE(dst[i].value == src[i].value);
        REQUIRE(dst[i].headers == src[i].headers);
        REQUIRE(dst[i].timestamp_ms == src[i].timestamp_ms);
        REQUIRE(dst[i].timestamp_type == dr::kafka::TimestampType::create_time);
        ++compared;
      }
      auto rows = mapping_of(state, t, p);
      REQUIRE(rows.size() == 1);  // a gap-free stream is one segment
      CHECK(rows[0].source_start.value() == 0);
      CHECK(rows[0].target_start.value() == 0);
      CHECK(rows[0].length == static_cast<int64_t>(src.size()));
    }
  }
  CHECK(compared == kRecords);
  // Topic configs set on the source are copied to the target topics dr-mirror creates.
  dr::kafka::Admin admin(dr::test::client_config(standby, dr::kafka::ClientRole::admin));
  auto configs = admin.describe_topic_configs(topics[0], 10s);
  CHECK(configs["retention.ms"].value == "604800000");
  CHECK(configs["retention.ms"].set_on_topic);
}

TEST_CASE("dr-mirror maps a compacted source topic with real gaps exactly") {
  const auto primary = dr::test::cluster("primary");
  const auto standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  const std::string topic = dr::test::unique_topic("compacted");
  dr::test::create_topic(primary, topic, 2,
                         {{"cleanup.policy", "compact"}, {"segment.ms", "100"}, {"min.cleanable.dirty.ratio", "0.01"},
                          {"delete.retention.ms", "0"}, {"min.compaction.lag.ms", "0"}});
  // Rewrite the same keys many times, in rounds, so segments roll and the cleaner removes old values.
  for (int round = 0; round < 12; ++round) {
    std::vector<Record> batch;
    for (int k = 0; k < 80; ++k) {
      Record r;
      r.topic = topic;
      r.partition = k % 2;
      // Most keys are rewritten every round (compacted away); every 10th is unique and survives,
      // so the cleaned log keeps records with gaps between them.
      r.key = k % 10 == 0 ? fmt::format("u{}-{}", round, k) : fmt::format("k{}", k % 40);
      r.value = fmt::format("round{}-k{}", round, k);
      r.headers = {{"round", std::to_string(round)}};
      batch.push_back(std::move(r));
    }
    dr::test::produce(primary, batch);
    std::this_thread::sleep_for(150ms);
  }
  // Wait for the log cleaner to leave gaps in partition 0.
  std::vector<Record> src;
  auto deadline = std::chrono::steady_clock::now() + 120s;
  for (;;) {
    src = dr::test::read_partition(primary, topic, 0);
    const int64_t end = dr::test::end_offset(primary, topic, 0);
    if (static_cast<int64_t>(src.size()) < end - 50) break;  // a good part was compacted away
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, "the log cleaner left no gaps in time");
    std::this_thread::sleep_for(1s);
    dr::test::produce(primary, {Record{topic, 0, -1, std::string("roll"), std::string("x"), {}, 0, {}}});
  }
  MESSAGE("source partition 0 holds ", src.size(), " records below end offset ", dr::test::end_offset(primary, topic, 0));

  // A target topic that does not compact on its own, so the test compares against a stable copy
  // (dr-mirror would give a topic it creates the source's compaction settings).
  dr::test::create_topic(standby, topic, 2);
  auto cfg = dr::test::write_mirror_configs(dir.path, primary, standby, topic + "-mirror");
  const std::string state = dir.path + "/dr-state.db";
  auto args = mirror_args(cfg, state, topic);
  args.push_back("--until-caught-up");
  auto run = dr::test::run_tool("dr-mirror", args, 300s);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);

  for (int32_t p = 0; p < 2; ++p) {
    auto source = dr::test::read_partition(primary, topic, p);
    auto target = dr::test::read_partition(standby, topic, p);
    auto rows = mapping_of(state, topic, p);
    REQUIRE(!rows.empty());
    check_mapping_against_data(rows, source, target);
    if (p == 0) CHECK(rows.size() > 1);  // compaction gaps start new segments
    int64_t mapped = 0;
    for (const auto& r : rows) mapped += r.length;
    CHECK(mapped == static_cast<int64_t>(target.size()));
  }
}

TEST_CASE("dr-mirror refusals: clear errors and documented exit codes") {
  const auto primary = dr::test::cluster("primary");
  const auto standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  const std::string topic = dr::test::unique_topic("refuse");
  auto cfg = dr::test::write_mirror_configs(dir.path, primary, standby, topic + "-mirror");
  const std::string state = dir.path + "/dr-state.db";

  SUBCASE("same cluster with the identity rename loops forever: refused, exit 3") {
    auto loop = dr::test::write_mirror_configs(dir.path, primary, primary, topic + "-loop");
    auto r = dr::test::run_tool("dr-mirror", mirror_args(loop, state, topic));
    INFO(r.output);
    CHECK(r.exit_code == 3);
    CHECK(r.output.find("same cluster") != std::string::npos);
  }
  SUBCASE("target topic with fewer partitions: that topic is refused by name") {
    dr::test::create_topic(primary, topic, 6);
    dr::test::create_topic(standby, topic, 2);
    auto args = mirror_args(cfg, state, topic);
    args.push_back("--until-caught-up");
    auto r = dr::test::run_tool("dr-mirror", args);
    INFO(r.output);
    CHECK(r.exit_code == 3);
    CHECK(r.output.find("refusing topic " + topic) != std::string::npos);
    CHECK(r.output.find("2 partitions but the source has 6") != std::string::npos);
  }
  SUBCASE("bad regex: exit 2 naming the flag") {
    auto r = dr::test::run_tool("dr-mirror", mirror_args(cfg, state, "orders(["));
    INFO(r.output);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("--whitelist/--include") != std::string::npos);
  }
  SUBCASE("unreadable config file: exit 2 naming it") {
    auto args = mirror_args(cfg, state, topic);
    args[1] = dir.path + "/missing.properties";
    auto r = dr::test::run_tool("dr-mirror", args);
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(dir.path + "/missing.properties: cannot read config file") != std::string::npos);
  }
  SUBCASE("unknown property: exit 2 naming file:line") {
    dr::test::write_file(cfg.producer, "bootstrap.servers=" + standby.bootstrap + "\nbatch.size=16384\nfancy.feature=on\n");
    auto r = dr::test::run_tool("dr-mirror", mirror_args(cfg, state, topic));
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(cfg.producer + ":3: unknown property 'fancy.feature'") != std::string::npos);
  }
  SUBCASE("acks other than all is refused, not obeyed") {
    dr::test::write_file(cfg.producer, "bootstrap.servers=" + standby.bootstrap + "\nacks=1\n");
    auto r = dr::test::run_tool("dr-mirror", mirror_args(cfg, state, topic));
    CHECK(r.exit_code == 2);
    CHECK(r.output.find(cfg.producer + ":2: dr-mirror needs acks=all") != std::string::npos);
  }
  SUBCASE("a wrong alias or a fenced link: exit 3, and the state file is not written") {
    dr::test::create_topic(primary, topic, 1);
    auto args = mirror_args(cfg, state, topic);
    args.push_back("--until-caught-up");
    REQUIRE(dr::test::run_tool("dr-mirror", args).exit_code == 0);  // records the clusters and the link
    auto unchanged_by = [&](std::vector<std::string> a, const std::string& why) {
      const std::string bytes = dr::test::read_file(state);
      const auto mtime = std::filesystem::last_write_time(state);
      auto r = dr::test::run_tool("dr-mirror", a);
      INFO(r.output);
      CHECK(r.exit_code == 3);
      CHECK(r.output.find(why) != std::string::npos);
      CHECK(dr::test::read_file(state) == bytes);
      CHECK(std::filesystem::last_write_time(state) == mtime);
    };
    auto wrong_alias = args;
    wrong_alias[std::find(wrong_alias.begin(), wrong_alias.end(), "--target-alias") - wrong_alias.begin() + 1] = "primary";
    unchanged_by(wrong_alias, "alias 'primary' already names cluster id");
    {
      auto store = dr::store::StateStore::open(state, {.create_if_missing = false});
      dr::store::fence_link(store, dr::store::list_links(store).at(0).id, "test");
    }
    unchanged_by(args, "is failed_over");
  }
  SUBCASE("unreachable target: exit 1 after the deadline, naming the cluster") {
    dr::test::write_file(cfg.producer, "bootstrap.servers=127.0.0.1:1\n");
    auto args = mirror_args(cfg, state, topic);
    args.insert(args.end(), {"--unreachable-timeout-ms", "3000"});
    auto r = dr::test::run_tool("dr-mirror", args, 60s);
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("target cluster (127.0.0.1:1) unreachable") != std::string::npos);
  }
}
