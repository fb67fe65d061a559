// Admin calls against librdkafka's in-process mock cluster, for broker errors that real brokers
// give only at awkward moments (a coordinator moving, __consumer_offsets still being created).
#include <doctest/doctest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <chrono>
#include <string>

#include "dr/kafka/client.hpp"
#include "dr/kafka/config.hpp"
#include "kafka/handles.hpp"

using namespace std::chrono_literals;

namespace {

// A mock cluster of one broker, hosted by a client of its own.
struct MockCluster {
  dr::kafka::KafkaHandle host;
  rd_kafka_mock_cluster_t* cluster = nullptr;  // owned by `host`
  std::string bootstrap;

  MockCluster() {
    char errstr[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", errstr, sizeof errstr);
    host.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr));
    REQUIRE_MESSAGE(host, errstr);
    cluster = rd_kafka_handle_mock_cluster(host.get());
    REQUIRE(cluster != nullptr);
    bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  }
};

dr::kafka::Admin admin_for(const MockCluster& mock) {
  dr::kafka::ClientConfig config(dr::kafka::ClientRole::admin);
  config.set("bootstrap.servers", mock.bootstrap, {});
  // Producer properties in the file an Admin is made from are ignored, not fatal.
  config.set("linger.ms", "5", {});
  return dr::kafka::Admin(config, "mock cluster");
}

}  // namespace

TEST_CASE("admin: a NOT_COORDINATOR answer to OffsetFetch is retried, not a crash") {
  // librdkafka reacts to this error by asking the handle's consumer group to find its coordinator
  // again; on a handle without a group that dereferenced a null pointer (upstream issue 5040).
  MockCluster mock;
  auto admin = admin_for(mock);
  rd_kafka_mock_push_request_errors(mock.cluster, 9 /* OffsetFetch */, 3, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                                    RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR);
  const auto offsets = admin.list_group_offsets("billing", 30s);
  CHECK(offsets.empty());  // the group has committed nothing
}

TEST_CASE("admin: a NOT_COORDINATOR answer to OffsetCommit is retried") {
  MockCluster mock;
  auto admin = admin_for(mock);
  rd_kafka_mock_topic_create(mock.cluster, "orders", 2, 1);
  rd_kafka_mock_push_request_errors(mock.cluster, 8 /* OffsetCommit */, 2, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
                                    RD_KAFKA_RESP_ERR_NOT_COORDINATOR);
  std::map<std::string, std::vector<dr::kafka::GroupOffset>> commit{{"billing", {{"orders", 0, 7}, {"orders", 1, 9}}}};
  const auto failures = admin.alter_group_offsets(commit, 30s);
  CHECK(failures.empty());  // (the mock answers "all partitions" OffsetFetch with none, so no read-back here)
}
