// Produce and consume through libdr's wrappers on two real Kafka clusters.
#include <doctest/doctest.h>

#include <chrono>

#include "dr/error.hpp"
#include "dr/kafka/client.hpp"
#include "integration/clusters.hpp"

using namespace std::chrono_literals;
using dr::kafka::ClientRole;
using dr::kafka::Record;

namespace {

std::vector<Record> sample_records(const std::string& topic, int n) {
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    Record r;
    r.topic = topic;
    r.partition = i % 3;
    if (i % 7 != 0) r.key = "key-" + std::to_string(i);  // some null keys
    if (i % 11 != 0) r.value = "value-" + std::to_string(i) + std::string(static_cast<size_t>(i % 50), 'v');  // tombstones
    r.headers = {{"trace", "t" + std::to_string(i)}, {"dup", "1"}, {"dup", std::nullopt}};
    r.timestamp_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count() - 60'000 + i;
    out.push_back(std::move(r));
  }
  return out;
}

void roundtrip(const dr::test::Cluster& c) {
  CAPTURE(c.name);
  CAPTURE(c.bootstrap);
  const std::string topic = dr::test::unique_topic("roundtrip");
  dr::kafka::Admin admin(dr::test::client_config(c, ClientRole::admin));
  admin.create_topic(topic, 3, -1, {{"cleanup.policy", "delete"}}, 30s);

  auto records = sample_records(topic, 300);
  {
    dr::kafka::Producer producer(dr::test::client_config(c, ClientRole::producer));
    for (const auto& r : records) producer.send(r);
    producer.flush(30s);
  }
  dr::kafka::Consumer consumer(dr::test::client_config(c, ClientRole::consumer));
  consumer.assign({{topic, 0, -2}, {topic, 1, -2}, {topic, 2, -2}});
  std::vector<std::vector<Record>> got(3);
  size_t total = 0;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (total < records.size() && std::chrono::steady_clock::now() < deadline) {
    if (auto r = consumer.poll(200ms)) {
      got.at(static_cast<size_t>(r->partition)).push_back(*r);
      ++total;
    }
  }
  REQUIRE(total == records.size());
  std::vector<size_t> next(3, 0);
  for (const auto& sent : records) {
    const auto& r = got[static_cast<size_t>(sent.partition)][next[static_cast<size_t>(sent.partition)]];
    CHECK(r.offset == static_cast<int64_t>(next[static_cast<size_t>(sent.partition)]));
    ++next[static_cast<size_t>(sent.partition)];
    CHECK(r.key == sent.key);
    CHECK(r.value == sent.value);
    CHECK(r.headers == sent.headers);
    CHECK(r.timestamp_ms == sent.timestamp_ms);
    CHECK(r.timestamp_type == dr::kafka::TimestampType::create_time);
  }
  auto w = admin.watermarks(topic, 0, 10s);
  CHECK(w.low == 0);
  CHECK(w.high == 100);
  bool listed = false;
  for (const auto& t : admin.list_topics(10s)) {
    if (t.name == topic) {
      listed = true;
      CHECK(t.partitions.size() == 3);
    }
  }
  CHECK(listed);
  admin.delete_topic(topic, 30s);
}

}  // namespace

TEST_CASE("two real clusters: distinct cluster ids, matching the start script's report") {
  auto primary = dr::test::cluster("primary");
  auto standby = dr::test::cluster("standby");
  dr::kafka::Admin a(dr::test::client_config(primary, ClientRole::admin));
  dr::kafka::Admin b(dr::test::client_config(standby, ClientRole::admin));
  const std::string id_a = a.cluster_id(20s);
  const std::string id_b = b.cluster_id(20s);
  MESSAGE("primary ", primary.bootstrap, " cluster id ", id_a, "; standby ", standby.bootstrap, " cluster id ", id_b);
  CHECK(!id_a.empty());
  CHECK(id_a != id_b);
  CHECK(id_a == primary.cluster_id);
  CHECK(id_b == standby.cluster_id);
}

TEST_CASE("produce and consume through libdr on the primary") { roundtrip(dr::test::cluster("primary")); }

TEST_CASE("produce and consume through libdr on the standby") { roundtrip(dr::test::cluster("standby")); }

TEST_CASE("an unreachable cluster is an error naming it, not a hang") {
  dr::kafka::ClientConfig config(ClientRole::admin);
  config.set_default("bootstrap.servers", "127.0.0.1:1");  // nothing listens on port 1
  dr::kafka::Admin admin(config);
  try {
    admin.cluster_id(2s);
    FAIL("expected an error");
  } catch (const dr::Error& e) {
    CHECK(e.kind() == dr::ErrorKind::kafka);
    CHECK(std::string(e.what()).find("127.0.0.1:1") != std::string::npos);
  }
}
