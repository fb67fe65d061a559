#include "dr/kafka/client.hpp"

#include <algorithm>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "dr/error.hpp"
#include "dr/log.hpp"
#include "kafka/client_common.hpp"

namespace dr::kafka {

namespace {

void log_cb(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto* ctx = static_cast<ClientContext*>(rd_kafka_opaque(rk));
  if (ctx && ctx->quiet_role_warnings && std::string_view(fac) == "CONFWARN") return;
  const std::string& who = ctx ? ctx->cluster : std::string();
  if (level <= 3) dr::log::error("{}: librdkafka {}: {}", who, fac, buf);
  else if (level == 4) dr::log::warn("{}: librdkafka {}: {}", who, fac, buf);
  else if (level <= 6) dr::log::info("{}: librdkafka {}: {}", who, fac, buf);
  else dr::log::debug("{}: librdkafka {}: {}", who, fac, buf);
}

void error_cb(rd_kafka_t*, int err, const char* reason, void* opaque) {
  auto* ctx = static_cast<ClientContext*>(opaque);
  const auto code = static_cast<rd_kafka_resp_err_t>(err);
  if (ctx) ctx->note_error(code, reason);
  dr::log::warn("{}: {} ({}); librdkafka keeps retrying", ctx ? ctx->cluster : std::string(), reason, rd_kafka_err2name(code));
}

bool contains(std::string_view text, std::string_view what) { return text.find(what) != std::string_view::npos; }

Record to_record(const rd_kafka_message_t* m) {
  Record r;
  r.topic = rd_kafka_topic_name(m->rkt);
  r.partition = m->partition;
  r.offset = m->offset;
  if (m->key) r.key.emplace(static_cast<const char*>(m->key), m->key_len);
  if (m->payload) r.value.emplace(static_cast<const char*>(m->payload), m->len);
  rd_kafka_timestamp_type_t tstype;
  r.timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
  r.timestamp_type = tstype == RD_KAFKA_TIMESTAMP_CREATE_TIME       ? TimestampType::create_time
                     : tstype == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? TimestampType::log_append_time
                                                                    : TimestampType::none;
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    const char* name;
    const void* val;
    size_t size;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      Header h{name, std::nullopt};
      if (val) h.value.emplace(static_cast<const char*>(val), size);
      r.headers.push_back(std::move(h));
    }
  }
  return r;
}

PartitionListHandle to_list(const std::vector<TopicPartitionOffset>& tpos) {
  PartitionListHandle list{rd_kafka_topic_partition_list_new(static_cast<int>(tpos.size()))};
  for (const auto& t : tpos) rd_kafka_topic_partition_list_add(list.get(), t.topic.c_str(), t.partition)->offset = t.offset;
  return list;
}

}  // namespace

ErrorContext kafka_context(const std::string& cluster, rd_kafka_resp_err_t err) {
  return {.cluster = cluster, .kafka_error = rd_kafka_err2name(err)};
}

// Every Kafka failure of these clients is thrown through here. It becomes ErrorKind::access when
// the error itself is an authentication or authorization failure, or when librdkafka reported one
// for this client before the call failed (a request that timed out because the login was refused
// says so); anything else is ErrorKind::kafka.
[[noreturn]] void throw_kafka(const ClientContext& client, std::string message, ErrorContext context) {
  static const rd_kafka_resp_err_t kAccessCodes[] = {
      RD_KAFKA_RESP_ERR__AUTHENTICATION,           RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED,
      RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
      RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED};
  if (context.cluster.empty()) context.cluster = client.cluster;
  for (rd_kafka_resp_err_t code : kAccessCodes) {
    if (context.kafka_error != rd_kafka_err2name(code)) continue;
    if (auto e = access_error(code, message, context.cluster)) throw Error(ErrorKind::access, e->message(), std::move(context));
  }
  if (auto e = client.access_failure()) throw *e;
  throw Error(ErrorKind::kafka, std::move(message), std::move(context));
}

// Serves the handle's error callbacks (an admin handle has no other poller), then throws the
// authentication or authorization failure they reported, if any.
void throw_if_refused(rd_kafka_t* rk, const ClientContext& client) {
  rd_kafka_poll(rk, 0);
  if (auto e = client.access_failure()) throw *e;
}

std::optional<Error> access_error(rd_kafka_resp_err_t err, std::string_view reason, const std::string& cluster) {
  const char* what = nullptr;
  const char* hint = "";
  switch (err) {
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_SASL_MECHANISM:
    case RD_KAFKA_RESP_ERR_ILLEGAL_SASL_STATE:
      what = "authentication failed";
      hint = "check security.protocol, sasl.mechanism and the credentials (sasl.username, sasl.password)";
      break;
    case RD_KAFKA_RESP_ERR__SSL:
      // A handshake the certificates fail. A connection torn down mid-handshake (a broker that
      // restarts) is an outage, not a refusal: only certificate and protocol verdicts count.
      if (!(contains(reason, "certificate") || contains(reason, "verify") || contains(reason, "alert") ||
            contains(reason, "wrong version number") || contains(reason, "unsupported protocol") ||
            contains(reason, "no protocols available") || contains(reason, "handshake failure"))) {
        return std::nullopt;
      }
      what = "authentication failed (TLS handshake)";
      hint = "check ssl.ca.location, the broker's certificate and security.protocol";
      break;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_DELEGATION_TOKEN_AUTHORIZATION_FAILED:
      what = "not authorized";
      hint = "check the ACLs of this client's principal";
      break;
    default: return std::nullopt;
  }
  return Error(ErrorKind::access, fmt::format("{}: {} ({})", what, reason, hint),
               {.cluster = cluster, .kafka_error = rd_kafka_err2name(err)});
}

void ClientContext::note_error(rd_kafka_resp_err_t err, const char* reason) {
  auto e = access_error(err, reason ? reason : "", cluster);
  if (!e) return;
  std::lock_guard lock(access_mu_);
  access_failure_ = std::move(e);
}

std::optional<Error> ClientContext::access_failure() const {
  std::lock_guard lock(access_mu_);
  return access_failure_;
}

void ClientContext::clear_access_failure() {
  std::lock_guard lock(access_mu_);
  access_failure_.reset();
}

int timeout_ms(std::chrono::milliseconds t) {
  return static_cast<int>(std::clamp<int64_t>(t.count(), 0, 0x7fffffff));
}

std::string describe_cluster(const ClientConfig& config) {
  auto bs = config.get("bootstrap.servers");
  auto id = config.get("client.id");
  std::string servers = bs ? escape_control_bytes(*bs) : std::string("<no bootstrap.servers>");
  return id ? fmt::format("{} ({})", escape_control_bytes(*id), servers) : servers;
}

KafkaHandle make_client(rd_kafka_type_t type, const ClientConfig& config, ClientContext& context,
                        void (*customize)(rd_kafka_conf_t*)) {
  if (!config.get("bootstrap.servers")) {
    std::string files;
    for (const std::string& f : config.files()) files += (files.empty() ? "" : ", ") + escape_control_bytes(f);
    throw_bad_input(files.empty() ? fmt::format("{} config has no bootstrap.servers (no config file given; set it "
                                                "with -X bootstrap.servers=HOST:PORT)",
                                                to_string(config.role()))
                                  : fmt::format("{} config has no bootstrap.servers", to_string(config.role())),
                    {.file = files});
  }
  if (context.cluster.empty()) context.cluster = describe_cluster(config);
  ConfHandle conf = make_conf(config);
  rd_kafka_conf_set_log_cb(conf.get(), log_cb);
  rd_kafka_conf_set_error_cb(conf.get(), error_cb);
  rd_kafka_conf_set_opaque(conf.get(), &context);
  if (customize) customize(conf.get());
  char errstr[512];
  KafkaHandle rk{rd_kafka_new(type, conf.get(), errstr, sizeof errstr)};
  if (!rk) throw Error(ErrorKind::bad_input, fmt::format("cannot create Kafka client: {}", errstr), {.cluster = context.cluster});
  (void)conf.release();  // rd_kafka_new took ownership of the conf on success
  return rk;
}

// ---------------------------------------------------------------------------------------------
// Producer

struct Producer::Impl : ClientContext {
  KafkaHandle rk;
  std::mutex mu;
  std::optional<Error> first_failure;  // guarded by mu

  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
    auto* self = static_cast<Impl*>(static_cast<ClientContext*>(opaque));
    std::lock_guard lock(self->mu);
    if (!self->first_failure) {
      const auto refused = access_error(m->err, rd_kafka_err2str(m->err), self->cluster);
      self->first_failure.emplace(refused ? ErrorKind::access : ErrorKind::kafka,
                                  refused ? refused->message() : fmt::format("delivery failed: {}", rd_kafka_err2str(m->err)),
                                  ErrorContext{.cluster = self->cluster, .topic = rd_kafka_topic_name(m->rkt),
                                               .partition = m->partition, .kafka_error = rd_kafka_err2name(m->err)});
    }
  }
};

Producer::Producer(const ClientConfig& config, std::string label) : impl_(std::make_unique<Impl>()) {
  impl_->cluster = std::move(label);
  ClientConfig c = config;
  if (!c.get("acks")) c.set_default("acks", "all");
  if (!c.get("enable.idempotence")) c.set_default("enable.idempotence", "true");
  impl_->rk = make_client(RD_KAFKA_PRODUCER, c, *impl_, [](rd_kafka_conf_t* conf) {
    rd_kafka_conf_set_dr_msg_cb(conf, &Impl::on_delivery);
  });
}

Producer::~Producer() {
  if (impl_ && impl_->rk) rd_kafka_flush(impl_->rk.get(), 5000);
}

void Producer::send(const Record& r) {
  HeadersHandle hdrs;
  if (!r.headers.empty()) {
    hdrs.reset(rd_kafka_headers_new(r.headers.size()));
    for (const Header& h : r.headers) {
      rd_kafka_header_add(hdrs.get(), h.key.data(), static_cast<ssize_t>(h.key.size()), h.value ? h.value->data() : nullptr,
                          h.value ? static_cast<ssize_t>(h.value->size()) : 0);
    }
  }
  rd_kafka_vu_t vus[7];
  size_t n = 0;
  vus[n].vtype = RD_KAFKA_VTYPE_TOPIC;
  vus[n++].u.cstr = r.topic.c_str();
  vus[n].vtype = RD_KAFKA_VTYPE_PARTITION;
  vus[n++].u.i32 = r.partition;
  vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vus[n++].u.i = RD_KAFKA_MSG_F_COPY;
  vus[n].vtype = RD_KAFKA_VTYPE_KEY;
  vus[n].u.mem.ptr = r.key ? const_cast<char*>(r.key->data()) : nullptr;
  vus[n++].u.mem.size = r.key ? r.key->size() : 0;
  vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
  vus[n].u.mem.ptr = r.value ? const_cast<char*>(r.value->data()) : nullptr;
  vus[n++].u.mem.size = r.value ? r.value->size() : 0;
  vus[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
  vus[n++].u.i64 = r.timestamp_ms;
  if (hdrs) {
    vus[n].vtype = RD_KAFKA_VTYPE_HEADERS;
    vus[n++].u.headers = hdrs.get();
  }
  for (;;) {
    ErrorHandle produce_error{rd_kafka_produceva(impl_->rk.get(), vus, n)};
    rd_kafka_resp_err_t err = produce_error ? rd_kafka_error_code(produce_error.get()) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      (void)hdrs.release();  // librdkafka owns the headers once the message is queued
      break;
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(impl_->rk.get(), 100);
      continue;
    }
    ErrorContext ctx = kafka_context(impl_->cluster, err);
    ctx.topic = r.topic;
    ctx.partition = r.partition;
    throw_kafka(*impl_, fmt::format("cannot produce: {}", rd_kafka_err2str(err)), ctx);
  }
  rd_kafka_poll(impl_->rk.get(), 0);
}

void Producer::flush(std::chrono::milliseconds timeout) {
  rd_kafka_resp_err_t err = rd_kafka_flush(impl_->rk.get(), timeout_ms(timeout));
  std::lock_guard lock(impl_->mu);
  if (impl_->first_failure) {
    Error e = *impl_->first_failure;
    impl_->first_failure.reset();
    throw e;
  }
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    throw_kafka(*impl_,
                fmt::format("{} records still unacknowledged after {} ms", rd_kafka_outq_len(impl_->rk.get()), timeout.count()),
                kafka_context(impl_->cluster, err));
  }
}

// ---------------------------------------------------------------------------------------------
// Consumer

struct Consumer::Impl : ClientContext {
  KafkaHandle rk;
  bool closed = false;
};

Consumer::Consumer(const ClientConfig& config, std::string label) : impl_(std::make_unique<Impl>()) {
  impl_->cluster = std::move(label);
  ClientConfig c = config;
  if (!c.get("enable.auto.commit")) c.set_default("enable.auto.commit", "false");
  if (!c.get("group.id")) c.set_default("group.id", "kafka-dr-reader");
  impl_->rk = make_client(RD_KAFKA_CONSUMER, c, *impl_);
  rd_kafka_poll_set_consumer(impl_->rk.get());
}

Consumer::~Consumer() {
  if (impl_ && impl_->rk && !impl_->closed) close(std::chrono::seconds(5));
}

void Consumer::assign(const std::vector<TopicPartitionOffset>& partitions) {
  PartitionListHandle list = to_list(partitions);
  rd_kafka_resp_err_t err = rd_kafka_assign(impl_->rk.get(), list.get());
  if (err) throw_kafka(*impl_, "cannot assign partitions", kafka_context(impl_->cluster, err));
}

void Consumer::subscribe(const std::vector<std::string>& topics) {
  PartitionListHandle list{rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()))};
  for (const auto& t : topics) rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(impl_->rk.get(), list.get());
  if (err) throw_kafka(*impl_, "cannot subscribe", kafka_context(impl_->cluster, err));
}

std::optional<Record> Consumer::poll(std::chrono::milliseconds timeout) {
  MessageHandle m{rd_kafka_consumer_poll(impl_->rk.get(), timeout_ms(timeout))};
  if (!m) return std::nullopt;
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return std::nullopt;
  if (m->err) {
    ErrorContext ctx = kafka_context(impl_->cluster, m->err);
    if (m->rkt) ctx.topic = rd_kafka_topic_name(m->rkt);
    ctx.partition = m->partition;
    throw_kafka(*impl_, fmt::format("consume failed: {}", rd_kafka_message_errstr(m.get())), ctx);
  }
  return to_record(m.get());
}

std::optional<int64_t> Consumer::position(const std::string& topic, int32_t partition) {
  PartitionListHandle list{rd_kafka_topic_partition_list_new(1)};
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
  if (rd_kafka_position(impl_->rk.get(), list.get()) || list->elems[0].err || list->elems[0].offset < 0) {
    return std::nullopt;
  }
  return list->elems[0].offset;
}

void Consumer::commit(const std::vector<TopicPartitionOffset>& offsets) {
  PartitionListHandle list = to_list(offsets);
  rd_kafka_resp_err_t err = rd_kafka_commit(impl_->rk.get(), list.get(), 0);
  if (err) throw_kafka(*impl_, "cannot commit offsets", kafka_context(impl_->cluster, err));
}

void Consumer::close(std::chrono::milliseconds timeout) {
  if (impl_->closed) return;
  impl_->closed = true;
  // Close through a queue so the wait is bounded: an unreachable coordinator must not hang us.
  rd_kafka_t* rk = impl_->rk.get();
  QueueHandle q{rd_kafka_queue_new(rk)};
  ErrorHandle err{rd_kafka_consumer_close_queue(rk, q.get())};
  if (!err) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!rd_kafka_consumer_closed(rk) && std::chrono::steady_clock::now() < deadline) {
      EventHandle ev{rd_kafka_queue_poll(q.get(), 100)};
    }
  }
  if (err || !rd_kafka_consumer_closed(rk)) {
    dr::log::warn("{}: consumer did not close cleanly within {} ms; destroying it", impl_->cluster, timeout.count());
    q.reset();
    rd_kafka_destroy_flags(impl_->rk.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }
}

}  // namespace dr::kafka
