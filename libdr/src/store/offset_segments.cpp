#include "dr/store/offset_segments.hpp"

#include <algorithm>
#include <chrono>

#include "dr/clock.hpp"
#include "store/state_store_impl.hpp"

namespace dr::store {

namespace {


// Writes one segment of one partition; see the header for the rules.
class SegmentWriter {
 public:
  explicit SegmentWriter(Db& db)
      : same_run_(db,
                  "SELECT source_start, length FROM offset_segments WHERE link_id=?1 AND source_topic=?2 AND "
                  "partition=?3 AND source_start BETWEEN ?4 AND ?5 AND source_start - target_start = ?6 "
                  "ORDER BY source_start LIMIT 1"),
        extend_(db,
                "UPDATE offset_segments SET length=?5, last_timestamp_ms=?6 WHERE link_id=?1 AND source_topic=?2 AND "
                "partition=?3 AND source_start=?4"),
        last_row_(db,
                  "SELECT source_start, target_start, length FROM offset_segments WHERE link_id=?1 AND source_topic=?2 AND "
                  "partition=?3 ORDER BY source_start DESC LIMIT 1"),
        insert_(db,
                "INSERT INTO offset_segments (link_id, source_topic, partition, source_start, target_start, length, "
                "first_timestamp_ms, last_timestamp_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)") {}

  void write(int64_t link_id, const std::string& topic, int32_t partition, const OffsetSegment& seg) {
    const int64_t s0 = seg.source_start.value();
    const int64_t end = seg.source_end().value();
    const int64_t delta = s0 - seg.target_start.value();
    // 1. The same run persisted before (possibly with its head cut): extend that row.
    same_run_.reset();
    same_run_.bind(1, link_id).bind(2, topic).bind(3, partition).bind(4, s0).bind(5, end).bind(6, delta);
    if (same_run_.step()) {
      const int64_t row_start = same_run_.column_int(0);
      const int64_t row_end = row_start + same_run_.column_int(1);
      if (end > row_end) {
        extend_.reset();
        extend_.bind(1, link_id).bind(2, topic).bind(3, partition).bind(4, row_start).bind(5, end - row_start);
        extend_.bind(6, seg.last_timestamp_ms).run();
      }
      return;
    }
    // 2. A new run: keep only what lies beyond everything already mapped (earliest copy wins).
    last_row_.reset();
    last_row_.bind(1, link_id).bind(2, topic).bind(3, partition);
    int64_t cut = 0;
    if (last_row_.step()) {
      const int64_t last_start = last_row_.column_int(0);
      const int64_t last_length = last_row_.column_int(2);
      const int64_t mapped_end = last_start + last_length;
      if (end <= mapped_end) return;
      cut = std::max<int64_t>(0, mapped_end - s0);
      // 3. A run that continues the last row on both sides (a clean restart) extends that row.
      if (s0 + cut == mapped_end && seg.target_start.value() + cut == last_row_.column_int(1) + last_length) {
        extend_.reset();
        extend_.bind(1, link_id).bind(2, topic).bind(3, partition).bind(4, last_start).bind(5, end - last_start);
        extend_.bind(6, seg.last_timestamp_ms).run();
        return;
      }
    }
    insert_.reset();
    insert_.bind(1, link_id).bind(2, topic).bind(3, partition).bind(4, s0 + cut).bind(5, seg.target_start.value() + cut);
    insert_.bind(6, seg.length - cut).bind(7, cut == 0 ? seg.first_timestamp_ms : seg.last_timestamp_ms);
    insert_.bind(8, seg.last_timestamp_ms).run();
  }

 private:
  Statement same_run_;
  Statement extend_;
  Statement last_row_;
  Statement insert_;
};

}  // namespace

void persist_mapping(StateStore& store, int64_t link_id, std::span<const PartitionMappingUpdate> updates) {
  Db& db = store.impl().db;
  Transaction tx(db);
  SegmentWriter writer(db);
  Statement skip(db,
                 "INSERT OR REPLACE INTO skipped_records (link_id, source_topic, partition, source_offset, error, "
                 "recorded_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  const int64_t now = now_ms();
  for (const PartitionMappingUpdate& u : updates) {
    for (const OffsetSegment& seg : u.segments) writer.write(link_id, u.source_topic, u.partition, seg);
    for (const SkippedRecord& r : u.skipped) {
      skip.reset();
      skip.bind(1, link_id).bind(2, u.source_topic).bind(3, u.partition).bind(4, r.source_offset.value());
      skip.bind(5, r.error).bind(6, now).run();
    }
  }
  tx.commit();
}

std::vector<OffsetSegment> load_segments(StateStore& store, int64_t link_id, const std::string& source_topic,
                                         int32_t partition) {
  Statement st(store.impl().db,
               "SELECT source_start, target_start, length, first_timestamp_ms, last_timestamp_ms FROM offset_segments "
               "WHERE link_id=?1 AND source_topic=?2 AND partition=?3 ORDER BY source_start");
  st.bind(1, link_id).bind(2, source_topic).bind(3, partition);
  std::vector<OffsetSegment> out;
  while (st.step()) {
    out.push_back({SourceOffset(st.column_int(0)), TargetOffset(st.column_int(1)), st.column_int(2), st.column_int(3),
                   st.column_int(4)});
  }
  return out;
}

int prune_segments(StateStore& store, int64_t link_id, const std::string& source_topic, int32_t partition,
                   TargetOffset target_log_start) {
  Db& db = store.impl().db;
  Statement st(db,
               "DELETE FROM offset_segments WHERE link_id=?1 AND source_topic=?2 AND partition=?3 AND "
               "target_start + length <= ?4 AND source_start < (SELECT max(source_start) FROM offset_segments "
               "WHERE link_id=?1 AND source_topic=?2 AND partition=?3)");
  st.bind(1, link_id).bind(2, source_topic).bind(3, partition).bind(4, target_log_start.value()).run();
  return sqlite3_changes(db.get());
}

std::vector<SkippedRecord> load_skipped(StateStore& store, int64_t link_id, const std::string& source_topic,
                                        int32_t partition) {
  Statement st(store.impl().db,
               "SELECT source_offset, error FROM skipped_records WHERE link_id=?1 AND source_topic=?2 AND partition=?3 "
               "ORDER BY source_offset");
  st.bind(1, link_id).bind(2, source_topic).bind(3, partition);
  std::vector<SkippedRecord> out;
  while (st.step()) out.push_back({SourceOffset(st.column_int(0)), st.column_text(1)});
  return out;
}

std::vector<TopicMappingSummary> mapping_summary(StateStore& store, int64_t link_id) {
  Statement st(store.impl().db,
               "SELECT source_topic, count(DISTINCT partition), count(*), sum(length), max(last_timestamp_ms), "
               "(SELECT count(*) FROM skipped_records k WHERE k.link_id = s.link_id AND k.source_topic = s.source_topic) "
               "FROM offset_segments s WHERE link_id = ?1 GROUP BY source_topic ORDER BY source_topic");
  st.bind(1, link_id);
  std::vector<TopicMappingSummary> out;
  while (st.step()) {
    out.push_back({st.column_text(0), static_cast<int>(st.column_int(1)), st.column_int(2), st.column_int(3),
                   st.column_int(5), st.column_int(4)});
  }
  return out;
}

}  // namespace dr::store
