#include "dr/store/checkpoints.hpp"

#include "store/state_store_impl.hpp"

namespace dr::store {

void record_checkpoints(StateStore& store, int64_t link_id, const std::string& group_id, int64_t read_ms,
                        std::span<const CommittedOffset> offsets, int64_t keep_ms) {
  Db& db = store.impl().db;
  Transaction tx(db);
  Statement newest(db,
                   "SELECT source_offset FROM group_checkpoints WHERE link_id=?1 AND group_id=?2 AND source_topic=?3 "
                   "AND partition=?4 ORDER BY checkpoint_ms DESC LIMIT 1");
  Statement insert(db,
                   "INSERT OR REPLACE INTO group_checkpoints (link_id, group_id, source_topic, partition, checkpoint_ms, "
                   "source_offset) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  for (const CommittedOffset& o : offsets) {
    newest.reset();
    newest.bind(1, link_id).bind(2, group_id).bind(3, o.source_topic).bind(4, o.partition);
    if (newest.step() && newest.column_int(0) == o.offset.value()) continue;
    insert.reset();
    insert.bind(1, link_id).bind(2, group_id).bind(3, o.source_topic).bind(4, o.partition).bind(5, read_ms);
    insert.bind(6, o.offset.value()).run();
  }
  Statement read(db,
                 "INSERT INTO group_checkpoint_reads (link_id, group_id, read_ms) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT (link_id, group_id) DO UPDATE SET read_ms = ?3");
  read.bind(1, link_id).bind(2, group_id).bind(3, read_ms).run();
  Statement prune(db,
                  "DELETE FROM group_checkpoints AS g WHERE link_id=?1 AND group_id=?2 AND checkpoint_ms < ?3 AND "
                  "checkpoint_ms < (SELECT max(checkpoint_ms) FROM group_checkpoints n WHERE n.link_id = g.link_id AND "
                  "n.group_id = g.group_id AND n.source_topic = g.source_topic AND n.partition = g.partition)");
  prune.bind(1, link_id).bind(2, group_id).bind(3, read_ms - keep_ms).run();
  tx.commit();
}

std::vector<GroupCheckpoint> latest_checkpoints(StateStore& store, int64_t link_id, std::optional<int64_t> as_of_ms) {
  Statement st(store.impl().db,
               "SELECT g.group_id, g.source_topic, g.partition, g.source_offset, g.checkpoint_ms, "
               "coalesce(r.read_ms, g.checkpoint_ms) FROM group_checkpoints g "
               "LEFT JOIN group_checkpoint_reads r ON r.link_id = g.link_id AND r.group_id = g.group_id "
               "WHERE g.link_id = ?1 AND g.checkpoint_ms <= ?2 AND g.checkpoint_ms = (SELECT max(checkpoint_ms) FROM "
               "group_checkpoints n WHERE n.link_id = g.link_id AND n.group_id = g.group_id AND n.source_topic = "
               "g.source_topic AND n.partition = g.partition AND n.checkpoint_ms <= ?2) "
               "ORDER BY g.group_id, g.source_topic, g.partition");
  st.bind(1, link_id).bind(2, as_of_ms.value_or(INT64_MAX));
  std::vector<GroupCheckpoint> out;
  while (st.step()) {
    int64_t read = st.column_int(5);
    if (as_of_ms && read > *as_of_ms) read = *as_of_ms;
    out.push_back({st.column_text(0), st.column_text(1), static_cast<int32_t>(st.column_int(2)), SourceOffset(st.column_int(3)),
                   st.column_int(4), std::max(read, st.column_int(4))});
  }
  return out;
}

int64_t count_checkpoint_rows(StateStore& store, int64_t link_id) {
  Statement st(store.impl().db, "SELECT count(*) FROM group_checkpoints WHERE link_id = ?1");
  st.bind(1, link_id);
  st.step();
  return st.column_int(0);
}

}  // namespace dr::store
