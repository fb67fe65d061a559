// The offset mapping in the state file: where each source offset landed on the target.
//
// Rows are run-length segments (see OffsetSegment). Writes keep three properties that the
// translation relies on, for every partition:
//   1. A row only claims target offsets whose record is the mapped source record (callers persist
//      acknowledged records only).
//   2. Rows never overlap in target offsets; within a row both sides advance by one. Rows MAY
//      overlap in source offsets: when a restarted mirror copies records again (duplicates on the
//      target), the new copy gets rows of its own, so the mapping knows every persisted copy and
//      translation can resume after the last one (dr/translate/translate.hpp).
//   3. A run that keeps growing stays one row: persisting an extended run updates its row, and a
//      run that continues a row on both sides (a clean restart) extends it. A re-copy adds one row
//      per run, so rows stay O(restarts + discontinuities), never O(records).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dr/store/state_store.hpp"
#include "dr/types.hpp"

namespace dr::store {

struct OffsetSegment {
  SourceOffset source_start;
  TargetOffset target_start;
  int64_t length = 0;
  int64_t first_timestamp_ms = 0;  // timestamp of the record at source_start
  int64_t last_timestamp_ms = 0;   // timestamp of the last record of the run

  SourceOffset source_end() const { return SourceOffset(source_start.value() + length); }  // exclusive
  TargetOffset target_end() const { return TargetOffset(target_start.value() + length); }  // exclusive
  bool operator==(const OffsetSegment&) const = default;
};

struct SkippedRecord {
  SourceOffset source_offset;
  std::string error;
};

// What one partition contributes to a persist: new or extended segments in source order, and
// records skipped after a permanent delivery failure (abort.on.send.failure=false).
struct PartitionMappingUpdate {
  std::string source_topic;
  int32_t partition = 0;
  std::vector<OffsetSegment> segments;
  std::vector<SkippedRecord> skipped;
};

// Persists every update in one transaction (all or nothing).
void persist_mapping(StateStore& store, int64_t link_id, std::span<const PartitionMappingUpdate> updates);

// Every row of a partition, in source order (copies of the same source start: in target order).
std::vector<OffsetSegment> load_segments(StateStore& store, int64_t link_id, const std::string& source_topic,
                                         int32_t partition);

// Deletes rows whose every target offset is below the target's log start offset (the records are
// gone from the standby). The row reaching furthest on the source is always kept (it says how far
// the mapping goes). Returns rows deleted.
int prune_segments(StateStore& store, int64_t link_id, const std::string& source_topic, int32_t partition,
                   TargetOffset target_log_start);

// Per source topic of a link: how much of it the mapping covers.
struct TopicMappingSummary {
  std::string source_topic;
  int partitions = 0;           // partitions with at least one row
  int64_t rows = 0;
  int64_t mapped_records = 0;   // distinct source records mapped (a re-copied record counts once)
  int64_t skipped_records = 0;
  int64_t last_timestamp_ms = 0;  // newest record timestamp mapped
  int64_t recopied_records = 0;   // extra copies: records the mirror copied again after a restart
};
std::vector<TopicMappingSummary> mapping_summary(StateStore& store, int64_t link_id);

// Where the mapping's contiguous coverage starting at source offset `from` ends: the largest e
// such that every source offset in [from, e) is mapped by a row whose target records lie within
// [target_low, target_high) (the target partition's log start and end offsets: rows of records
// that are no longer, or not, on the target count for nothing). `from` itself if it is not
// mapped. A restarted mirror may resume copying at e instead of `from`: every record in between is
// on the target already (rows are written only after acks=all delivery). A compaction gap or a
// skipped record ends the coverage, so nothing that was never copied is passed over.
SourceOffset mapped_run_end(std::span<const OffsetSegment> rows, SourceOffset from, TargetOffset target_low,
                            TargetOffset target_high);

std::vector<SkippedRecord> load_skipped(StateStore& store, int64_t link_id, const std::string& source_topic,
                                        int32_t partition);

}  // namespace dr::store
