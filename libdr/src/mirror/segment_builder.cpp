#include "dr/mirror/segment_builder.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "dr/error.hpp"

namespace dr::mirror {

void SegmentBuilder::append(SourceOffset source, TargetOffset target, int64_t timestamp_ms) {
  if (open_) {
    if (source < open_->source_end()) {
      throw Error(ErrorKind::internal, fmt::format("segment builder: source offset {} after {} (must increase)",
                                                   source.value(), open_->source_end().value() - 1));
    }
    if (source == open_->source_end() && target == open_->target_end()) {
      ++open_->length;
      open_->last_timestamp_ms = timestamp_ms;
      open_dirty_ = true;
      return;
    }
    if (open_dirty_) closed_dirty_.push_back(*open_);
  }
  open_ = OffsetSegment{source, target, 1, timestamp_ms, timestamp_ms};
  open_dirty_ = true;
}

std::vector<OffsetSegment> SegmentBuilder::take_dirty() {
  Pending p = pending();
  confirm(p);
  return std::move(p.segments);
}

SegmentBuilder::Pending SegmentBuilder::pending() const {
  Pending out{closed_dirty_, closed_dirty_.size()};
  if (open_ && open_dirty_) out.segments.push_back(*open_);
  return out;
}

void SegmentBuilder::confirm(const Pending& persisted) {
  // Segments are only appended behind the ones pending() saw, so those are still at the front.
  closed_dirty_.erase(closed_dirty_.begin(),
                      closed_dirty_.begin() + static_cast<std::ptrdiff_t>(std::min(persisted.closed, closed_dirty_.size())));
  if (persisted.segments.size() > persisted.closed && open_) {
    const OffsetSegment& was_open = persisted.segments.back();
    // Still the same run and not grown since: clean. Grown or closed since: it is persisted again.
    if (open_->source_start == was_open.source_start && open_->length == was_open.length) open_dirty_ = false;
  }
}

}  // namespace dr::mirror
