// Which librdkafka errors are refusals (authentication, authorization) that no retry fixes.
#include <doctest/doctest.h>

#include <librdkafka/rdkafka.h>

#include "dr/error.hpp"
#include "kafka/client_common.hpp"

using dr::kafka::access_error;

TEST_CASE("access_error: failed logins and ACL refusals are access errors that name the cluster") {
  auto sasl = access_error(RD_KAFKA_RESP_ERR__AUTHENTICATION,
                           "SASL authentication error: Authentication failed due to invalid credentials", "source (127.0.0.1:9092)");
  REQUIRE(sasl);
  CHECK(sasl->kind() == dr::ErrorKind::access);
  CHECK(dr::exit_code_for(sasl->kind()) == dr::exit_failure);
  CHECK(std::string(sasl->what()).starts_with("authentication failed: SASL authentication error"));
  CHECK(std::string(sasl->what()).find("source (127.0.0.1:9092)") != std::string::npos);
  CHECK(sasl->context().kafka_error == "_AUTHENTICATION");

  auto topic = access_error(RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, "Topic authorization failed", "target");
  REQUIRE(topic);
  CHECK(std::string(topic->what()).starts_with("not authorized: "));
  for (auto err : {RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED,
                   RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED}) {
    CAPTURE(rd_kafka_err2name(err));
    CHECK(access_error(err, "x", "c"));
  }
  auto cert = access_error(RD_KAFKA_RESP_ERR__SSL, "SSL handshake failed: error:0A000086:SSL routines::certificate verify failed", "c");
  REQUIRE(cert);
  CHECK(std::string(cert->what()).starts_with("authentication failed (TLS handshake)"));
}

TEST_CASE("access_error: outages and transient errors are not access errors") {
  CHECK_FALSE(access_error(RD_KAFKA_RESP_ERR__TRANSPORT, "Connection refused", "c"));
  CHECK_FALSE(access_error(RD_KAFKA_RESP_ERR__TIMED_OUT, "timed out", "c"));
  CHECK_FALSE(access_error(RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, "all brokers down", "c"));
  CHECK_FALSE(access_error(RD_KAFKA_RESP_ERR_NOT_COORDINATOR, "not coordinator", "c"));
  // A broker that goes away in the middle of a handshake is an outage.
  CHECK_FALSE(access_error(RD_KAFKA_RESP_ERR__SSL, "SSL handshake failed: Disconnected: connection reset by peer", "c"));
}
