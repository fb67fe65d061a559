#include "dr/mirror/segment_builder.hpp"

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
  std::vector<OffsetSegment> out = std::move(closed_dirty_);
  closed_dirty_.clear();
  if (open_ && open_dirty_) out.push_back(*open_);
  open_dirty_ = false;
  return out;
}

}  // namespace dr::mirror
