// Per-partition bookkeeping of records in flight between source and target (private).
//
// The stream thread pushes each consumed record before producing it; the producer's delivery
// report marks it acknowledged (or failed). Records leave the front of the queue in source order
// once settled, feeding the SegmentBuilder and advancing next_commit: the source offset below
// which every record is on the target (or recorded as skipped).
//
// Durability before commit: the mapping a persist takes stays pending in the tracker until
// confirm() says the state file holds it (take -> persist -> confirm; a failed persist simply
// never confirms, so nothing is lost). commit_point() only ever moves on confirm, so a source
// offset is never committed beyond the end of the durable mapping.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "dr/error.hpp"
#include "dr/mirror/segment_builder.hpp"
#include "dr/store/offset_segments.hpp"

namespace dr::mirror {

class PartitionTracker;

// One record between consume and delivery report. Lives in the tracker's deque (stable address).
struct InFlight {
  PartitionTracker* tracker = nullptr;
  int64_t source_offset = 0;
  int64_t target_offset = -1;
  int64_t timestamp_ms = 0;
  // cancelled: never sent (shutdown while the producer queue was full); stops the queue silently.
  enum class State : uint8_t { pending, acked, failed, filtered, cancelled } state = State::pending;
  rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
};

// Shared by all trackers of a mirror: counters and the fatal-error hook.
struct TrackerShared {
  bool abort_on_send_failure = true;
  std::function<void(Error)> fail;  // called once per tracker on a permanent failure when aborting
  std::atomic<uint64_t> mirrored{0};
  std::atomic<uint64_t> skipped{0};
  std::atomic<uint64_t> filtered{0};
};

// What a persist takes from a tracker, atomically: the mapping not yet durable below next_commit.
// It stays in the tracker until confirm().
struct PendingMapping {
  store::PartitionMappingUpdate update;
  // The commit point once `update` is durable: every record below it is settled and mapped (or
  // skipped). The consumer position when nothing was in flight (transaction markers and other
  // offsets that never reach the application), else next_commit. -1: nothing settled yet.
  int64_t commit_at = -1;
  bool empty() const { return update.segments.empty() && update.skipped.empty(); }

 private:
  friend class PartitionTracker;
  size_t closed_segments = 0;
  size_t skipped = 0;
};

class PartitionTracker {
 public:
  PartitionTracker(TrackerShared& shared, std::string source_topic, int32_t partition, std::string target_topic,
                   rd_kafka_topic_t* target_rkt);
  ~PartitionTracker();  // only after the producer let go of every record (slots are its opaques)
  PartitionTracker(const PartitionTracker&) = delete;
  PartitionTracker& operator=(const PartitionTracker&) = delete;

  // Stream thread: registers a consumed record; returns its slot (the produce opaque).
  InFlight* push(int64_t source_offset, int64_t timestamp_ms);
  // Any thread: settles a record (delivery report, produce error, provenance filter).
  void settle(InFlight* slot, InFlight::State state, int64_t target_offset, rd_kafka_resp_err_t error);

  // Stream thread: the mapping not yet durable. `consumer_position` is the consumer's position
  // for the partition read before this call (-1: unknown).
  PendingMapping take(int64_t consumer_position);
  // Stream thread: the store holds `persisted` (from the latest take()): drop it from the pending
  // mapping and move the commit point to its commit_at.
  void confirm(const PendingMapping& persisted);
  // Stream thread: the highest source offset that may be committed (-1: none). Never beyond the
  // end of the durable mapping.
  int64_t commit_point() const noexcept { return durable_commit_; }
  size_t in_flight();
  // Before the first record: consumption starts at `source_offset` because every record below it
  // (from the group's committed offset on) is on the target and mapped durably already, so it may
  // be committed even if no new record arrives.
  void resume_at(int64_t source_offset);

  const std::string& source_topic() const noexcept { return source_topic_; }
  const std::string& target_topic() const noexcept { return target_topic_; }
  int32_t partition() const noexcept { return partition_; }
  rd_kafka_topic_t* target_rkt() const noexcept { return target_rkt_; }
  int64_t committed = -1;  // last offset committed to the source; stream thread only

 private:
  void advance();  // with mu_ held

  TrackerShared& shared_;
  const std::string source_topic_;
  const int32_t partition_;
  const std::string target_topic_;
  rd_kafka_topic_t* target_rkt_;  // owned

  std::mutex mu_;
  std::deque<InFlight> queue_;
  SegmentBuilder builder_;
  std::vector<store::SkippedRecord> skipped_;
  int64_t next_commit_ = -1;
  int64_t durable_commit_ = -1;  // stream thread only
  bool blocked_ = false;  // a failed record stops the queue when aborting
};

}  // namespace dr::mirror
