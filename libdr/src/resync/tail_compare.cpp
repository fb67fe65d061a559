#include "dr/resync/tail_compare.hpp"

#include "dr/resync/record_range.hpp"

namespace dr::resync {

namespace {
// Records of the old side held at once: the tail past the mapping is usually one commit interval of
// the forward mirror, but the diverged part behind it can be large.
constexpr size_t kChunk = 5000;
}  // namespace

bool same_record(const kafka::Record& a, const kafka::Record& b) {
  return a.key == b.key && a.value == b.value && a.headers == b.headers && a.timestamp_ms == b.timestamp_ms;
}

std::vector<MatchedRecord> match_tail(const TailSide& old_side, const TailSide& new_side, int32_t partition,
                                      std::chrono::milliseconds timeout) {
  std::vector<MatchedRecord> matched;
  int64_t old_next = old_side.from, new_next = new_side.from;
  while (old_next < old_side.end && new_next < new_side.end) {
    std::vector<kafka::Record> chunk;
    read_range(*old_side.config, old_side.label, old_side.topic, partition, old_next, old_side.end, timeout,
               [&](const kafka::Record& r) {
                 chunk.push_back(r);
                 return chunk.size() < kChunk;
               });
    if (chunk.empty()) break;
    size_t same = 0;
    read_range(*new_side.config, new_side.label, new_side.topic, partition, new_next, new_side.end, timeout,
               [&](const kafka::Record& r) {
                 const kafka::Record& o = chunk[same];
                 if (!same_record(o, r)) return false;
                 matched.push_back({SourceOffset(o.offset), TargetOffset(r.offset), o.timestamp_ms});
                 new_next = r.offset + 1;
                 return ++same < chunk.size();
               });
    if (same < chunk.size()) break;  // a difference, or the new side ended
    old_next = chunk.back().offset + 1;
  }
  return matched;
}

}  // namespace dr::resync
