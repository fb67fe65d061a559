// The records part of dr-resync on real clusters: a bounded read of a partition, the content
// comparison of a copied tail, and saved records replayed into another topic.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "dr/clock.hpp"
#include "dr/error.hpp"
#include "dr/kafka/client.hpp"
#include "dr/resync/record_range.hpp"
#include "dr/resync/replay.hpp"
#include "dr/resync/saved_records.hpp"
#include "dr/resync/tail_compare.hpp"
#include "integration/clusters.hpp"
#include "integration/data.hpp"

using namespace std::chrono_literals;
using dr::kafka::Record;
using dr::test::Cluster;

namespace {

// Records with every shape the format must keep: null key, null value, a null header value, a
// repeated header name, bytes that are not text.
std::vector<Record> varied(const std::string& topic, int32_t partition, const std::string& tag, int n) {
  std::vector<Record> out;
  const int64_t base = dr::now_ms() - 3'600'000;
  for (int i = 0; i < n; ++i) {
    Record r;
    r.topic = topic;
    r.partition = partition;
    if (i % 4 != 1) r.key = fmt::format("{}-{}", tag, i);
    if (i % 5 != 2) r.value = std::string("\0\xff\n\"", 4) + fmt::format("{} {}", tag, i);
    if (i % 3 == 0) r.headers = {{"h", fmt::format("{}", i)}, {"h", std::nullopt}, {"bin", std::string("\x01\x00", 2)}};
    r.timestamp_ms = base + i * 10;
    out.push_back(r);
  }
  return out;
}

std::vector<Record> read_range_all(const Cluster& c, const std::string& topic, int32_t partition, int64_t from,
                                   int64_t to) {
  std::vector<Record> out;
  dr::resync::read_range(dr::test::client_config(c, dr::kafka::ClientRole::consumer), c.name, topic, partition, from, to,
                         10s, [&](const Record& r) {
                           out.push_back(r);
                           return true;
                         });
  return out;
}

void check_same(const std::vector<Record>& got, const std::vector<Record>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("record ", i);
    CHECK(dr::resync::same_record(got[i], want[i]));
  }
}

}  // namespace

TEST_CASE("resync records: read_range returns exactly the offsets from..to-1 although the partition holds more") {
  const Cluster primary = dr::test::cluster("primary");
  const std::string topic = dr::test::unique_topic("range");
  dr::test::create_topic(primary, topic, 1);
  const auto sent = varied(topic, 0, "r", 20);
  dr::test::produce(primary, sent);
  REQUIRE(dr::test::end_offset(primary, topic, 0) == 20);

  const auto mid = read_range_all(primary, topic, 0, 5, 12);
  REQUIRE(mid.size() == 7);
  for (size_t i = 0; i < mid.size(); ++i) CHECK(mid[i].offset == static_cast<int64_t>(5 + i));
  check_same(mid, std::vector<Record>(sent.begin() + 5, sent.begin() + 12));

  CHECK(read_range_all(primary, topic, 0, 7, 7).empty());
  CHECK(read_range_all(primary, topic, 0, 19, 20).size() == 1);

  // Stopping early from the callback.
  int seen = 0;
  dr::resync::read_range(dr::test::client_config(primary, dr::kafka::ClientRole::consumer), "primary", topic, 0, 0, 20, 10s,
                         [&](const Record&) { return ++seen < 3; });
  CHECK(seen == 3);

  // A range past the end never fills: a bounded wait, then an error naming the partition.
  try {
    dr::resync::read_range(dr::test::client_config(primary, dr::kafka::ClientRole::consumer), "primary", topic, 0, 18, 25,
                           2s, [](const Record&) { return true; });
    FAIL("read_range past the end returned");
  } catch (const dr::Error& e) {
    CHECK(e.kind() == dr::ErrorKind::kafka);
    CHECK(e.context().topic == topic);
    CHECK(e.context().partition == 0);
    CHECK(e.context().cluster == "primary");
  }
}

TEST_CASE("resync records: match_tail finds the copied prefix of a tail that diverges after k records") {
  const Cluster primary = dr::test::cluster("primary");
  const Cluster standby = dr::test::cluster("standby");
  const std::string old_topic = dr::test::unique_topic("tail-old"), new_topic = dr::test::unique_topic("tail-new");
  dr::test::create_topic(primary, old_topic, 1);
  dr::test::create_topic(standby, new_topic, 1);
  constexpr int kCopied = 6;
  const auto old_records = varied(old_topic, 0, "t", 10);
  dr::test::produce(primary, old_records);
  // The standby: two records of its own first (offsets differ), then copies of the first kCopied,
  // then a record that differs from the old primary's next one only in its timestamp.
  std::vector<Record> on_standby = varied(new_topic, 0, "own", 2);
  for (int i = 0; i < kCopied; ++i) {
    Record r = old_records[i];
    r.topic = new_topic;
    on_standby.push_back(r);
  }
  Record almost = old_records[kCopied];
  almost.topic = new_topic;
  almost.timestamp_ms += 1;
  on_standby.push_back(almost);
  dr::test::produce(standby, on_standby);

  const auto old_config = dr::test::client_config(primary, dr::kafka::ClientRole::consumer);
  const auto new_config = dr::test::client_config(standby, dr::kafka::ClientRole::consumer);
  const dr::resync::TailSide old_side{&old_config, "primary", old_topic, 0, 10};
  const dr::resync::TailSide new_side{&new_config, "standby", new_topic, 2, 9};
  const auto matched = dr::resync::match_tail(old_side, new_side, 0, 10s);
  REQUIRE(matched.size() == kCopied);
  for (int i = 0; i < kCopied; ++i) {
    CHECK(matched[i].old_offset == dr::SourceOffset(i));
    CHECK(matched[i].new_offset == dr::TargetOffset(2 + i));
    CHECK(matched[i].timestamp_ms == old_records[i].timestamp_ms);
  }

  // The new side ending first: only what it holds matches.
  const dr::resync::TailSide short_side{&new_config, "standby", new_topic, 2, 5};
  CHECK(dr::resync::match_tail(old_side, short_side, 0, 10s).size() == 3);
  // Starting where nothing matches: the standby's own records.
  const dr::resync::TailSide own_side{&new_config, "standby", new_topic, 0, 9};
  CHECK(dr::resync::match_tail(old_side, own_side, 0, 10s).empty());
}

TEST_CASE("resync records: saved from a real topic, replayed into another, record by record, a second replay refused") {
  const Cluster primary = dr::test::cluster("primary");
  const Cluster standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  const std::string topic = dr::test::unique_topic("saved"), target = dr::test::unique_topic("replayed");
  dr::test::create_topic(primary, topic, 2);
  dr::test::create_topic(standby, target, 2);
  const auto p0 = varied(topic, 0, "a", 12), p1 = varied(topic, 1, "b", 7);
  dr::test::produce(primary, p0);
  dr::test::produce(primary, p1);

  const std::string save_dir = dir.path + "/saved";
  dr::resync::SaveManifest header;
  header.link = "primary->standby";
  header.old_primary_cluster_id = primary.cluster_id;
  header.new_primary_cluster_id = standby.cluster_id;
  header.resync_id = 1;
  header.created_ms = dr::now_ms();
  const auto config = dr::test::client_config(primary, dr::kafka::ClientRole::consumer);
  // Partition 0 from offset 4 (what the standby holds before that is not saved), partition 1 whole.
  const auto s0 = dr::resync::save_partition(config, "primary", save_dir, header, topic, 0, 4, 12, 10s);
  const auto s1 = dr::resync::save_partition(config, "primary", save_dir, header, topic, 1, 0, 7, 10s);
  CHECK(s0.records == 8);
  CHECK(s0.first_offset == 4);
  CHECK(s0.last_offset == 11);
  CHECK(s1.records == 7);
  // A rerun returns the saved entry as it is.
  CHECK(dr::resync::save_partition(config, "primary", save_dir, header, topic, 0, 4, 12, 10s) == s0);
  const auto manifest = dr::resync::read_manifest(save_dir);
  REQUIRE(manifest);
  CHECK(manifest->partitions.size() == 2);

  const std::string producer_config = dir.path + "/standby.properties";
  dr::test::write_file(producer_config, "bootstrap.servers=" + standby.bootstrap + "\n");
  dr::resync::ReplayOptions options;
  options.from_dir = save_dir;
  options.config = producer_config;
  options.topic = target;
  options.timeout_ms = 20000;
  const auto report = dr::resync::replay_saved(options);
  CHECK(report.records == 15);
  CHECK(report.files == 2);
  CHECK(report.cluster_id == standby.cluster_id);

  check_same(dr::test::read_partition(standby, target, 0), std::vector<Record>(p0.begin() + 4, p0.end()));
  check_same(dr::test::read_partition(standby, target, 1), p1);

  // Again into the same topic: refused before anything is produced.
  try {
    dr::resync::replay_saved(options);
    FAIL("a second replay was not refused");
  } catch (const dr::Error& e) {
    CHECK(e.kind() == dr::ErrorKind::refused);
    CHECK(std::string(e.what()).find("--force") != std::string::npos);
  }
  CHECK(dr::test::end_offset(standby, target, 0) == 8);
  CHECK(dr::test::end_offset(standby, target, 1) == 7);

  // A topic with too few partitions is refused, naming the partition, before anything is produced.
  const std::string narrow = dr::test::unique_topic("narrow");
  dr::test::create_topic(standby, narrow, 1);
  options.topic = narrow;
  try {
    dr::resync::replay_saved(options);
    FAIL("a topic with too few partitions was accepted");
  } catch (const dr::Error& e) {
    CHECK(e.kind() == dr::ErrorKind::bad_input);
    CHECK(e.context().partition == 1);
  }
  CHECK(dr::test::end_offset(standby, narrow, 0) == 0);
  // Unless the key chooses the partition.
  options.partition_by_key = true;
  CHECK(dr::resync::replay_saved(options).records == 15);
  CHECK(dr::test::end_offset(standby, narrow, 0) == 15);
}
