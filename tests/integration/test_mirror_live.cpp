// dr-mirror as a running daemon on real clusters: new topics, growing partitions, pruning,
// provenance loop prevention, and what happens to a record the target refuses.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "dr/kafka/client.hpp"
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

std::vector<Record> numbered(const std::string& topic, int32_t partition, int n, const std::string& tag) {
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(Record{topic, partition, -1, fmt::format("k{}", i), fmt::format("{}-{}", tag, i), {}, 0, {}});
  }
  return out;
}

// Waits until `pred` holds; false after the timeout.
template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (pred()) return true;
    } catch (const dr::Error&) {
      // not there yet (e.g. the target topic does not exist)
    }
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

int partition_count(const Cluster& c, const std::string& topic) {
  dr::kafka::Admin admin(dr::test::client_config(c, dr::kafka::ClientRole::admin));
  for (const auto& t : admin.list_topics(10s)) {
    if (t.name == topic) return static_cast<int>(t.partitions.size());
  }
  return 0;
}

std::vector<dr::store::OffsetSegment> rows_of(const std::string& state, const std::string& topic, int32_t p) {
  auto store = dr::store::StateStore::open(state, {.create_if_missing = false});
  return dr::store::load_segments(store, dr::store::list_links(store).at(0).id, topic, p);
}

std::vector<std::string> base_args(const dr::test::MirrorConfigs& cfg, const std::string& state, const std::string& include) {
  return {"--consumer.config", cfg.consumer, "--producer.config", cfg.producer, "--include", include, "--state", state,
          "--offset.commit.interval.ms", "200"};
}

}  // namespace

TEST_CASE("a running dr-mirror picks up new topics and partitions, and prunes the mapping") {
  const auto primary = dr::test::cluster("primary");
  const auto standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  const std::string prefix = dr::test::unique_topic("live");
  const std::string a = prefix + ".a", b = prefix + ".b";
  dr::test::create_topic(primary, a, 2);
  auto cfg = dr::test::write_mirror_configs(dir.path, primary, standby, prefix + "-mirror");
  const std::string state = dir.path + "/dr-state.db", log = dir.path + "/mirror.log";
  auto args = base_args(cfg, state, prefix + "\\..*");
  args.insert(args.end(), {"--topic-refresh-ms", "1000", "--prune-interval-ms", "1000"});
  dr::test::Background mirror("dr-mirror", args, log);

  dr::test::produce(primary, numbered(a, 0, 100, "a0"));
  REQUIRE_MESSAGE(eventually([&] { return dr::test::end_offset(standby, a, 0) == 100; }, 60s), dr::test::read_file(log));

  SUBCASE("new topic and grown partitions") {
    const auto created = std::chrono::steady_clock::now();
    dr::test::create_topic(primary, b, 3);
    dr::test::produce(primary, numbered(b, 2, 50, "b2"));
    REQUIRE_MESSAGE(eventually([&] { return dr::test::end_offset(standby, b, 2) == 50; }, 60s), dr::test::read_file(log));
    MESSAGE("new topic mirrored ", std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - created).count(),
            " ms after it was created (--topic-refresh-ms 1000)");
    CHECK(partition_count(standby, b) == 3);

    dr::kafka::Admin admin(dr::test::client_config(primary, dr::kafka::ClientRole::admin));
    admin.create_partitions(a, 4, 30s);
    dr::test::produce(primary, numbered(a, 3, 40, "a3"));
    REQUIRE_MESSAGE(eventually([&] { return dr::test::end_offset(standby, a, 3) == 40; }, 90s), dr::test::read_file(log));
    CHECK(partition_count(standby, a) == 4);
    auto copied = dr::test::read_partition(standby, a, 3);
    REQUIRE(copied.size() == 40);
    CHECK(*copied[39].value == "a3-39");
    CHECK(dr::test::read_file(log).find("grew target topic " + a) != std::string::npos);
  }
  SUBCASE("rows whose records left the target are pruned, the newest row stays") {
    // Another writer on the target makes the next mirrored record start a new row.
    dr::test::produce(standby, numbered(a, 0, 1, "foreign"));
    dr::test::produce(primary, numbered(a, 0, 10, "a0-more"));
    REQUIRE(eventually([&] { return rows_of(state, a, 0).size() == 2; }, 60s));
    dr::kafka::Admin admin(dr::test::client_config(standby, dr::kafka::ClientRole::admin));
    CHECK(admin.delete_records(a, 0, 101, 30s) == 101);  // the first 100 mirrored records and the foreign one
    REQUIRE_MESSAGE(eventually([&] { return rows_of(state, a, 0).size() == 1; }, 60s), dr::test::read_file(log));
    auto rows = rows_of(state, a, 0);
    CHECK(rows[0].source_start.value() == 100);
    CHECK(rows[0].target_start.value() == 101);
    CHECK(rows[0].length == 10);
  }
  mirror.terminate();
  CHECK(mirror.wait(60s) == 0);
}

TEST_CASE("--provenance: records that came from the target are never mirrored back") {
  const auto primary = dr::test::cluster("primary");
  const auto standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  const std::string topic = dr::test::unique_topic("active-active");
  dr::test::create_topic(primary, topic, 2);
  dr::test::create_topic(standby, topic, 2);
  dr::test::produce(primary, numbered(topic, 0, 30, "from-primary"));
  dr::test::produce(standby, numbered(topic, 1, 20, "from-standby"));

  // primary -> standby, then standby -> primary, both with provenance, in one state file.
  auto forward = dr::test::write_mirror_configs(dir.path, primary, standby, topic + "-fwd");
  auto args = base_args(forward, dir.path + "/state.db", topic);
  args.insert(args.end(), {"--provenance", "--until-caught-up"});
  auto r1 = dr::test::run_tool("dr-mirror", args);
  INFO(r1.output);
  REQUIRE(r1.exit_code == 0);
  auto on_standby = dr::test::read_partition(standby, topic, 0);
  REQUIRE(on_standby.size() == 30);
  REQUIRE(on_standby[0].headers.size() == 1);
  CHECK(on_standby[0].headers[0].key == "kafka-dr.source-cluster");
  CHECK(on_standby[0].headers[0].value == primary.cluster_id);

  std::filesystem::create_directories(dir.path + "/back");
  auto back = dr::test::write_mirror_configs(dir.path + "/back", standby, primary, topic + "-back");
  args = base_args(back, dir.path + "/state.db", topic);
  args.insert(args.end(), {"--provenance", "--until-caught-up"});
  auto r2 = dr::test::run_tool("dr-mirror", args);
  INFO(r2.output);
  REQUIRE(r2.exit_code == 0);
  CHECK(r2.output.find("20 records mirrored, 0 skipped, 30 filtered") != std::string::npos);
  CHECK(dr::test::end_offset(primary, topic, 0) == 30);  // nothing came back
  auto on_primary = dr::test::read_partition(primary, topic, 1);
  REQUIRE(on_primary.size() == 20);
  CHECK(on_primary[0].headers[0].value == standby.cluster_id);
}

TEST_CASE("a record the target refuses: abort.on.send.failure decides, and nothing is silent") {
  const auto primary = dr::test::cluster("primary");
  const auto standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  const std::string topic = dr::test::unique_topic("refused-record");
  dr::test::create_topic(primary, topic, 1);
  dr::test::create_topic(standby, topic, 1, {{"max.message.bytes", "2000"}});
  auto records = numbered(topic, 0, 10, "small");
  records[4].value = std::string(20000, 'x');  // source offset 4 is too large for the target topic
  dr::test::produce(primary, records);
  auto cfg = dr::test::write_mirror_configs(dir.path, primary, standby, topic + "-mirror");
  const std::string state = dir.path + "/dr-state.db";
  // The broker refuses whole batches: one record per batch, so only the large record is refused.
  const std::vector<std::string> one_per_batch{"-X", "target.batch.num.messages=1", "-X", "target.linger.ms=0"};

  SUBCASE("true (default): stop, name the record, commit only below it") {
    auto args = base_args(cfg, state, topic);
    args.push_back("--until-caught-up");
    args.insert(args.end(), one_per_batch.begin(), one_per_batch.end());
    auto r = dr::test::run_tool("dr-mirror", args);
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find(fmt::format("topic {}, partition 0, offset 4, error MSG_SIZE_TOO_LARGE", topic)) != std::string::npos);
    dr::kafka::Admin admin(dr::test::client_config(primary, dr::kafka::ClientRole::admin));
    auto committed = admin.list_group_offsets(topic + "-mirror", 10s);
    REQUIRE(committed.size() == 1);
    CHECK(committed[0].offset == 4);
    auto rows = rows_of(state, topic, 0);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].length == 4);
  }
  SUBCASE("false: skip it, record it in the state file, mirror the rest") {
    auto args = base_args(cfg, state, topic);
    args.insert(args.end(), {"--abort.on.send.failure", "false", "--until-caught-up"});
    args.insert(args.end(), one_per_batch.begin(), one_per_batch.end());
    auto r = dr::test::run_tool("dr-mirror", args);
    INFO(r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find("skipping source record " + topic + "/0@4") != std::string::npos);
    auto target = dr::test::read_partition(standby, topic, 0);
    CHECK(target.size() == 9);
    auto store = dr::store::StateStore::open(state, {.create_if_missing = false});
    auto skipped = dr::store::load_skipped(store, dr::store::list_links(store).at(0).id, topic, 0);
    REQUIRE(skipped.size() == 1);
    CHECK(skipped[0].source_offset.value() == 4);
    CHECK(skipped[0].error == "MSG_SIZE_TOO_LARGE");
  }
}

TEST_CASE("two dr-mirror processes share the partitions, a graceful hand-over copies nothing twice") {
  const auto primary = dr::test::cluster("primary");
  const auto standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  const std::string topic = dr::test::unique_topic("shared");
  dr::test::create_topic(primary, topic, 6);
  auto cfg = dr::test::write_mirror_configs(dir.path, primary, standby, topic + "-mirror");
  const std::string state = dir.path + "/dr-state.db";
  const std::string log_a = dir.path + "/a.log", log_b = dir.path + "/b.log";
  // One host, one link: each process needs its own static membership identity.
  auto args_a = base_args(cfg, state, topic), args_b = args_a;
  args_a.insert(args_a.end(), {"--instance-id", "mirror-a"});
  args_b.insert(args_b.end(), {"--instance-id", "mirror-b"});
  dr::test::Background a("dr-mirror", args_a, log_a);
  dr::test::Background b("dr-mirror", args_b, log_b);

  std::vector<Record> records;
  for (int32_t p = 0; p < 6; ++p) {
    auto part = numbered(topic, p, 5000, fmt::format("p{}", p));
    records.insert(records.end(), part.begin(), part.end());
  }
  dr::test::produce(primary, records);
  // Both processes own partitions once the group settles.
  REQUIRE_MESSAGE(eventually([&] {
    return dr::test::read_file(log_a).find("assigned " + topic) != std::string::npos &&
           dr::test::read_file(log_b).find("assigned " + topic) != std::string::npos;
  }, 60s), dr::test::read_file(log_a) << dr::test::read_file(log_b));
  // Stop one in the middle of the stream: it finishes, persists and commits what it owns, and the
  // other takes its partitions over from exactly there.
  a.terminate();
  REQUIRE(a.wait(60s) == 0);
  dr::test::produce(primary, numbered(topic, 0, 1000, "after"));
  REQUIRE_MESSAGE(eventually([&] {
    int64_t sum = 0;
    for (int32_t p = 0; p < 6; ++p) sum += dr::test::end_offset(standby, topic, p);
    return sum >= 31000;
  }, 90s), dr::test::read_file(log_b));
  std::this_thread::sleep_for(1s);
  b.terminate();
  REQUIRE(b.wait(60s) == 0);
  for (int32_t p = 0; p < 6; ++p) {
    auto source = dr::test::read_partition(primary, topic, p);
    auto target = dr::test::read_partition(standby, topic, p);
    CAPTURE(p);
    REQUIRE(target.size() == source.size());  // nothing lost, nothing twice
    for (size_t i = 0; i < source.size(); ++i) REQUIRE(*target[i].value == *source[i].value);
    CHECK(rows_of(state, topic, p).size() == 1);
  }
  CHECK(dr::test::read_file(log_a).find("revoked") != std::string::npos);
}
