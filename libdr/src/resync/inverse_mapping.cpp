#include "dr/resync/inverse_mapping.hpp"

#include <algorithm>

namespace dr::resync {

using store::OffsetSegment;

std::vector<OffsetSegment> invert_mapping(std::span<const OffsetSegment> forward_rows, SourceOffset common_end) {
  std::vector<OffsetSegment> out;
  for (const OffsetSegment& f : forward_rows) {
    const int64_t keep = std::min(f.length, common_end.value() - f.source_start.value());
    if (keep <= 0) continue;
    // A cut row's last timestamp is unknown; the first one is a lower bound that keeps time
    // lookups from the mapping conservative (they never resume after a record they should return).
    out.push_back(OffsetSegment{SourceOffset(f.target_start.value()), TargetOffset(f.source_start.value()), keep,
                                f.first_timestamp_ms, keep == f.length ? f.last_timestamp_ms : f.first_timestamp_ms});
  }
  std::sort(out.begin(), out.end(),
            [](const OffsetSegment& a, const OffsetSegment& b) { return a.source_start < b.source_start; });
  return out;
}

std::vector<OffsetSegment> runs_from_matches(std::span<const MatchedRecord> matches) {
  std::vector<OffsetSegment> out;
  for (const MatchedRecord& m : matches) {
    if (!out.empty()) {
      OffsetSegment& last = out.back();
      if (last.source_end().value() == m.new_offset.value() && last.target_end().value() == m.old_offset.value()) {
        ++last.length;
        last.last_timestamp_ms = m.timestamp_ms;
        continue;
      }
    }
    out.push_back(OffsetSegment{SourceOffset(m.new_offset.value()), TargetOffset(m.old_offset.value()), 1, m.timestamp_ms,
                                m.timestamp_ms});
  }
  return out;
}

}  // namespace dr::resync
