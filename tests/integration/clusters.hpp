// Access to the real Kafka clusters started by scripts/kafka-clusters for the integration tests.
// A test that cannot find or reach its cluster fails; it never skips.
#pragma once

#include <string>

#include "dr/kafka/config.hpp"

namespace dr::test {

struct Cluster {
  std::string name;       // "primary", "standby"
  std::string bootstrap;  // 127.0.0.1:PORT
  std::string cluster_id; // as reported by the start script
};

// Reads $KAFKA_DR_CLUSTERS_DIR/clusters.env. Fails the test (throws) if it is missing.
Cluster cluster(const std::string& name);

kafka::ClientConfig client_config(const Cluster& c, kafka::ClientRole role);

// A topic name unique to this test run: "<prefix>-<pid>-<counter>-<millis>".
std::string unique_topic(const std::string& prefix);

}  // namespace dr::test
