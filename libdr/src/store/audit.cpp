#include "dr/store/audit.hpp"

#include <chrono>

#include "dr/clock.hpp"
#include "store/state_store_impl.hpp"

namespace dr::store {

int64_t fence_link(StateStore& store, int64_t link_id, const std::string& reason) {
  Db& db = store.impl().db;
  Transaction tx(db);
  Statement up(db,
               "UPDATE links SET state = 'failed_over', epoch = epoch + 1, state_reason = ?2, updated_ms = ?3 "
               "WHERE link_id = ?1 AND state = 'active'");
  up.bind(1, link_id).bind(2, reason).bind(3, now_ms()).run();
  Statement get(db, "SELECT epoch FROM links WHERE link_id = ?1");
  get.bind(1, link_id);
  if (!get.step()) db.fail("fence: no such link");
  const int64_t epoch = get.column_int(0);
  tx.commit();
  return epoch;
}

int64_t begin_audit(StateStore& store, const AuditRecord& r) {
  Db& db = store.impl().db;
  Statement st(db,
               "INSERT INTO failovers (link_id, kind, at_ms, groups_pattern, started_ms, os_user, host, arguments, plan) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  st.bind(1, r.link_id).bind(2, r.kind);
  if (r.at_ms) st.bind(3, *r.at_ms);
  else st.bind_null(3);
  st.bind(4, r.groups_pattern).bind(5, r.started_ms ? r.started_ms : now_ms()).bind(6, r.os_user).bind(7, r.host);
  st.bind(8, r.arguments).bind(9, r.plan).run();
  return sqlite3_last_insert_rowid(db.get());
}

void finish_audit(StateStore& store, int64_t id, const std::string& result_json, const std::string& outcome) {
  Statement st(store.impl().db, "UPDATE failovers SET finished_ms = ?2, result = ?3, outcome = ?4 WHERE failover_id = ?1");
  st.bind(1, id).bind(2, now_ms()).bind(3, result_json).bind(4, outcome).run();
}

namespace {

constexpr const char* kAuditColumns =
    "SELECT failover_id, link_id, kind, at_ms, coalesce(groups_pattern, ''), started_ms, finished_ms, os_user, host, "
    "arguments, plan, coalesce(result, ''), coalesce(outcome, '') FROM failovers WHERE link_id = ?1 AND kind = 'failover' "
    "AND (outcome IS NULL OR outcome IN ('done', 'partial')) ";

AuditRecord read_audit(Statement& st) {
  AuditRecord r;
  r.id = st.column_int(0);
  r.link_id = st.column_int(1);
  r.kind = st.column_text(2);
  if (!st.column_is_null(3)) r.at_ms = st.column_int(3);
  r.groups_pattern = st.column_text(4);
  r.started_ms = st.column_int(5);
  if (!st.column_is_null(6)) r.finished_ms = st.column_int(6);
  r.os_user = st.column_text(7);
  r.host = st.column_text(8);
  r.arguments = st.column_text(9);
  r.plan = st.column_text(10);
  r.result = st.column_text(11);
  r.outcome = st.column_text(12);
  return r;
}

}  // namespace

std::vector<AuditRecord> list_audit_rows(StateStore& store, int64_t link_id, const std::string& kind) {
  Statement st(store.impl().db,
               "SELECT failover_id, link_id, kind, at_ms, coalesce(groups_pattern, ''), started_ms, finished_ms, os_user, "
               "host, arguments, plan, coalesce(result, ''), coalesce(outcome, '') FROM failovers WHERE link_id = ?1 AND "
               "kind = ?2 ORDER BY failover_id");
  st.bind(1, link_id).bind(2, kind);
  std::vector<AuditRecord> out;
  while (st.step()) out.push_back(read_audit(st));
  return out;
}

std::optional<AuditRecord> last_failover(StateStore& store, int64_t link_id) {
  Statement st(store.impl().db, std::string(kAuditColumns) + "ORDER BY failover_id DESC LIMIT 1");
  st.bind(1, link_id);
  if (!st.step()) return std::nullopt;
  return read_audit(st);
}

std::vector<AuditRecord> list_failovers(StateStore& store, int64_t link_id) {
  Statement st(store.impl().db, std::string(kAuditColumns) + "ORDER BY failover_id");
  st.bind(1, link_id);
  std::vector<AuditRecord> out;
  while (st.step()) out.push_back(read_audit(st));
  return out;
}

}  // namespace dr::store
