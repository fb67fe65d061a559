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

// The SASL_SSL listener (SCRAM-SHA-512) of a cluster started with `kafka-clusters start --sasl-ssl`,
// as clusters.env describes it. Fails the test (throws) if the fixture has none.
struct SaslSslListener {
  std::string bootstrap;    // 127.0.0.1:PORT
  std::string ca_location;  // PEM file of the CA that signed the broker's certificate
  std::string user;         // a SCRAM user with every right
  std::string denied_user;  // a SCRAM user for ACL tests (same password)
  std::string password;
};
SaslSslListener sasl_ssl_listener(const std::string& name);

// The fixture's brokers, for fault tests: the pid scripts/kafka-clusters keeps in
// $KAFKA_DR_CLUSTERS_DIR/NAME/kafka.pid (throws if the broker is not running), and its stop
// (SIGTERM, or SIGKILL with kill) and start commands for one cluster. A restarted broker keeps its
// data, ports and cluster id. Both throw if the script fails.
int broker_pid(const std::string& name);
void stop_broker(const std::string& name, bool kill);
void start_broker(const std::string& name);

// The Kafka release the fixture's cluster runs ("3.9.2", "4.3.1"): its major version decides
// where a tool class lives (Kafka 4 moved several from kafka.admin to org.apache.kafka.tools).
std::string kafka_version(const std::string& name);
// Runs a Kafka Java tool on the fixture's class path (scripts/kafka-clusters run-class --dir);
// `args` is a shell-quoted argument string. Throws if it fails.
void run_kafka_class(const std::string& java_class, const std::string& args);

// A topic name unique to this test run: "<prefix>-<pid>-<counter>-<millis>".
std::string unique_topic(const std::string& prefix);

}  // namespace dr::test
