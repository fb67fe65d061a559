// dr-mirror's engine; see dr/mirror/mirror.hpp for the contract.
#include "dr/mirror/mirror.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dr/clock.hpp"
#include "dr/error.hpp"
#include "dr/kafka/client.hpp"
#include "dr/log.hpp"
#include "dr/store/checkpoints.hpp"
#include "dr/store/links.hpp"
#include "dr/store/mirror_state.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/store/state_store.hpp"
#include "kafka/client_common.hpp"
#include "mirror/fetch_waker.hpp"
#include "mirror/partition_tracker.hpp"
#include "mirror/topic_selection.hpp"

namespace dr::mirror {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

constexpr const char* kProvenanceHeader = "kafka-dr.source-cluster";
constexpr auto kLivenessEvery = 5s;
constexpr auto kProgressEvery = 10s;
constexpr auto kAdminTimeout = 15s;
constexpr auto kWakeInterval = 2ms;  // FetchWaker: at most one wake-up request per 2 ms per stream

std::atomic<bool> g_stop_requested{false};

extern "C" void on_stop_signal(int) { g_stop_requested.store(true); }

// Topic configs worth copying to a new target topic when set on the source topic.
constexpr const char* kCopiedTopicConfigs[] = {
    "cleanup.policy",          "retention.ms",          "retention.bytes",         "max.message.bytes",
    "compression.type",        "message.timestamp.type", "message.timestamp.difference.max.ms",
    "message.timestamp.before.max.ms", "message.timestamp.after.max.ms", "min.compaction.lag.ms",
    "max.compaction.lag.ms",   "delete.retention.ms",   "min.cleanable.dirty.ratio", "segment.bytes",
    "segment.ms",              "segment.index.bytes",   "segment.jitter.ms",       "index.interval.bytes",
    "file.delete.delay.ms",
};

class Engine;

struct StreamContext : kafka::ClientContext {
  class Stream* stream = nullptr;
};

// One consumer of the mirror's group and the partitions it owns.
class Stream {
 public:
  Stream(Engine& engine, int index) : engine_(engine), index_(index) { context_.stream = this; }
  ~Stream();
  void start() { thread_ = std::thread([this] { run(); }); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  void release_trackers();  // after the producer let go of every record

  void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts);

 private:
  void run();
  void loop();
  void handle(rd_kafka_message_t* m);
  void produce(PartitionTracker& tracker, rd_kafka_message_t* m, int64_t timestamp_ms, rd_kafka_headers_t* headers,
               InFlight* slot);
  PartitionTracker* tracker_for(const rd_kafka_message_t* m);
  void persist_and_commit(const std::vector<PartitionTracker*>& trackers, bool commit);
  void wait_drained(const std::vector<PartitionTracker*>& trackers);
  std::vector<PartitionTracker*> all_trackers();
  std::vector<std::pair<std::string, int32_t>> assigned() const;
  void update_subscription();

  Engine& engine_;
  const int index_;
  StreamContext context_;
  kafka::KafkaHandle consumer_;
  std::unique_ptr<FetchWaker> waker_;  // stopped before the consumer closes
  std::thread thread_;
  std::map<std::pair<std::string, int32_t>, std::unique_ptr<PartitionTracker>> trackers_;
  std::vector<std::unique_ptr<PartitionTracker>> retired_;  // revoked with records still in flight
  const rd_kafka_topic_t* cached_rkt_ = nullptr;
  int32_t cached_partition_ = -1;
  PartitionTracker* cached_tracker_ = nullptr;
  uint64_t subscription_version_ = 0;
};

class Engine {
 public:
  explicit Engine(const MirrorOptions& options);
  ~Engine();
  MirrorSummary run();

  // Shared with streams.
  const MirrorOptions& opt;
  kafka::ClientConfig source_config{kafka::ClientRole::consumer};
  kafka::ClientConfig target_config{kafka::ClientRole::producer};
  std::string source_label, target_label;
  std::string source_id, target_id;
  std::string group_id;
  TrackerShared shared;
  std::atomic<bool> stop{false};
  std::atomic<bool> sync_requested{false};
  kafka::ClientContext producer_context;
  kafka::KafkaHandle producer;

  void fail(Error e);
  bool failed() {
    std::lock_guard lock(fatal_mu_);
    return fatal_.has_value();
  }
  std::optional<std::string> target_topic_for(const std::string& source_topic);
  // Subscription the streams should have; returns the version (streams compare theirs).
  uint64_t subscription_version() const { return subscription_version_.load(); }
  std::vector<std::string> subscription();
  void persist(std::span<const store::PartitionMappingUpdate> updates);
  Clock::time_point shutdown_deadline() const { return shutdown_deadline_; }

 private:
  void build_configs();
  std::string wait_for_cluster_id(kafka::Admin& admin);
  void open_state();
  void start_producer();
  void stop_producer();
  void stop_pipeline();  // streams drain, persist, commit and leave; then the producer; idempotent
  void sync_topics();
  void capture_end_offsets();
  bool caught_up();
  void check_fence();
  void check_liveness(kafka::Admin& admin, std::optional<Clock::time_point>& down_since);
  void heartbeat(const char* status);
  void prune_mapping();
  void checkpoint_groups();
  void log_progress();

  std::unique_ptr<kafka::Admin> source_admin_;
  std::unique_ptr<kafka::Admin> target_admin_;
  std::optional<TopicSelector> selector_;
  std::optional<std::regex> groups_;  // --groups; unset: every group but the mirror's own
  std::string source_alias_, target_alias_;
  std::optional<store::StateStore> store_;
  std::mutex store_mu_;
  store::Link link_;
  store::MirrorInstance instance_;

  std::mutex topics_mu_;
  std::map<std::string, std::string> target_names_;  // source topic -> target topic (mirrored now)
  std::vector<std::string> subscription_;
  std::atomic<uint64_t> subscription_version_{0};
  std::set<std::string> refused_topics_;
  std::vector<std::string> selected_topics_;  // every source topic the patterns select, mirrorable or not
  std::set<std::string> checked_timestamp_type_;

  std::map<std::pair<std::string, int32_t>, int64_t> end_offsets_at_start_;
  std::thread producer_poller_;
  std::atomic<bool> producer_poller_stop_{false};
  std::thread fence_watcher_;  // checks the link and heartbeats, independent of slow Kafka calls
  std::vector<std::unique_ptr<Stream>> streams_;
  std::mutex fatal_mu_;
  std::optional<Error> fatal_;
  Clock::time_point shutdown_deadline_ = Clock::time_point::max();
  uint64_t last_progress_count_ = 0;
  Clock::time_point last_progress_at_ = Clock::now();
};

// ---------------------------------------------------------------------------------------------
// Callbacks from librdkafka

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* slot = static_cast<InFlight*>(m->_private);
  if (slot == nullptr) return;
  slot->tracker->settle(slot, m->err ? InFlight::State::failed : InFlight::State::acked, m->offset, m->err);
}

void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* opaque) {
  auto* ctx = static_cast<StreamContext*>(static_cast<kafka::ClientContext*>(opaque));
  ctx->stream->on_rebalance(rk, err, parts);
}

void warn_log_append_time(const std::string& target) {
  dr::log::warn("target topic {} uses message.timestamp.type=LogAppendTime: the broker overwrites the source timestamps, "
                "so failover by timestamp (dr-failover --at) loses precision on it",
                target);
}

std::string describe_partitions(const rd_kafka_topic_partition_list_t* parts) {
  std::map<std::string, std::vector<int32_t>> by_topic;
  for (int i = 0; i < parts->cnt; ++i) by_topic[parts->elems[i].topic].push_back(parts->elems[i].partition);
  std::string out;
  for (auto& [t, ps] : by_topic) {
    std::sort(ps.begin(), ps.end());
    out += fmt::format("{}{}{}", out.empty() ? "" : " ", t, fmt::format("[{}]", fmt::join(ps, ",")));
  }
  return out.empty() ? "nothing" : out;
}

// ---------------------------------------------------------------------------------------------
// Stream

Stream::~Stream() {
  trackers_.clear();
  retired_.clear();
  consumer_.reset();
}

void Stream::release_trackers() {
  trackers_.clear();
  retired_.clear();
}

void Stream::run() {
  try {
    context_.cluster = engine_.source_label;
    consumer_ = kafka::make_client(RD_KAFKA_CONSUMER, engine_.source_config, context_, [](rd_kafka_conf_t* conf) {
      rd_kafka_conf_set_rebalance_cb(conf, dr::mirror::on_rebalance);
    });
    rd_kafka_poll_set_consumer(consumer_.get());
    waker_ = std::make_unique<FetchWaker>(consumer_.get(), kWakeInterval);
    loop();
  } catch (const Error& e) {
    engine_.fail(e);
  } catch (const std::exception& e) {
    engine_.fail(Error(ErrorKind::internal, fmt::format("stream {}: {}", index_, e.what())));
  }
  if (!consumer_) return;
  if (waker_) {
    dr::log::debug("stream {}: woke the fetcher {} time(s)", index_, waker_->wakeups());
    waker_.reset();
  }
  // Stop: let in-flight records land, persist, commit what is safe, leave the group.
  try {
    auto trackers = all_trackers();
    wait_drained(trackers);
    persist_and_commit(trackers, true);
  } catch (const Error& e) {
    engine_.fail(e);
  }
  rd_kafka_t* rk = consumer_.get();
  kafka::QueueHandle q{rd_kafka_queue_new(rk)};
  kafka::ErrorHandle close_err{rd_kafka_consumer_close_queue(rk, q.get())};
  auto deadline = Clock::now() + 10s;
  while (!close_err && !rd_kafka_consumer_closed(rk) && Clock::now() < deadline) {
    kafka::EventHandle ev{rd_kafka_queue_poll(q.get(), 100)};
    if (ev && rd_kafka_event_type(ev.get()) == RD_KAFKA_EVENT_REBALANCE) {
      on_rebalance(rk, rd_kafka_event_error(ev.get()), rd_kafka_event_topic_partition_list(ev.get()));
    }
  }
  if (!rd_kafka_consumer_closed(rk)) dr::log::warn("stream {}: consumer did not leave the group cleanly within 10 s", index_);
}

void Stream::loop() {
  const auto interval = milliseconds(engine_.opt.commit_interval_ms);
  auto next_persist = Clock::now() + interval;
  while (!engine_.stop.load(std::memory_order_relaxed)) {
    if (subscription_version_ != engine_.subscription_version()) update_subscription();
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_.get(), 0);
    if (!m) {
      // The queue is empty. When the source holds more for us, librdkafka's fetcher may be parked
      // for up to a second (fetch_waker.hpp): wake it, and look again soon.
      auto lagging = FetchWaker::lagging(consumer_.get(), assigned());
      const bool behind = !lagging.empty();
      waker_->nudge(std::move(lagging));
      m = rd_kafka_consumer_poll(consumer_.get(), behind ? 10 : 100);
    }
    if (m) handle(m);
    if (Clock::now() >= next_persist) {
      persist_and_commit(all_trackers(), true);
      next_persist = Clock::now() + interval;
    }
  }
}

void Stream::update_subscription() {
  subscription_version_ = engine_.subscription_version();
  auto topics = engine_.subscription();
  if (topics.empty()) {
    rd_kafka_unsubscribe(consumer_.get());
    return;
  }
  kafka::PartitionListHandle list{rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()))};
  for (const auto& t : topics) rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  if (rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer_.get(), list.get())) {
    throw Error(ErrorKind::kafka, fmt::format("cannot subscribe: {}", rd_kafka_err2str(err)),
                {.cluster = engine_.source_label, .kafka_error = rd_kafka_err2name(err)});
  }
}

PartitionTracker* Stream::tracker_for(const rd_kafka_message_t* m) {
  // The cache is cleared on every revocation, before a topic handle could go away.
  if (m->rkt == cached_rkt_ && m->partition == cached_partition_ && cached_tracker_) return cached_tracker_;
  auto it = trackers_.find({rd_kafka_topic_name(m->rkt), m->partition});
  if (it == trackers_.end()) return nullptr;
  cached_rkt_ = m->rkt;
  cached_partition_ = m->partition;
  cached_tracker_ = it->second.get();
  return cached_tracker_;
}

void Stream::handle(rd_kafka_message_t* m) {
  kafka::MessageHandle guard{m};
  if (m->err) {
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
    dr::log::warn("{}: consume error: {} ({}{})", engine_.source_label, rd_kafka_message_errstr(m), rd_kafka_err2name(m->err),
                  m->rkt ? fmt::format(", topic {} partition {}", rd_kafka_topic_name(m->rkt), m->partition) : "");
    if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
      char reason[512];
      rd_kafka_fatal_error(consumer_.get(), reason, sizeof reason);
      throw Error(ErrorKind::kafka, fmt::format("source consumer failed fatally: {}", reason), {.cluster = engine_.source_label});
    }
    return;
  }
  PartitionTracker* tracker = tracker_for(m);
  if (tracker == nullptr) {
    dr::log::warn("record from {}/{} that this stream does not own; left for its owner", rd_kafka_topic_name(m->rkt), m->partition);
    return;
  }
  rd_kafka_timestamp_type_t tstype;
  int64_t ts = rd_kafka_message_timestamp(m, &tstype);
  if (ts < 0) ts = 0;
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_detach_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) headers = nullptr;
  kafka::HeadersHandle header_guard{headers};
  if (engine_.opt.provenance) {
    const void* value = nullptr;
    size_t size = 0;
    if (headers && rd_kafka_header_get_last(headers, kProvenanceHeader, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (value && std::string_view(static_cast<const char*>(value), size) == engine_.target_id) {
        InFlight* slot = tracker->push(m->offset, ts);
        tracker->settle(slot, InFlight::State::filtered, -1, RD_KAFKA_RESP_ERR_NO_ERROR);
        return;  // came from the target cluster: mirroring it back would loop
      }
    } else {
      if (!headers) header_guard.reset(headers = rd_kafka_headers_new(1));
      rd_kafka_header_add(headers, kProvenanceHeader, -1, engine_.source_id.data(), static_cast<ssize_t>(engine_.source_id.size()));
    }
  }
  InFlight* slot = tracker->push(m->offset, ts);
  produce(*tracker, m, ts, header_guard.release(), slot);  // copies the value; `guard` frees the message now
}

void Stream::produce(PartitionTracker& tracker, rd_kafka_message_t* m, int64_t timestamp_ms, rd_kafka_headers_t* headers,
                     InFlight* slot) {
  rd_kafka_vu_t vus[8];
  size_t n = 0;
  vus[n].vtype = RD_KAFKA_VTYPE_RKT;
  vus[n++].u.rkt = tracker.target_rkt();
  vus[n].vtype = RD_KAFKA_VTYPE_PARTITION;
  vus[n++].u.i32 = m->partition;
  // The value is copied: holding consumed messages until their delivery reports would pin whole
  // fetch responses (up to fetch.max.bytes each) and made memory grow with throughput.
  vus[n].vtype = RD_KAFKA_VTYPE_VALUE;
  vus[n].u.mem.ptr = m->payload;
  vus[n++].u.mem.size = m->len;
  vus[n].vtype = RD_KAFKA_VTYPE_KEY;
  vus[n].u.mem.ptr = m->key;
  vus[n++].u.mem.size = m->key_len;
  vus[n].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
  vus[n++].u.i64 = timestamp_ms;
  vus[n].vtype = RD_KAFKA_VTYPE_OPAQUE;
  vus[n++].u.ptr = slot;
  vus[n].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  vus[n++].u.i = RD_KAFKA_MSG_F_COPY;
  if (headers) {
    vus[n].vtype = RD_KAFKA_VTYPE_HEADERS;
    vus[n++].u.headers = headers;
  }
  kafka::HeadersHandle header_guard{headers};  // librdkafka takes the headers only on success
  std::optional<Clock::time_point> unknown_since;
  for (;;) {
    kafka::ErrorHandle error{rd_kafka_produceva(engine_.producer.get(), vus, n)};
    if (!error) {
      (void)header_guard.release();
      return;
    }
    rd_kafka_resp_err_t err = rd_kafka_error_code(error.get());
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      // Back-pressure: the target is slower than the source. Wait for delivery reports.
      if (engine_.stop && Clock::now() > engine_.shutdown_deadline()) {
        tracker.settle(slot, InFlight::State::cancelled, -1, err);
        return;
      }
      std::this_thread::sleep_for(1ms);
      continue;
    }
    if (err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION || err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
      // The source topic grew (or is new) and the target has not caught up yet: ask for a sync.
      // Once the topic sync has grown the target, refresh the producer's view of the topic.
      if (!unknown_since) unknown_since = Clock::now();
      engine_.sync_requested = true;
      if (Clock::now() - *unknown_since < milliseconds(3 * engine_.opt.topic_refresh_ms) + 30s && !engine_.stop) {
        std::this_thread::sleep_for(500ms);
        const rd_kafka_metadata_t* md = nullptr;
        if (rd_kafka_metadata(engine_.producer.get(), 0, tracker.target_rkt(), &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          rd_kafka_metadata_destroy(md);
        }
        continue;
      }
    }
    dr::log::error("cannot produce to {}/{}: {}", tracker.target_topic(), m->partition, rd_kafka_error_string(error.get()));
    tracker.settle(slot, InFlight::State::failed, -1, err);
    return;
  }
}

std::vector<PartitionTracker*> Stream::all_trackers() {
  std::vector<PartitionTracker*> out;
  for (auto& [key, t] : trackers_) out.push_back(t.get());
  return out;
}

std::vector<std::pair<std::string, int32_t>> Stream::assigned() const {
  std::vector<std::pair<std::string, int32_t>> out;
  out.reserve(trackers_.size());
  for (const auto& [key, t] : trackers_) out.push_back(key);
  return out;
}

void Stream::wait_drained(const std::vector<PartitionTracker*>& trackers) {
  auto deadline = std::min(Clock::now() + milliseconds(engine_.opt.shutdown_timeout_ms), engine_.shutdown_deadline());
  for (;;) {
    bool drained = true;
    for (PartitionTracker* t : trackers) drained = drained && t->in_flight() == 0;
    if (drained) return;
    // After a fatal error some records never settle; stop waiting once the producer is empty.
    if (engine_.failed() && rd_kafka_outq_len(engine_.producer.get()) == 0) return;
    if (Clock::now() >= deadline) {
      dr::log::warn("stream {}: records still in flight after {} ms; committing only what landed", index_,
                    engine_.opt.shutdown_timeout_ms);
      return;
    }
    std::this_thread::sleep_for(5ms);
  }
}

void Stream::persist_and_commit(const std::vector<PartitionTracker*>& trackers, bool commit) {
  if (trackers.empty()) return;
  // The consumer position covers records that never reach the application (transaction markers);
  // it is safe to commit when nothing of the partition is in flight.
  kafka::PartitionListHandle positions{rd_kafka_topic_partition_list_new(static_cast<int>(trackers.size()))};
  for (PartitionTracker* t : trackers) rd_kafka_topic_partition_list_add(positions.get(), t->source_topic().c_str(), t->partition());
  rd_kafka_position(consumer_.get(), positions.get());

  std::vector<store::PartitionMappingUpdate> updates;
  std::vector<std::pair<PartitionTracker*, int64_t>> commits;
  for (int i = 0; i < static_cast<int>(trackers.size()); ++i) {
    PartitionTracker* t = trackers[static_cast<size_t>(i)];
    TrackerSnapshot snap = t->snapshot();
    int64_t commit_at = snap.next_commit;
    const int64_t position = positions->elems[i].offset;
    if (snap.idle && position >= 0 && position > commit_at) commit_at = position;
    if (!snap.update.segments.empty() || !snap.update.skipped.empty()) updates.push_back(std::move(snap.update));
    if (commit && commit_at >= 0 && commit_at > t->committed) commits.emplace_back(t, commit_at);
  }
  if (!updates.empty()) engine_.persist(updates);  // durable before any offset is committed
  if (commits.empty()) return;
  kafka::PartitionListHandle list{rd_kafka_topic_partition_list_new(static_cast<int>(commits.size()))};
  for (auto& [t, off] : commits) rd_kafka_topic_partition_list_add(list.get(), t->source_topic().c_str(), t->partition())->offset = off;
  rd_kafka_resp_err_t err = rd_kafka_commit(consumer_.get(), list.get(), 0);
  if (err) {
    dr::log::warn("{}: offset commit failed: {} ({}); retrying at the next interval", engine_.source_label,
                  rd_kafka_err2str(err), rd_kafka_err2name(err));
    return;
  }
  for (size_t i = 0; i < commits.size(); ++i) {
    if (list->elems[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) commits[i].first->committed = commits[i].second;
  }
}

void Stream::on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  try {
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      for (int i = 0; i < parts->cnt; ++i) {
        const auto& tp = parts->elems[i];
        auto target = engine_.target_topic_for(tp.topic);
        if (!target) throw Error(ErrorKind::internal, "assigned a topic that is not mirrored", {.topic = tp.topic});
        rd_kafka_topic_t* rkt = rd_kafka_topic_new(engine_.producer.get(), target->c_str(), nullptr);
        trackers_[{tp.topic, tp.partition}] =
            std::make_unique<PartitionTracker>(engine_.shared, tp.topic, tp.partition, *target, rkt);
      }
      dr::log::info("stream {}: assigned {}", index_, describe_partitions(parts));
      if (cooperative) {
        kafka::ErrorHandle e{rd_kafka_incremental_assign(rk, parts)};
        if (e) dr::log::error("stream {}: incremental assign failed: {}", index_, rd_kafka_error_string(e.get()));
      } else {
        rd_kafka_assign(rk, parts);
      }
      return;
    }
    const bool lost = rd_kafka_assignment_lost(rk);
    std::vector<PartitionTracker*> revoked;
    for (int i = 0; i < parts->cnt; ++i) {
      auto it = trackers_.find({parts->elems[i].topic, parts->elems[i].partition});
      if (it != trackers_.end()) revoked.push_back(it->second.get());
    }
    dr::log::info("stream {}: {} {}: finishing in-flight records, persisting the mapping{}", index_,
                  lost ? "lost" : "revoked", describe_partitions(parts), lost ? "" : " and committing");
    wait_drained(revoked);
    persist_and_commit(revoked, !lost);  // a lost partition belongs to someone else already
    for (int i = 0; i < parts->cnt; ++i) {
      auto it = trackers_.find({parts->elems[i].topic, parts->elems[i].partition});
      if (it == trackers_.end()) continue;
      if (it->second->in_flight() > 0) retired_.push_back(std::move(it->second));
      trackers_.erase(it);
    }
    cached_rkt_ = nullptr;
    cached_tracker_ = nullptr;
  } catch (const Error& e) {
    engine_.fail(e);
  }
  if (err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (cooperative) {
      kafka::ErrorHandle e{rd_kafka_incremental_unassign(rk, parts)};
    } else {
      rd_kafka_assign(rk, nullptr);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Engine

Engine::Engine(const MirrorOptions& options) : opt(options) {
  shared.abort_on_send_failure = opt.abort_on_send_failure;
  shared.fail = [this](Error e) { fail(std::move(e)); };
}

Engine::~Engine() {
  stop_pipeline();
  producer.reset();
}

void Engine::stop_pipeline() {
  stop = true;
  if (fence_watcher_.joinable()) fence_watcher_.join();
  for (auto& s : streams_) s->join();
  stop_producer();
  for (auto& s : streams_) s->release_trackers();  // after the producer let go of every record
  streams_.clear();
}

void Engine::fail(Error e) {
  {
    std::lock_guard lock(fatal_mu_);
    if (fatal_) return;
    dr::log::error("{}", e.what());
    fatal_ = std::move(e);
  }
  stop = true;
}

void Engine::build_configs() {
  source_config.apply_file(opt.consumer_config);
  target_config.apply_file(opt.producer_config);
  for (const std::string& x : opt.overrides) {
    if (x.starts_with("source.")) source_config.apply_override(x.substr(7));
    else if (x.starts_with("target.")) target_config.apply_override(x.substr(7));
    else throw_bad_input(fmt::format("'{}': prefix the key with source. or target. (e.g. -X target.linger.ms=10)", x), {.flag = "-X"});
  }
  for (const auto& w : source_config.warnings()) dr::log::warn("{}: {}", w.origin.to_string(), w.message);
  for (const auto& w : target_config.warnings()) dr::log::warn("{}: {}", w.origin.to_string(), w.message);
  auto need = [](const kafka::ClientConfig& c, const char* key, const std::string& file, const char* flag) {
    if (!c.get(key)) throw_bad_input(fmt::format("{} is required", key), {.file = file, .flag = flag});
  };
  need(source_config, "bootstrap.servers", opt.consumer_config, "--consumer.config");
  need(source_config, "group.id", opt.consumer_config, "--consumer.config");
  need(target_config, "bootstrap.servers", opt.producer_config, "--producer.config");
  group_id = *source_config.get("group.id");

  // What the at-least-once contract needs; a config that says otherwise is refused, not obeyed.
  auto require = [](kafka::ClientConfig& c, const char* key, const char* value, const std::string& file) {
    if (const kafka::ConfigEntry* e = c.find(key); e && e->value != value) {
      throw_bad_input(fmt::format("dr-mirror needs {}={} (found {}={})", key, value, key, e->value),
                      {.file = e->origin.file.empty() ? file : e->origin.file, .line = e->origin.line});
    }
    c.set_default(key, value);
  };
  require(target_config, "acks", "all", opt.producer_config);
  if (const kafka::ConfigEntry* e = target_config.find("acks"); e && e->value == "-1") target_config.set_default("acks", "all");
  require(target_config, "enable.idempotence", "true", opt.producer_config);
  require(source_config, "enable.auto.commit", "false", opt.consumer_config);
  require(source_config, "enable.auto.offset.store", "false", opt.consumer_config);
  auto set_if_unset = [](kafka::ClientConfig& c, const char* key, const std::string& value) {
    if (!c.get(key)) c.set_default(key, value);
  };
  set_if_unset(source_config, "auto.offset.reset", "earliest");
  set_if_unset(source_config, "isolation.level", "read_committed");
  set_if_unset(source_config, "partition.assignment.strategy", "cooperative-sticky");
  set_if_unset(source_config, "client.id", "dr-mirror");
  set_if_unset(source_config, "topic.metadata.refresh.interval.ms", std::to_string(opt.topic_refresh_ms));
  // Memory is bounded by what librdkafka may hold: the consumer queue (queued.max.messages.kbytes,
  // counted after decompression), one fetch response beyond it (fetch.max.bytes, counted
  // compressed: 256 KiB of highly compressible data can be 15 MB in memory), and the producer queue
  // (queue.buffering.max.kbytes). librdkafka's defaults (64 MiB, 50 MiB, 1 GiB) let a mirror grow
  // to hundreds of MB. Small fetches keep up locally because the FetchWaker wakes the fetcher as
  // soon as the queue runs dry; across a WAN one fetch per round trip is the limit, and
  // runbooks/mirror.md says how to size fetch.max.bytes for it.
  set_if_unset(source_config, "queued.max.messages.kbytes", "8192");
  // Small records cost more than their bytes (each has a few hundred bytes of librdkafka
  // bookkeeping), so the queues are capped in records too: 100-byte records reached 64-90 MB with
  // librdkafka's 100,000 and about 50 MB with 40,000, for some of their throughput (README).
  set_if_unset(source_config, "queued.min.messages", "40000");
  set_if_unset(target_config, "queue.buffering.max.messages", "40000");
  set_if_unset(source_config, "fetch.max.bytes", "262144");
  set_if_unset(source_config, "max.partition.fetch.bytes", "65536");
  if (!source_config.get("message.max.bytes")) {
    // librdkafka refuses a fetch.max.bytes below message.max.bytes (1000000 by default).
    const int64_t fetch_max = std::stoll(*source_config.get("fetch.max.bytes"));
    source_config.set_default("message.max.bytes", std::to_string(std::min<int64_t>(fetch_max, 1000000)));
  }
  set_if_unset(target_config, "queue.buffering.max.kbytes", "12288");
  set_if_unset(target_config, "client.id", "dr-mirror");
  set_if_unset(target_config, "linger.ms", "5");
  source_label = fmt::format("source cluster ({})", *source_config.get("bootstrap.servers"));
  target_label = fmt::format("target cluster ({})", *target_config.get("bootstrap.servers"));
}

std::string Engine::wait_for_cluster_id(kafka::Admin& admin) {
  const auto deadline = Clock::now() + milliseconds(opt.unreachable_timeout_ms);
  for (;;) {
    try {
      return admin.cluster_id(std::min<milliseconds>(10s, milliseconds(opt.unreachable_timeout_ms)));
    } catch (const Error& e) {
      if (Clock::now() >= deadline || g_stop_requested) {
        throw Error(ErrorKind::kafka,
                    fmt::format("{} unreachable for {} s (--unreachable-timeout-ms): {}", admin.label(),
                                opt.unreachable_timeout_ms / 1000, e.message()),
                    {.cluster = admin.label(), .kafka_error = e.context().kafka_error});
      }
      dr::log::warn("{} does not answer ({}); retrying for up to {} s", admin.label(), e.message(),
                    opt.unreachable_timeout_ms / 1000);
      std::this_thread::sleep_for(1s);
    }
  }
}

void Engine::open_state() {
  store_.emplace(store::StateStore::open(opt.state_path));
  source_alias_ = opt.source_alias.empty() ? source_id : opt.source_alias;
  target_alias_ = opt.target_alias.empty() ? target_id : opt.target_alias;
  std::lock_guard lock(store_mu_);
  store::record_cluster(*store_, source_id, source_alias_, *source_config.get("bootstrap.servers"));
  store::record_cluster(*store_, target_id, target_alias_, *target_config.get("bootstrap.servers"));
  link_ = store::ensure_link(*store_, source_id, target_id, opt.rename_template);
  if (link_.state != store::LinkState::active) {
    throw_refused(fmt::format("link {} is {} (epoch {}{}{}): a mirror of a fenced link must not run. After a failover "
                              "the way back is dr-resync",
                              link_.name, store::to_string(link_.state), link_.epoch, link_.state_reason.empty() ? "" : ": ",
                              link_.state_reason),
                  {.file = opt.state_path});
  }
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  const int64_t started = now_ms();
  instance_ = {fmt::format("{}:{}:{}", host, ::getpid(), started), link_.id, link_.epoch, host, ::getpid(), started, started,
               "starting"};
  store::heartbeat(*store_, instance_);
  dr::log::info("link {} (epoch {}), state file {}", link_.name, link_.epoch, store_->path());
  dr::log::info("memory: per stream a consumer queue of {} KiB or {} records plus one fetch of up to {} bytes "
                "(compressed) per source broker; a producer queue of {} KiB or {} records",
                *source_config.get("queued.max.messages.kbytes"), *source_config.get("queued.min.messages"),
                *source_config.get("fetch.max.bytes"), *target_config.get("queue.buffering.max.kbytes"),
                *target_config.get("queue.buffering.max.messages"));
}

void Engine::persist(std::span<const store::PartitionMappingUpdate> updates) {
  std::lock_guard lock(store_mu_);
  store::persist_mapping(*store_, link_.id, updates);
}

void Engine::heartbeat(const char* status) {
  instance_.status = status;
  instance_.link_epoch = link_.epoch;
  std::lock_guard lock(store_mu_);
  store::heartbeat(*store_, instance_);
}

void Engine::start_producer() {
  producer_context.cluster = target_label;
  producer = kafka::make_client(RD_KAFKA_PRODUCER, target_config, producer_context,
                                [](rd_kafka_conf_t* conf) { rd_kafka_conf_set_dr_msg_cb(conf, on_delivery); });
  producer_poller_ = std::thread([this] {
    while (!producer_poller_stop_) rd_kafka_poll(producer.get(), 100);
  });
}

void Engine::stop_producer() {
  if (!producer) return;
  if (producer_poller_.joinable()) {
    auto remaining = std::chrono::duration_cast<milliseconds>(shutdown_deadline_ - Clock::now());
    if (shutdown_deadline_ == Clock::time_point::max()) remaining = milliseconds(opt.shutdown_timeout_ms);
    rd_kafka_flush(producer.get(), kafka::timeout_ms(std::max<milliseconds>(remaining, 100ms)));
    if (rd_kafka_outq_len(producer.get()) > 0) {
      dr::log::warn("{}: {} records not acknowledged at shutdown; they will be mirrored again on restart",
                    target_label, rd_kafka_outq_len(producer.get()));
      rd_kafka_purge(producer.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      auto until = Clock::now() + 5s;
      while (rd_kafka_outq_len(producer.get()) > 0 && Clock::now() < until) rd_kafka_poll(producer.get(), 50);
    }
    producer_poller_stop_ = true;
    producer_poller_.join();
  }
}

std::optional<std::string> Engine::target_topic_for(const std::string& source_topic) {
  std::lock_guard lock(topics_mu_);
  auto it = target_names_.find(source_topic);
  if (it == target_names_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Engine::subscription() {
  std::lock_guard lock(topics_mu_);
  return subscription_;
}

void Engine::sync_topics() {
  auto source_topics = source_admin_->list_topics(kAdminTimeout);
  auto target_topics = target_admin_->list_topics(kAdminTimeout);
  std::map<std::string, int> target_partitions;
  for (const auto& t : target_topics) target_partitions[t.name] = static_cast<int>(t.partitions.size());
  std::set<std::string> produced_by_us;  // on a same-cluster link, our own targets must not be mirrored again
  {
    std::lock_guard lock(store_mu_);
    for (const auto& m : store::list_topics(*store_, link_.id)) produced_by_us.insert(m.target_topic);
  }
  std::vector<std::string> wanted;
  std::map<std::string, std::string> names;
  std::vector<std::string> selected;
  for (const auto& t : source_topics) {
    if (!selector_->selected(t.name)) continue;
    if (source_id == target_id && produced_by_us.count(t.name)) continue;
    selected.push_back(t.name);
    const std::string target = rename_topic(opt.rename_template, t.name, source_alias_, target_alias_);
    const int partitions = static_cast<int>(t.partitions.size());
    try {
      std::optional<store::TopicMapping> known;
      {
        std::lock_guard lock(store_mu_);
        known = store::find_topic(*store_, link_.id, t.name);
      }
      auto it = target_partitions.find(target);
      if (it == target_partitions.end()) {
        std::map<std::string, std::string> configs;
        auto source_configs = source_admin_->describe_topic_configs(t.name, kAdminTimeout);
        for (const char* key : kCopiedTopicConfigs) {
          auto c = source_configs.find(key);
          if (c != source_configs.end() && c->second.set_on_topic && !c->second.is_sensitive) configs[key] = c->second.value;
        }
        auto ts_type = configs.find("message.timestamp.type");
        if (ts_type != configs.end() && ts_type->second == "LogAppendTime") warn_log_append_time(target);
        checked_timestamp_type_.insert(target);  // a new topic has exactly the configs we gave it
        try {
          target_admin_->create_topic(target, partitions, opt.replication_factor, configs, kAdminTimeout);
          std::string copied;
          for (const auto& [k, v] : configs) copied += fmt::format("{}{}={}", copied.empty() ? ", configs " : ", ", k, v);
          dr::log::info("created target topic {} with {} partitions{}", target, partitions, copied);
        } catch (const Error& e) {
          if (e.context().kafka_error != "TOPIC_ALREADY_EXISTS") throw;  // another mirror process was faster
        }
      } else if (it->second < partitions) {
        if (!known) {
          if (refused_topics_.insert(t.name).second) {
            dr::log::error("refusing topic {}: target topic {} exists with {} partitions but the source has {}; dr-mirror "
                           "keeps partitions 1:1 and only grows topics it created. Grow it (kafka-topics --alter "
                           "--partitions {}) or delete it",
                           t.name, target, it->second, partitions, partitions);
          }
          continue;
        }
        target_admin_->create_partitions(target, partitions, kAdminTimeout);
        dr::log::info("source topic {} grew to {} partitions: grew target topic {} to match", t.name, partitions, target);
      }
      if (checked_timestamp_type_.insert(target).second) {
        auto cfg = target_admin_->describe_topic_configs(target, kAdminTimeout);
        auto ts = cfg.find("message.timestamp.type");
        if (ts != cfg.end() && ts->second.value == "LogAppendTime") warn_log_append_time(target);
      }
      if (!known || known->partitions != partitions || known->target_topic != target) {
        std::lock_guard lock(store_mu_);
        store::record_topic(*store_, link_.id, {t.name, target, partitions});
      }
      refused_topics_.erase(t.name);
      wanted.push_back(t.name);
      names[t.name] = target;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::io || e.kind() == ErrorKind::internal) throw;
      dr::log::error("topic {}: cannot prepare target topic {}: {}; retrying at the next topic refresh", t.name, target, e.what());
    }
  }
  std::lock_guard lock(topics_mu_);
  selected_topics_ = std::move(selected);
  for (auto& [s, t] : names) target_names_[s] = t;
  if (wanted != subscription_) {
    dr::log::info("mirroring {} topic(s): {}", wanted.size(), fmt::join(wanted, ", "));
    subscription_ = std::move(wanted);
    ++subscription_version_;
  }
}

void Engine::capture_end_offsets() {
  std::vector<std::string> topics;
  {
    std::lock_guard lock(topics_mu_);
    topics = selected_topics_;
  }
  const std::set<std::string> wanted(topics.begin(), topics.end());
  for (const auto& t : source_admin_->list_topics(kAdminTimeout)) {
    if (!wanted.count(t.name)) continue;
    for (const auto& p : t.partitions) {
      end_offsets_at_start_[{t.name, p.id}] = source_admin_->watermarks(t.name, p.id, kAdminTimeout).high;
    }
  }
  dr::log::info("--until-caught-up: waiting until {} partition(s) are mirrored up to their end offsets at start",
                end_offsets_at_start_.size());
}

bool Engine::caught_up() {
  std::map<std::pair<std::string, int32_t>, int64_t> committed;
  for (const auto& g : source_admin_->list_group_offsets(group_id, kAdminTimeout)) committed[{g.topic, g.partition}] = g.offset;
  for (const auto& [tp, end] : end_offsets_at_start_) {
    if (refused_topics_.count(tp.first)) continue;  // reported at the end
    auto it = committed.find(tp);
    if (it != committed.end() && it->second >= end) continue;
    if (source_admin_->watermarks(tp.first, tp.second, kAdminTimeout).low >= end) continue;  // nothing left to copy
    return false;
  }
  return true;
}

void Engine::check_fence() {
  std::optional<store::Link> now;
  {
    std::lock_guard lock(store_mu_);
    now = store::find_link_by_id(*store_, link_.id);
  }
  if (!now) throw Error(ErrorKind::refused, fmt::format("link {} vanished from the state file", link_.name), {.file = opt.state_path});
  if (now->state != store::LinkState::active || now->epoch != link_.epoch) {
    throw_refused(fmt::format("link {} was fenced (now {}, epoch {} -> {}{}{}): stopping this mirror", link_.name,
                              store::to_string(now->state), link_.epoch, now->epoch, now->state_reason.empty() ? "" : ": ",
                              now->state_reason),
                  {.file = opt.state_path});
  }
}

void Engine::check_liveness(kafka::Admin& admin, std::optional<Clock::time_point>& down_since) {
  try {
    admin.ping(5s);
    if (down_since) dr::log::info("{} answers again", admin.label());
    down_since.reset();
  } catch (const Error& e) {
    if (!down_since) down_since = Clock::now();
    auto down_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - *down_since).count();
    if (down_ms >= opt.unreachable_timeout_ms) {
      throw Error(ErrorKind::kafka,
                  fmt::format("{} unreachable for {} s (--unreachable-timeout-ms {}): {}", admin.label(), down_ms / 1000,
                              opt.unreachable_timeout_ms, e.message()),
                  {.cluster = admin.label(), .kafka_error = e.context().kafka_error});
    }
    dr::log::warn("{} unreachable for {} s ({}); retrying, giving up after {} s", admin.label(), down_ms / 1000, e.message(),
                  opt.unreachable_timeout_ms / 1000);
  }
}

void Engine::checkpoint_groups() {
  std::set<std::string> mirrored;
  {
    std::lock_guard lock(topics_mu_);
    for (const auto& [source, target] : target_names_) mirrored.insert(source);
  }
  if (mirrored.empty()) return;
  std::vector<std::string> groups;
  for (const std::string& g : source_admin_->list_groups(kAdminTimeout)) {
    if (g != group_id && (!groups_ || std::regex_match(g, *groups_))) groups.push_back(g);  // never the mirror's own
  }
  std::map<std::string, std::string> errors;
  auto offsets = source_admin_->list_group_offsets(groups, kAdminTimeout, &errors);
  const int64_t read_ms = now_ms();
  int recorded = 0;
  for (const auto& [group, list] : offsets) {
    std::vector<store::CommittedOffset> rows;
    for (const auto& o : list) {
      if (mirrored.count(o.topic)) rows.push_back({o.topic, o.partition, SourceOffset(o.offset)});
    }
    if (rows.empty()) continue;  // the group reads no mirrored topic
    std::lock_guard lock(store_mu_);
    store::record_checkpoints(*store_, link_.id, group, read_ms, rows);
    ++recorded;
  }
  for (const auto& [group, why] : errors) dr::log::warn("checkpoint of group {} failed: {}", group, why);
  dr::log::debug("checkpointed {} group(s)", recorded);
}

void Engine::prune_mapping() {
  std::vector<store::TopicMapping> topics;
  {
    std::lock_guard lock(store_mu_);
    topics = store::list_topics(*store_, link_.id);
  }
  int pruned = 0;
  for (const auto& t : topics) {
    for (int32_t p = 0; p < t.partitions; ++p) {
      const int64_t log_start = target_admin_->watermarks(t.target_topic, p, kAdminTimeout).low;
      std::lock_guard lock(store_mu_);
      pruned += store::prune_segments(*store_, link_.id, t.source_topic, p, TargetOffset(log_start));
    }
  }
  if (pruned > 0) dr::log::info("pruned {} mapping row(s) whose records are gone from the target", pruned);
}

void Engine::log_progress() {
  const uint64_t count = shared.mirrored.load();
  const double secs = std::chrono::duration<double>(Clock::now() - last_progress_at_).count();
  dr::log::info("mirrored {} records ({:.0f}/s), {} in flight, {} skipped, {} filtered", count,
                secs > 0 ? static_cast<double>(count - last_progress_count_) / secs : 0.0, rd_kafka_outq_len(producer.get()),
                shared.skipped.load(), shared.filtered.load());
  last_progress_count_ = count;
  last_progress_at_ = Clock::now();
}

MirrorSummary Engine::run() {
  build_configs();
  selector_.emplace(opt.include, opt.exclude);
  if (!opt.groups.empty()) groups_.emplace(opt.groups);
  source_admin_ = std::make_unique<kafka::Admin>(source_config, source_label);
  target_admin_ = std::make_unique<kafka::Admin>(target_config, target_label);
  source_id = wait_for_cluster_id(*source_admin_);
  target_id = wait_for_cluster_id(*target_admin_);
  dr::log::info("{} has cluster id {}; {} has cluster id {}", source_label, source_id, target_label, target_id);
  if (source_id == target_id && rename_topic(opt.rename_template, "t", "s", "d") == "t") {
    throw_refused(fmt::format("source and target are the same cluster ({}) and --rename is the identity: every record "
                              "would be mirrored onto itself forever. Point --producer.config at the standby, or "
                              "rename (e.g. --rename '{{source}}.{{topic}}')",
                              source_id),
                  {.flag = "--producer.config"});
  }
  open_state();
  start_producer();
  sync_topics();
  if (opt.until_caught_up) capture_end_offsets();
  for (int i = 0; i < opt.num_streams; ++i) streams_.push_back(std::make_unique<Stream>(*this, i));
  for (auto& s : streams_) s->start();
  heartbeat("running");
  // A failover fences the link: notice it within seconds, whatever the clusters are doing.
  fence_watcher_ = std::thread([this] {
    while (!stop) {
      for (int i = 0; i < 20 && !stop; ++i) std::this_thread::sleep_for(100ms);
      if (stop) break;
      try {
        check_fence();
        heartbeat("running");
      } catch (const Error& e) {
        fail(e);
      }
    }
  });

  MirrorSummary summary;
  auto last_sync = Clock::now(), last_liveness = Clock::now(), last_progress = Clock::now();
  auto last_prune = Clock::now();
  auto last_checkpoint = Clock::time_point{};  // the first checkpoint right away
  std::optional<Clock::time_point> source_down, target_down;
  try {
    while (!stop) {
      std::this_thread::sleep_for(100ms);
      if (g_stop_requested) {
        dr::log::info("stop requested: finishing in-flight records, persisting the mapping, committing offsets");
        break;
      }
      const auto now = Clock::now();
      if (now - last_liveness >= kLivenessEvery) {
        check_liveness(*source_admin_, source_down);
        check_liveness(*target_admin_, target_down);
        last_liveness = Clock::now();
      }
      if (source_down || target_down) continue;  // no slow calls to a cluster that does not answer
      // Housekeeping against the clusters: a Kafka failure is logged and retried next time.
      auto periodic = [&](Clock::time_point& last, milliseconds every, const char* what, auto&& task) {
        if (Clock::now() - last < every) return;
        try {
          task();
        } catch (const Error& e) {
          if (e.kind() != ErrorKind::kafka) throw;
          dr::log::warn("{} skipped: {}", what, e.what());
        }
        last = Clock::now();
      };
      if (sync_requested.exchange(false)) last_sync = Clock::time_point{};
      periodic(last_sync, milliseconds(opt.topic_refresh_ms), "topic refresh", [&] { sync_topics(); });
      periodic(last_prune, milliseconds(opt.prune_interval_ms), "mapping prune", [&] { prune_mapping(); });
      periodic(last_checkpoint, milliseconds(opt.checkpoint_interval_ms), "group checkpoint", [&] { checkpoint_groups(); });
      if (now - last_progress >= kProgressEvery) {
        log_progress();
        last_progress = now;
      }
      if (opt.until_caught_up && caught_up()) {
        dr::log::info("caught up: every partition is mirrored up to its end offset at start");
        summary.ending = MirrorSummary::Ending::caught_up;
        break;
      }
    }
  } catch (const Error& e) {
    fail(e);
  }
  if (!failed() && !source_down) {
    try {
      checkpoint_groups();  // where the groups stood when the mirror stopped
    } catch (const Error& e) {
      dr::log::warn("final group checkpoint skipped: {}", e.what());
    }
  }
  shutdown_deadline_ = Clock::now() + milliseconds(opt.shutdown_timeout_ms);
  stop_pipeline();
  log_progress();
  summary.records_mirrored = shared.mirrored.load();
  summary.records_skipped = shared.skipped.load();
  summary.records_filtered = shared.filtered.load();
  summary.topics = subscription();
  {
    std::lock_guard lock(fatal_mu_);
    try {
      heartbeat(!fatal_ ? "stopped" : fatal_->kind() == ErrorKind::refused ? "refused" : "failed");
    } catch (const Error& e) {
      dr::log::error("cannot record the final heartbeat: {}", e.what());
    }
    if (fatal_) throw *fatal_;
  }
  if (opt.until_caught_up && !refused_topics_.empty()) {
    throw_refused(fmt::format("caught up, but these topics were refused and not mirrored: {}", fmt::join(refused_topics_, ", ")));
  }
  return summary;
}

}  // namespace

void validate_options(const MirrorOptions& o) {
  if (o.consumer_config.empty()) throw_bad_input("required", {.flag = "--consumer.config"});
  if (o.producer_config.empty()) throw_bad_input("required", {.flag = "--producer.config"});
  TopicSelector selector(o.include, o.exclude);  // throws on a bad regex
  validate_rename_template(o.rename_template);
  if (!o.groups.empty()) {
    try {
      std::regex check(o.groups);
    } catch (const std::regex_error& e) {
      throw_bad_input(fmt::format("invalid regular expression '{}': {}", o.groups, e.what()), {.flag = "--groups"});
    }
  }
  for (const auto& [alias, flag] : {std::pair{o.source_alias, "--source-alias"}, std::pair{o.target_alias, "--target-alias"}}) {
    for (char c : alias) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
        throw_bad_input(fmt::format("alias '{}' may use letters, digits, '.', '_' and '-' only", alias), {.flag = flag});
      }
    }
  }
  auto positive = [](int64_t v, const char* flag) {
    if (v <= 0) throw_bad_input(fmt::format("must be positive (got {})", v), {.flag = flag});
  };
  positive(o.num_streams, "--num.streams");
  if (o.num_streams > 64) throw_bad_input("at most 64 streams per process", {.flag = "--num.streams"});
  positive(o.commit_interval_ms, "--offset.commit.interval.ms");
  positive(o.checkpoint_interval_ms, "--checkpoint-interval-ms");
  positive(o.topic_refresh_ms, "--topic-refresh-ms");
  positive(o.prune_interval_ms, "--prune-interval-ms");
  positive(o.unreachable_timeout_ms, "--unreachable-timeout-ms");
  positive(o.shutdown_timeout_ms, "--shutdown-timeout-ms");
  if (o.replication_factor == 0 || o.replication_factor < -1) {
    throw_bad_input("must be -1 (broker default) or positive", {.flag = "--replication-factor"});
  }
}

MirrorSummary run_mirror(const MirrorOptions& options) {
  validate_options(options);
  Engine engine(options);
  return engine.run();
}

void request_stop() noexcept { g_stop_requested.store(true); }

void install_stop_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace dr::mirror
