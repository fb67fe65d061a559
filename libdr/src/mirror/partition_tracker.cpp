#include "mirror/partition_tracker.hpp"

#include <algorithm>

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

PendingMapping PartitionTracker::take(int64_t consumer_position) {
  std::lock_guard lock(mu_);
  PendingMapping p;
  p.update.source_topic = source_topic_;
  p.update.partition = partition_;
  SegmentBuilder::Pending segments = builder_.pending();
  p.update.segments = std::move(segments.segments);
  p.closed_segments = segments.closed;
  p.update.skipped = skipped_;
  p.skipped = skipped_.size();
  p.commit_at = next_commit_;
  // The position covers offsets that never reach the application (transaction markers); past
  // next_commit it is safe only when nothing of the partition is in flight.
  if (queue_.empty() && consumer_position >= 0 && consumer_position > p.commit_at) p.commit_at = consumer_position;
  return p;
}

void PartitionTracker::confirm(const PendingMapping& persisted) {
  std::lock_guard lock(mu_);
  builder_.confirm({persisted.update.segments, persisted.closed_segments});
  skipped_.erase(skipped_.begin(), skipped_.begin() + static_cast<std::ptrdiff_t>(std::min(persisted.skipped, skipped_.size())));
  durable_commit_ = std::max(durable_commit_, persisted.commit_at);
}

void PartitionTracker::resume_at(int64_t source_offset) {
  std::lock_guard lock(mu_);
  if (!queue_.empty() || source_offset <= next_commit_) return;
  next_commit_ = source_offset;
  durable_commit_ = std::max(durable_commit_, source_offset);  // the mapping below it is in the store
}

size_t PartitionTracker::in_flight() {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace dr::mirror
