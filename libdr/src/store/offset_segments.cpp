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
      : below_end_(db,
                   "SELECT source_start, target_start, length, first_timestamp_ms, last_timestamp_ms FROM offset_segments "
                   "WHERE link_id=?1 AND source_topic=?2 AND partition=?3 AND target_start < ?4 "
                   "ORDER BY target_start DESC LIMIT 1"),
        update_(db,
                "UPDATE offset_segments SET source_start=?5, target_start=?6, length=?7, first_timestamp_ms=?8, "
                "last_timestamp_ms=?9 WHERE link_id=?1 AND source_topic=?2 AND partition=?3 AND source_start=?4 AND "
                "target_start=?10"),
        insert_(db,
                "INSERT INTO offset_segments (link_id, source_topic, partition, source_start, target_start, length, "
                "first_timestamp_ms, last_timestamp_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)") {}

  void write(int64_t link_id, const std::string& topic, int32_t partition, const OffsetSegment& seg) {
    const int64_t s0 = seg.source_start.value();
    const int64_t t0 = seg.target_start.value();
    const int64_t end = seg.source_end().value();
    // Rows never overlap in target offsets, so the only row this run can extend is the one with the
    // highest target start below the run's end: the same run persisted before (it grew since), or
    // the run it continues on both sides (a clean restart).
    below_end_.reset();
    below_end_.bind(1, link_id).bind(2, topic).bind(3, partition).bind(4, seg.target_end().value());
    if (below_end_.step()) {
      const int64_t row_s0 = below_end_.column_int(0);
      const int64_t row_t0 = below_end_.column_int(1);
      const int64_t row_end = row_s0 + below_end_.column_int(2);
      const bool same_run = row_s0 - row_t0 == s0 - t0 && row_s0 <= end && row_end >= s0;
      if (same_run) {
        if (row_s0 <= s0 && row_end >= end) return;  // nothing new
        const bool new_head = s0 < row_s0;
        const int64_t merged_s0 = std::min(s0, row_s0);
        const int64_t merged_end = std::max(end, row_end);
        update_.reset();
        update_.bind(1, link_id).bind(2, topic).bind(3, partition).bind(4, row_s0).bind(10, row_t0);
        update_.bind(5, merged_s0).bind(6, merged_s0 - (s0 - t0)).bind(7, merged_end - merged_s0);
        update_.bind(8, new_head ? seg.first_timestamp_ms : below_end_.column_int(3));
        update_.bind(9, end >= row_end ? seg.last_timestamp_ms : below_end_.column_int(4));
        update_.run();
        return;
      }
    }
    // A new run: a new row, also where it copies source records mapped before (a re-copy after a
    // restart). Translation resumes after the last copy where that skips nothing.
    insert_.reset();
    insert_.bind(1, link_id).bind(2, topic).bind(3, partition).bind(4, s0).bind(5, t0).bind(6, seg.length);
    insert_.bind(7, seg.first_timestamp_ms).bind(8, seg.last_timestamp_ms).run();
  }

 private:
  Statement below_end_;
  Statement update_;
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
               "WHERE link_id=?1 AND source_topic=?2 AND partition=?3 ORDER BY source_start, target_start");
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
  // The row kept whatever happens is the one reaching furthest on the source (the last copy of it
  // if there are several): it says how far the mapping goes.
  Statement st(db,
               "DELETE FROM offset_segments WHERE link_id=?1 AND source_topic=?2 AND partition=?3 AND "
               "target_start + length <= ?4 AND (source_start, target_start) IS NOT (SELECT source_start, target_start "
               "FROM offset_segments WHERE link_id=?1 AND source_topic=?2 AND partition=?3 "
               "ORDER BY source_start + length DESC, target_start DESC LIMIT 1)");
  st.bind(1, link_id).bind(2, source_topic).bind(3, partition).bind(4, target_log_start.value()).run();
  return sqlite3_changes(db.get());
}

SourceOffset mapped_run_end(std::span<const OffsetSegment> rows, SourceOffset from, TargetOffset target_low,
                            TargetOffset target_high) {
  std::vector<const OffsetSegment*> on_target;
  for (const OffsetSegment& r : rows) {
    if (r.target_start >= target_low && r.target_end() <= target_high) on_target.push_back(&r);
  }
  std::sort(on_target.begin(), on_target.end(),
            [](const OffsetSegment* a, const OffsetSegment* b) { return a->source_start < b->source_start; });
  int64_t end = from.value();
  for (const OffsetSegment* r : on_target) {
    if (r->source_start.value() > end) break;
    end = std::max(end, r->source_end().value());
  }
  return SourceOffset(end);
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
  // Copies overlap on the source axis: a record counts once however often it was copied. A row
  // adds what reaches beyond every earlier row of its partition (source order).
  Statement st(store.impl().db,
               "WITH r AS (SELECT source_topic, partition, source_start, length, last_timestamp_ms, "
               "  max(source_start + length) OVER (PARTITION BY source_topic, partition ORDER BY source_start, target_start "
               "    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS covered_end "
               "  FROM offset_segments WHERE link_id = ?1) "
               "SELECT source_topic, count(DISTINCT partition), count(*), "
               "  sum(max(0, source_start + length - max(source_start, coalesce(covered_end, source_start)))), "
               "  max(last_timestamp_ms), "
               "  (SELECT count(*) FROM skipped_records k WHERE k.link_id = ?1 AND k.source_topic = r.source_topic), "
               "  sum(length) "
               "FROM r GROUP BY source_topic ORDER BY source_topic");
  st.bind(1, link_id);
  std::vector<TopicMappingSummary> out;
  while (st.step()) {
    TopicMappingSummary t{st.column_text(0), static_cast<int>(st.column_int(1)), st.column_int(2), st.column_int(3),
                          st.column_int(5), st.column_int(4)};
    t.recopied_records = st.column_int(6) - t.mapped_records;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace dr::store
