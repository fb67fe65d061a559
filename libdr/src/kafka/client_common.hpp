// Shared set-up for every librdkafka client libdr creates (private).
#pragma once

#include <chrono>
#include <string>

#include "dr/kafka/config.hpp"
#include "kafka/handles.hpp"

namespace dr::kafka {

// Passed to librdkafka as the client's opaque: logs and errors name the cluster.
struct ClientContext {
  std::string cluster;  // names the cluster in logs and errors; empty = describe_cluster() of the config
  // Admin clients are built from a consumer's or producer's config: librdkafka's warnings about
  // keys of the other role are noise there.
  bool quiet_role_warnings = false;
  virtual ~ClientContext() = default;
};

// Creates a client: applies the config, routes librdkafka logs and errors to dr::log with the
// cluster named, and transfers the conf to librdkafka only on success.
KafkaHandle make_client(rd_kafka_type_t type, const ClientConfig& config, ClientContext& context,
                        void (*customize)(rd_kafka_conf_t*) = nullptr);

int timeout_ms(std::chrono::milliseconds t);

}  // namespace dr::kafka
