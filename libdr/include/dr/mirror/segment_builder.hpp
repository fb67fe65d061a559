// Builds the offset mapping's run-length segments for one partition, in memory, from
// acknowledged records fed in increasing source order. A gap-free stream is one growing segment.
// Not thread-safe: one builder per partition, used under that partition's lock.
#pragma once

#include <optional>
#include <vector>

#include "dr/store/offset_segments.hpp"

namespace dr::mirror {

using store::OffsetSegment;

class SegmentBuilder {
 public:
  // Adds one acknowledged record. Source offsets must increase (dr::Error(internal) otherwise);
  // a record that does not continue the open segment on both sides starts a new one.
  void append(SourceOffset source, TargetOffset target, int64_t timestamp_ms);

  // Segments created or extended since the last call, in source order, for persisting.
  // The last one may still grow; persisting it again later extends its row.
  // pending() + confirm() in one step, for callers whose persist cannot fail (tests, tools).
  std::vector<OffsetSegment> take_dirty();

  // The same segments, but they stay dirty until confirm() says the store holds them: a persist
  // that fails loses nothing. `closed` counts the leading segments that can no longer grow.
  struct Pending {
    std::vector<OffsetSegment> segments;
    size_t closed = 0;
  };
  Pending pending() const;
  // `persisted` (from pending()) is durable: those segments are clean unless they grew since.
  void confirm(const Pending& persisted);

 private:
  std::optional<OffsetSegment> open_;
  bool open_dirty_ = false;
  std::vector<OffsetSegment> closed_dirty_;
};

}  // namespace dr::mirror
