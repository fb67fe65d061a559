#include "dr/store/resync_state.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>

#include "dr/clock.hpp"
#include "dr/error.hpp"
#include "dr/log.hpp"
#include "dr/who.hpp"
#include "store/state_store_impl.hpp"

namespace dr::store {

namespace {

ResyncStep parse_step(const std::string& s) {
  for (ResyncStep step : {ResyncStep::planned, ResyncStep::saved, ResyncStep::wiped, ResyncStep::seeded, ResyncStep::done}) {
    if (s == to_string(step)) return step;
  }
  throw Error(ErrorKind::internal, "unknown resync step '" + s + "' in the state file");
}

bool process_alive(int64_t pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

}  // namespace

const char* to_string(ResyncStep step) noexcept {
  switch (step) {
    case ResyncStep::planned: return "planned";
    case ResyncStep::saved: return "saved";
    case ResyncStep::wiped: return "wiped";
    case ResyncStep::seeded: return "seeded";
    case ResyncStep::done: return "done";
  }
  return "?";
}

void record_resync_plan(StateStore& store, int64_t resync_id, std::span<const ResyncPartition> partitions) {
  Db& db = store.impl().db;
  Transaction tx(db);
  Statement ins(db,
                "INSERT INTO resync_partitions (resync_id, topic, partition, new_topic, action, step, old_end, common_end, "
                "new_common_end, diverged_records, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  const int64_t now = now_ms();
  for (const ResyncPartition& p : partitions) {
    ins.reset();
    ins.bind(1, resync_id).bind(2, p.topic).bind(3, p.partition).bind(4, p.new_topic).bind(5, p.action);
    ins.bind(6, to_string(p.step)).bind(7, p.old_end).bind(8, p.common_end).bind(9, p.new_common_end);
    ins.bind(10, p.diverged_records).bind(11, now).run();
  }
  tx.commit();
}

void set_resync_step(StateStore& store, int64_t resync_id, const std::string& topic, int32_t partition,
                     ResyncStep step) {
  Statement up(store.impl().db,
               "UPDATE resync_partitions SET step = ?4, updated_ms = ?5 WHERE resync_id = ?1 AND topic = ?2 AND "
               "partition = ?3");
  up.bind(1, resync_id).bind(2, topic).bind(3, partition).bind(4, to_string(step)).bind(5, now_ms()).run();
}

std::vector<ResyncPartition> load_resync_plan(StateStore& store, int64_t resync_id) {
  Statement st(store.impl().db,
               "SELECT topic, new_topic, partition, action, step, old_end, common_end, new_common_end, diverged_records "
               "FROM resync_partitions WHERE resync_id = ?1 ORDER BY topic, partition");
  st.bind(1, resync_id);
  std::vector<ResyncPartition> out;
  while (st.step()) {
    out.push_back({st.column_text(0), st.column_text(1), static_cast<int32_t>(st.column_int(2)), st.column_text(3),
                   parse_step(st.column_text(4)), st.column_int(5), st.column_int(6), st.column_int(7),
                   st.column_int(8)});
  }
  return out;
}

std::optional<AuditRecord> unfinished_resync(StateStore& store, int64_t link_id) {
  auto rows = list_audit_rows(store, link_id, "resync");
  for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
    if (!it->finished_ms) return *it;
  }
  return std::nullopt;
}

std::vector<AuditRecord> list_resyncs(StateStore& store, int64_t link_id) { return list_audit_rows(store, link_id, "resync"); }

void take_resync_lease(StateStore& store, int64_t link_id, int64_t resync_id, int64_t stale_after_ms) {
  Db& db = store.impl().db;
  Transaction tx(db);
  const std::string host = host_name();
  const int64_t pid = ::getpid(), now = now_ms();
  Statement get(db, "SELECT resync_id, host, pid, heartbeat_ms FROM resync_leases WHERE link_id = ?1");
  get.bind(1, link_id);
  if (get.step()) {
    const std::string holder_host = get.column_text(1);
    const int64_t holder_pid = get.column_int(2), heartbeat = get.column_int(3);
    const bool me = holder_host == host && holder_pid == pid;
    const bool alive = holder_host == host ? process_alive(holder_pid) : now - heartbeat < stale_after_ms;
    if (!me && alive) {
      throw_refused(fmt::format("another dr-resync run (pid {} on {}, resync #{}) is resyncing this link{}; wait for it "
                                "to finish, or stop it and run this command again",
                                holder_pid, holder_host, get.column_int(0),
                                holder_host == host ? "" : fmt::format(" (alive {} s ago)", (now - heartbeat) / 1000)),
                    {.file = db.path()});
    }
    if (!me) {
      dr::log::warn("taking over the resync lease of pid {} on {} (resync #{}): that run is gone", holder_pid, holder_host,
                    get.column_int(0));
    }
  }
  Statement put(db,
                "INSERT INTO resync_leases (link_id, resync_id, host, pid, heartbeat_ms) VALUES (?1, ?2, ?3, ?4, ?5) "
                "ON CONFLICT (link_id) DO UPDATE SET resync_id = ?2, host = ?3, pid = ?4, heartbeat_ms = ?5");
  put.bind(1, link_id).bind(2, resync_id).bind(3, host).bind(4, pid).bind(5, now).run();
  tx.commit();
}

void release_resync_lease(StateStore& store, int64_t link_id) {
  Statement del(store.impl().db, "DELETE FROM resync_leases WHERE link_id = ?1 AND host = ?2 AND pid = ?3");
  del.bind(1, link_id).bind(2, host_name()).bind(3, static_cast<int64_t>(::getpid())).run();
}

Link establish_reverse_link(StateStore& store, const Link& forward, std::span<const TopicMapping> reverse_topics,
                            std::span<const PartitionMappingUpdate> seed, const std::string& reason) {
  Db& db = store.impl().db;
  Transaction tx(db);
  const int64_t now = now_ms();
  Statement find(db, "SELECT link_id, state FROM links WHERE source_cluster_id = ?1 AND target_cluster_id = ?2");
  find.bind(1, forward.target_cluster_id).bind(2, forward.source_cluster_id);
  int64_t reverse_id = 0;
  if (find.step()) {
    reverse_id = find.column_int(0);
    if (find.column_text(1) == "active") {
      tx.commit();
      return *find_link_by_id(store, reverse_id);
    }
    // Left by an earlier failback cycle: a new epoch, and nothing of its old mapping survives (the
    // old primary's partitions were rewritten since).
    Statement reset(db,
                    "UPDATE links SET state = 'active', epoch = epoch + 1, state_reason = ?2, rename_template = '{topic}', "
                    "updated_ms = ?3 WHERE link_id = ?1");
    reset.bind(1, reverse_id).bind(2, reason).bind(3, now).run();
    for (const char* table : {"offset_segments", "skipped_records", "topic_map", "group_checkpoints",
                              "group_checkpoint_reads"}) {
      Statement del(db, fmt::format("DELETE FROM {} WHERE link_id = ?1", table));
      del.bind(1, reverse_id).run();
    }
  } else {
    Statement ins(db,
                  "INSERT INTO links (name, source_cluster_id, target_cluster_id, rename_template, state_reason, "
                  "created_ms, updated_ms) VALUES (?1, ?2, ?3, '{topic}', ?4, ?5, ?5)");
    ins.bind(1, forward.target_alias + "->" + forward.source_alias).bind(2, forward.target_cluster_id);
    ins.bind(3, forward.source_cluster_id).bind(4, reason).bind(5, now).run();
    reverse_id = sqlite3_last_insert_rowid(db.get());
  }
  Statement topic(db,
                  "INSERT INTO topic_map (link_id, source_topic, target_topic, partitions, created_ms, updated_ms) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
  for (const TopicMapping& m : reverse_topics) {
    topic.reset();
    topic.bind(1, reverse_id).bind(2, m.source_topic).bind(3, m.target_topic).bind(4, m.partitions).bind(5, now).run();
  }
  Statement row(db,
                "INSERT INTO offset_segments (link_id, source_topic, partition, source_start, target_start, length, "
                "first_timestamp_ms, last_timestamp_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  for (const PartitionMappingUpdate& u : seed) {
    for (const OffsetSegment& s : u.segments) {
      row.reset();
      row.bind(1, reverse_id).bind(2, u.source_topic).bind(3, u.partition).bind(4, s.source_start.value());
      row.bind(5, s.target_start.value()).bind(6, s.length).bind(7, s.first_timestamp_ms).bind(8, s.last_timestamp_ms);
      row.run();
    }
  }
  Statement retire(db, "UPDATE links SET state = 'retired', state_reason = ?2, updated_ms = ?3 WHERE link_id = ?1");
  retire.bind(1, forward.id).bind(2, reason).bind(3, now).run();
  tx.commit();
  return *find_link_by_id(store, reverse_id);
}

}  // namespace dr::store
