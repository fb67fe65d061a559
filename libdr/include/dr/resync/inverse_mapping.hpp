// The reverse link's mapping, derived from the failed-over link's (pure functions).
//
// After a failover the old primary P becomes the standby of the new primary S. For a partition
// whose data is kept on P, the records S holds of P's old data are copies made by the forward
// mirror: the forward mapping says, for each P offset, where its copies landed on S. Read backwards
// it says, for each such S offset, which P record holds the same data; seeded as the reverse
// link's mapping, translation in the new direction (S -> P) is exact for the old data too.
//
// Several S offsets may map to one P offset: a forward mirror restarted after kill -9 copies
// records again, so S holds two copies. Each copy becomes a reverse row of its own; reverse rows
// may therefore share target offsets, which translate_offset handles (it takes, for a committed S
// offset c, the smallest P offset any S record at or after c maps to: nothing is skipped).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dr/store/offset_segments.hpp"
#include "dr/types.hpp"

namespace dr::resync {

// A record found on both clusters by content (key, value, headers, timestamp) past the end of the
// forward mapping: the forward mirror delivered it but was stopped before recording it.
struct MatchedRecord {
  SourceOffset old_offset;  // on the old primary
  TargetOffset new_offset;  // on the new primary
  int64_t timestamp_ms = 0;
};

// Forward rows of one partition (source = P offsets, target = S offsets) -> reverse rows (source =
// S offsets, target = P offsets). Only forward source offsets below `common_end` are kept (a row
// crossing it is cut). Sorted by reverse source offset.
std::vector<store::OffsetSegment> invert_mapping(std::span<const store::OffsetSegment> forward_rows,
                                                 SourceOffset common_end);

// Matched records (in order) -> reverse rows: runs where both offsets advance by one are merged.
std::vector<store::OffsetSegment> runs_from_matches(std::span<const MatchedRecord> matches);

}  // namespace dr::resync
