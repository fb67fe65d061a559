#include "mirror/partition_tracker.hpp"

#include <fmt/format.h>

#include "dr/log.hpp"

namespace dr::mirror {

PartitionTracker::PartitionTracker(TrackerShared& shared, std::string source_topic, int32_t partition,
                                   std::string target_topic, rd_kafka_topic_t* target_rkt)
    : shared_(shared),
      source_topic_(std::move(source_topic)),
      partition_(partition),
      target_topic_(std::move(target_topic)),
      target_rkt_(target_rkt) {}

PartitionTracker::~PartitionTracker() {
  if (target_rkt_) rd_kafka_topic_destroy(target_rkt_);
}

InFlight* PartitionTracker::push(int64_t source_offset, int64_t timestamp_ms) {
  std::lock_guard lock(mu_);
  InFlight& f = queue_.emplace_back();
  f.tracker = this;
  f.source_offset = source_offset;
  f.timestamp_ms = timestamp_ms;
  return &f;
}

void PartitionTracker::settle(InFlight* slot, InFlight::State state, int64_t target_offset, rd_kafka_resp_err_t error) {
  std::lock_guard lock(mu_);
  slot->state = state;
  slot->target_offset = target_offset;
  slot->error = error;
  advance();
}

void PartitionTracker::advance() {
  while (!queue_.empty()) {
    InFlight& f = queue_.front();
    if (f.state == InFlight::State::pending || f.state == InFlight::State::cancelled) return;
    if (f.state == InFlight::State::failed) {
      if (shared_.abort_on_send_failure) {
        if (!blocked_) {
          blocked_ = true;
          shared_.fail(Error(ErrorKind::kafka,
                             fmt::format("delivery to the target failed permanently: {} (abort.on.send.failure=true: "
                                         "stopping; offsets are committed only below this record)",
                                         rd_kafka_err2str(f.error)),
                             {.topic = source_topic_, .partition = partition_, .offset = f.source_offset,
                              .kafka_error = rd_kafka_err2name(f.error)}));
        }
        return;
      }
      dr::log::warn("skipping source record {}/{}@{}: delivery failed: {} (abort.on.send.failure=false; recorded in "
                    "the state file)",
                    source_topic_, partition_, f.source_offset, rd_kafka_err2str(f.error));
      skipped_.push_back({SourceOffset(f.source_offset), rd_kafka_err2name(f.error)});
      shared_.skipped.fetch_add(1, std::memory_order_relaxed);
    } else if (f.state == InFlight::State::acked) {
      builder_.append(SourceOffset(f.source_offset), TargetOffset(f.target_offset), f.timestamp_ms);
      shared_.mirrored.fetch_add(1, std::memory_order_relaxed);
    } else {
      shared_.filtered.fetch_add(1, std::memory_order_relaxed);
    }
    next_commit_ = f.source_offset + 1;
    queue_.pop_front();
  }
}

TrackerSnapshot PartitionTracker::snapshot() {
  std::lock_guard lock(mu_);
  TrackerSnapshot s;
  s.update.source_topic = source_topic_;
  s.update.partition = partition_;
  s.update.segments = builder_.take_dirty();
  s.update.skipped = std::move(skipped_);
  skipped_.clear();
  s.next_commit = next_commit_;
  s.idle = queue_.empty();
  return s;
}

size_t PartitionTracker::in_flight() {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace dr::mirror
