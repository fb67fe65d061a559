#include "dr/translate/translate.hpp"

#include <algorithm>

namespace dr::translate {

const char* to_string(Precision p) noexcept {
  switch (p) {
    case Precision::exact: return "exact";
    case Precision::beyond_mirrored: return "beyond_mirrored";
    case Precision::before_mapping: return "before_mapping";
    case Precision::no_mapping: return "no_mapping";
  }
  return "?";
}

OffsetTranslation translate_offset(std::span<const OffsetSegment> rows, SourceOffset committed,
                                   std::optional<TargetOffset> target_log_start) {
  if (rows.empty()) return {target_log_start.value_or(TargetOffset(0)), Precision::no_mapping, 0};
  const int64_t c = committed.value();
  if (c < rows.front().source_start.value()) {
    // Older than what the mapping keeps: everything still on the target may be needed.
    TargetOffset t = target_log_start ? std::min(*target_log_start, rows.front().target_start) : rows.front().target_start;
    return {t, Precision::before_mapping, 0};
  }
  // The first row that still has a record at or after c.
  auto it = std::upper_bound(rows.begin(), rows.end(), c,
                             [](int64_t value, const OffsetSegment& r) { return value < r.source_end().value(); });
  if (it == rows.end()) {
    const OffsetSegment& last = rows.back();
    const int64_t lost = c - last.source_end().value();
    return {last.target_end(), lost > 0 ? Precision::beyond_mirrored : Precision::exact, lost};
  }
  const int64_t into = std::max<int64_t>(0, c - it->source_start.value());
  return {TargetOffset(it->target_start.value() + into), Precision::exact, 0};
}

std::optional<TargetOffset> offset_for_time_from_mapping(std::span<const OffsetSegment> rows, int64_t timestamp_ms) {
  // Timestamps need not increase with offsets, so take the first row whose newest record is at or
  // after the time: starting at its beginning cannot skip a record of that row or a later one with
  // a later timestamp.
  for (const OffsetSegment& r : rows) {
    if (std::max(r.first_timestamp_ms, r.last_timestamp_ms) >= timestamp_ms) return r.target_start;
  }
  return std::nullopt;
}

}  // namespace dr::translate
