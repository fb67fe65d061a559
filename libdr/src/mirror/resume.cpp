// On assignment: resume copying after what the durable mapping already has on the target.
//
// The group's committed offset can lag the durable mapping: the mapping is persisted first and the
// offset committed after it, and during a source-broker outage the commits fail while the copying
// goes on (the group is rejoining). Starting at the committed offset would copy all of that again.
// Every record the mapping holds is on the target (rows are written only after acks=all delivery),
// so consumption may start where the mapping's contiguous coverage from the committed offset ends,
// as long as those target records are still in the target partition. A gap in the coverage
// (compaction, a skipped record, a transaction marker) ends it: nothing never copied is passed over.
#include <fmt/format.h>

#include "dr/log.hpp"
#include "dr/store/offset_segments.hpp"
#include "mirror/engine.hpp"

namespace dr::mirror::detail {

namespace {
constexpr int kCommittedTimeoutMs = 10000;
constexpr int kWatermarkTimeoutMs = 5000;
}  // namespace

void Stream::resume_from_mapping(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* parts) {
  kafka::PartitionListHandle committed{rd_kafka_topic_partition_list_copy(parts)};
  if (rd_kafka_resp_err_t err = rd_kafka_committed(rk, committed.get(), kCommittedTimeoutMs)) {
    dr::log::warn("stream {}: cannot read the group's committed offsets ({}); resuming from them unchecked", index_,
                  rd_kafka_err2name(err));
    return;
  }
  for (int i = 0; i < committed->cnt; ++i) {
    const rd_kafka_topic_partition_t& c = committed->elems[i];
    if (c.err || c.offset < 0) continue;  // no commit yet: auto.offset.reset decides
    auto it = trackers_.find({c.topic, c.partition});
    if (it == trackers_.end()) continue;
    PartitionTracker& tracker = *it->second;
    const auto rows = engine_.durable_mapping(c.topic, c.partition);
    if (rows.empty()) continue;
    int64_t low = 0, high = 0;
    if (rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(engine_.producer.get(), tracker.target_topic().c_str(),
                                                                    c.partition, &low, &high, kWatermarkTimeoutMs)) {
      dr::log::warn("stream {}: cannot read the offsets of target {}/{} ({}); resuming from the committed offsets", index_,
                    tracker.target_topic(), c.partition, rd_kafka_err2name(err));
      return;  // the target does not answer: do not wait again for every partition
    }
    const SourceOffset end = store::mapped_run_end(rows, SourceOffset(c.offset), TargetOffset(low), TargetOffset(high));
    if (end.value() <= c.offset) continue;
    rd_kafka_topic_partition_t* start = rd_kafka_topic_partition_list_find(parts, c.topic, c.partition);
    if (start == nullptr) continue;
    start->offset = end.value();
    tracker.resume_at(end.value());
    dr::log::info("stream {}: {}/{} resumes at source offset {}, not at the committed {}: the state file maps the {} "
                  "records in between onto the target already (not copied again)",
                  index_, c.topic, c.partition, end.value(), c.offset, end.value() - c.offset);
  }
}

}  // namespace dr::mirror::detail
