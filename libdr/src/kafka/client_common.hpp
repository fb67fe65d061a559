// Shared set-up for every librdkafka client libdr creates (private).
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "dr/error.hpp"
#include "dr/kafka/config.hpp"
#include "kafka/handles.hpp"

namespace dr::kafka {

// dr::Error(access) when `err` says the cluster refused us: authentication failed (SASL
// credentials, a TLS handshake the certificates fail) or not authorized (ACLs). nullopt for every
// other error (outages, transient broker errors), which callers may retry. `reason` is librdkafka's
// text; the message starts with "authentication failed" or "not authorized" and names the cluster.
std::optional<Error> access_error(rd_kafka_resp_err_t err, std::string_view reason, const std::string& cluster);

// Passed to librdkafka as the client's opaque: logs and errors name the cluster.
struct ClientContext {
  std::string cluster;  // names the cluster in logs and errors; empty = describe_cluster() of the config
  // Admin clients are built from a consumer's or producer's config: librdkafka's warnings about
  // keys of the other role are noise there.
  bool quiet_role_warnings = false;
  virtual ~ClientContext() = default;

  // librdkafka reports a failed SASL login or TLS handshake only through the error callback (the
  // request that needed the connection just times out). The callback records it here, so a call
  // that timed out can throw the real cause instead of "did not answer". Thread-safe.
  void note_error(rd_kafka_resp_err_t err, const char* reason);
  std::optional<Error> access_failure() const;
  void clear_access_failure();

 private:
  mutable std::mutex access_mu_;
  std::optional<Error> access_failure_;  // guarded by access_mu_
};

// Creates a client: applies the config, routes librdkafka logs and errors to dr::log with the
// cluster named, and transfers the conf to librdkafka only on success.
KafkaHandle make_client(rd_kafka_type_t type, const ClientConfig& config, ClientContext& context,
                        void (*customize)(rd_kafka_conf_t*) = nullptr);

int timeout_ms(std::chrono::milliseconds t);

// Shared by the clients (client.cpp) and Admin (admin.cpp).
ErrorContext kafka_context(const std::string& cluster, rd_kafka_resp_err_t err);
// Every Kafka failure of the clients is thrown through here: ErrorKind::access for a refused login
// or ACL (in the error or reported earlier for this client), ErrorKind::kafka otherwise.
[[noreturn]] void throw_kafka(const ClientContext& client, std::string message, ErrorContext context);
// Serves the handle's error callbacks, then throws the access failure they reported, if any.
void throw_if_refused(rd_kafka_t* rk, const ClientContext& client);

}  // namespace dr::kafka
