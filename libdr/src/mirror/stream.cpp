// dr-mirror's streams: one consumer each; see mirror/engine.hpp.
#include <cstring>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dr/log.hpp"
#include "mirror/engine.hpp"

namespace dr::mirror::detail {

namespace {

constexpr const char* kProvenanceHeader = "kafka-dr.source-cluster";
constexpr auto kWakeInterval = 2ms;  // FetchWaker: at most one wake-up request per 2 ms per stream

void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts, void* opaque) {
  auto* ctx = static_cast<StreamContext*>(static_cast<kafka::ClientContext*>(opaque));
  ctx->stream->on_rebalance(rk, err, parts);
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

}  // namespace

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
    kafka::ClientConfig config = engine_.source_config;
    config.set_default("group.instance.id", fmt::format("{}-{}", engine_.member_identity, index_));
    consumer_ = kafka::make_client(RD_KAFKA_CONSUMER, config, context_, [](rd_kafka_conf_t* conf) {
      rd_kafka_conf_set_rebalance_cb(conf, detail::on_rebalance);
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
  // Stop: let in-flight records land, persist, commit what is safe (nothing once fenced), leave the
  // group. Every wait is bounded: a dead source cluster cannot hold the stop.
  try {
    auto trackers = all_trackers();
    wait_drained(trackers);
    persist_and_commit(trackers, true);
  } catch (const Error& e) {
    engine_.fail(e);
  }
  rd_kafka_t* rk = consumer_.get();
  if (engine_.fenced()) {
    // Leaving the group needs the source cluster, which may be gone (a failover happened), and a
    // close in progress holds rd_kafka_destroy() until its LeaveGroup request times out. A fenced
    // link's group no longer matters: the coordinator drops the member after its session timeout.
    rd_kafka_destroy_flags(consumer_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    return;
  }
  leave_group();  // a static member: hand the partitions over now (membership.cpp)
  {
    kafka::QueueHandle q{rd_kafka_queue_new(rk)};
    kafka::ErrorHandle close_err{rd_kafka_consumer_close_queue(rk, q.get())};
    const auto deadline = std::min(Clock::now() + kCloseTimeout, std::max(engine_.shutdown_deadline(), Clock::now() + 1s));
    while (!close_err && !rd_kafka_consumer_closed(rk) && Clock::now() < deadline) {
      kafka::EventHandle ev{rd_kafka_queue_poll(q.get(), 100)};
      if (ev && rd_kafka_event_type(ev.get()) == RD_KAFKA_EVENT_REBALANCE) {
        on_rebalance(rk, rd_kafka_event_error(ev.get()), rd_kafka_event_topic_partition_list(ev.get()));
      }
    }
  }
  if (!rd_kafka_consumer_closed(rk)) {
    dr::log::warn("stream {}: consumer did not leave the group in time; the group coordinator drops it after its "
                  "session timeout",
                  index_);
    // rd_kafka_destroy() would close the consumer again, without a bound.
    rd_kafka_destroy_flags(consumer_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  }
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
    if (auto refused = kafka::access_error(m->err, rd_kafka_message_errstr(m), engine_.source_label)) throw *refused;
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
    if (engine_.fenced()) {  // a fenced mirror produces nothing more
      tracker.settle(slot, InFlight::State::cancelled, -1, RD_KAFKA_RESP_ERR__PURGE_QUEUE);
      return;
    }
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
      dr::log::warn("stream {}: records still in flight at the stop deadline; {}", index_,
                    engine_.fenced() ? "the link is fenced, they are not waited for" : "committing only what landed");
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

  // take -> persist -> confirm: until the store holds it, the mapping stays pending in the
  // trackers and their commit points stay where they were.
  std::vector<PendingMapping> taken;
  std::vector<store::PartitionMappingUpdate> updates;
  taken.reserve(trackers.size());
  for (size_t i = 0; i < trackers.size(); ++i) {
    taken.push_back(trackers[i]->take(positions->elems[i].offset));
    if (!taken.back().empty()) updates.push_back(taken.back().update);
  }
  if (!updates.empty() && !engine_.persist(updates)) return;  // not durable: the engine stops, nothing is committed
  for (size_t i = 0; i < trackers.size(); ++i) trackers[i]->confirm(taken[i]);
  // A fenced link's source offsets no longer matter (dr-resync starts a new link), and its
  // primary may be gone: no commit to wait for.
  if (!commit || engine_.state_unwritable() || engine_.fenced()) return;

  std::vector<std::pair<PartitionTracker*, int64_t>> commits;
  for (PartitionTracker* t : trackers) {
    const int64_t commit_at = t->commit_point();  // never beyond the durable mapping
    if (commit_at >= 0 && commit_at > t->committed) commits.emplace_back(t, commit_at);
  }
  if (commits.empty()) return;
  kafka::PartitionListHandle list{rd_kafka_topic_partition_list_new(static_cast<int>(commits.size()))};
  for (auto& [t, off] : commits) rd_kafka_topic_partition_list_add(list.get(), t->source_topic().c_str(), t->partition())->offset = off;
  // A bounded wait for the answer (a synchronous commit waits as long as the coordinator is gone).
  // An abandoned commit may still be applied later; either way it is at most the durable point.
  kafka::QueueHandle q{rd_kafka_queue_new(consumer_.get())};
  rd_kafka_resp_err_t err = rd_kafka_commit_queue(consumer_.get(), list.get(), q.get(), nullptr, nullptr);
  kafka::EventHandle answer;
  const auto deadline = std::min(Clock::now() + kCommitTimeout, std::max(engine_.shutdown_deadline(), Clock::now() + 1s));
  while (!err && !answer && Clock::now() < deadline && !engine_.fenced()) {
    kafka::EventHandle ev{rd_kafka_queue_poll(q.get(), 100)};
    if (ev && rd_kafka_event_type(ev.get()) == RD_KAFKA_EVENT_OFFSET_COMMIT) answer = std::move(ev);
  }
  if (!err && !answer) err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  if (!err) err = rd_kafka_event_error(answer.get());
  if (err) {
    dr::log::warn("{}: offset commit failed: {} ({}); retrying at the next interval", engine_.source_label,
                  rd_kafka_err2str(err), rd_kafka_err2name(err));
    return;
  }
  const rd_kafka_topic_partition_list_t* done = rd_kafka_event_topic_partition_list(answer.get());
  for (auto& [t, off] : commits) {
    const rd_kafka_topic_partition_t* tp =
        done ? rd_kafka_topic_partition_list_find(done, t->source_topic().c_str(), t->partition()) : nullptr;
    if (tp && tp->err == RD_KAFKA_RESP_ERR_NO_ERROR) t->committed = off;
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
      resume_from_mapping(rk, parts);
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

}  // namespace dr::mirror::detail
