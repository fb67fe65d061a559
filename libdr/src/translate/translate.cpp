#include "dr/translate/translate.hpp"

#include <algorithm>
#include <set>
#include <vector>

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

namespace {

// The largest target position t such that every mapped source record >= c has a copy at target
// offset >= t: min over mapped s >= c of last_copy(s). Cut the source axis at every row boundary
// (from c on): inside one elementary interval the same rows cover every s, so last_copy(s) =
// s + max(target_start - source_start) over those rows grows with s, and the interval's minimum
// is at its start. nullopt: no mapped record at or after c.
std::optional<int64_t> last_copy_bound(std::span<const OffsetSegment> rows, int64_t c) {
  struct Edge {
    int64_t at;
    bool opens;
    int64_t delta;  // target_start - source_start of the row
  };
  std::vector<Edge> edges;
  for (const OffsetSegment& r : rows) {
    if (r.source_end().value() <= c) continue;
    const int64_t delta = r.target_start.value() - r.source_start.value();
    edges.push_back({std::max(c, r.source_start.value()), true, delta});
    edges.push_back({r.source_end().value(), false, delta});
  }
  std::sort(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) { return a.at < b.at; });
  std::multiset<int64_t> covering;
  std::optional<int64_t> best;
  for (size_t i = 0; i < edges.size();) {
    const int64_t at = edges[i].at;
    for (; i < edges.size() && edges[i].at == at; ++i) {
      if (edges[i].opens) covering.insert(edges[i].delta);
      else covering.erase(covering.find(edges[i].delta));
    }
    if (!covering.empty()) {
      const int64_t last_copy = at + *covering.rbegin();
      if (!best || last_copy < *best) best = last_copy;
    }
  }
  return best;
}

}  // namespace

OffsetTranslation translate_offset(std::span<const OffsetSegment> rows, SourceOffset committed,
                                   std::optional<TargetOffset> target_log_start) {
  if (rows.empty()) return {target_log_start.value_or(TargetOffset(0)), Precision::no_mapping, 0};
  const int64_t c = committed.value();
  int64_t first_source = rows.front().source_start.value(), mapped_end = 0;
  TargetOffset first_target = rows.front().target_start, target_end = rows.front().target_end();
  for (const OffsetSegment& r : rows) {
    first_source = std::min(first_source, r.source_start.value());
    mapped_end = std::max(mapped_end, r.source_end().value());
    first_target = std::min(first_target, r.target_start);
    target_end = std::max(target_end, r.target_end());
  }
  if (c < first_source) {
    // Older than what the mapping keeps: everything still on the target may be needed.
    TargetOffset t = target_log_start ? std::min(*target_log_start, first_target) : first_target;
    return {t, Precision::before_mapping, 0};
  }
  if (c >= mapped_end) {
    // Nothing at or after c was mirrored: resume after every copy, and say what never arrived.
    const int64_t lost = c - mapped_end;
    return {target_end, lost > 0 ? Precision::beyond_mirrored : Precision::exact, lost};
  }
  return {TargetOffset(*last_copy_bound(rows, c)), Precision::exact, 0};
}

std::optional<TargetOffset> offset_for_time_from_mapping(std::span<const OffsetSegment> rows, int64_t timestamp_ms) {
  // Timestamps need not increase with offsets, so take the first row (source order) whose newest
  // record is at or after the time, and resume where no mapped record of that row or of a later
  // source offset is skipped, whichever copy holds it.
  for (const OffsetSegment& r : rows) {
    if (std::max(r.first_timestamp_ms, r.last_timestamp_ms) >= timestamp_ms) {
      return translate_offset(rows, r.source_start).target;
    }
  }
  return std::nullopt;
}

TargetOffset mapped_target_end(std::span<const OffsetSegment> rows) {
  TargetOffset end(0);
  for (const OffsetSegment& r : rows) end = std::max(end, r.target_end());
  return end;
}

}  // namespace dr::translate
