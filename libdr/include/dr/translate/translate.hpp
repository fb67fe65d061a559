// Offset translation: where on the target a consumer should resume (pure functions).
//
// Invariant (tested against a brute-force oracle): the translated position never skips a mirrored
// record whose source offset is at or after the committed offset. When the mirror copied records
// more than once (a restart after a crash or an outage), the mapping knows every persisted copy and
// translation picks the position that re-delivers least under that rule: the largest target offset
// t such that every mapped source record >= c has a copy at >= t. Without re-copies that is the
// first mirrored record at or after c, and translation adds no duplicate; with re-copies it adds
// only those no position can avoid (records before c copied again between copies of later ones).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "dr/store/offset_segments.hpp"

namespace dr::translate {

using store::OffsetSegment;

enum class Precision {
  exact,            // from the mapping: the position that re-delivers least without skipping (above)
  beyond_mirrored,  // the group had read records that never reached the target (lost: the RPO)
  before_mapping,   // older than the oldest kept mapping row: the earliest target offset still held
  no_mapping,       // nothing of this partition was ever mapped
};
const char* to_string(Precision p) noexcept;

struct OffsetTranslation {
  TargetOffset target;
  Precision precision = Precision::exact;
  // beyond_mirrored: source offsets the group had consumed past the last mirrored record (an upper
  // bound of the records lost: compaction gaps count too).
  int64_t unmirrored = 0;
};

// Translates a consumer's committed source offset (the next record it would read) through the
// partition's mapping rows (sorted by source offset, as load_segments returns them).
// `target_log_start`: the target partition's log start offset, if known (before_mapping answers it).
OffsetTranslation translate_offset(std::span<const OffsetSegment> rows, SourceOffset committed,
                                   std::optional<TargetOffset> target_log_start = std::nullopt);

// Timestamp -> target offset from the mapping alone, for when the target cannot be asked: the first
// row (source order) whose first or last timestamp is at or after `timestamp_ms`, translated from
// its source start (so no mapped record of it or after it is skipped, whichever copy holds it).
// Approximate: rows keep only those two timestamps, so this assumes timestamps rise with offsets
// (callers say so). nullopt: every row is older.
std::optional<TargetOffset> offset_for_time_from_mapping(std::span<const OffsetSegment> rows, int64_t timestamp_ms);

// The target offset after the last copy the mapping knows of (0 without rows).
TargetOffset mapped_target_end(std::span<const OffsetSegment> rows);

}  // namespace dr::translate
