#include "dr/store/drills.hpp"

#include "store/state_store_impl.hpp"

namespace dr::store {
namespace {

void bind_optional(Statement& st, int index, const std::optional<int64_t>& v) {
  if (v) st.bind(index, *v);
  else st.bind_null(index);
}

std::optional<int64_t> optional_column(Statement& st, int column) {
  if (st.column_is_null(column)) return std::nullopt;
  return st.column_int(column);
}

constexpr const char* kColumns =
    "SELECT drill_id, started_ms, finished_ms, scope, scenario, verdict, rpo_ms, rpo_records, rto_ms, records_lost, "
    "records_duplicated, os_user, host, pid, primary_cluster_id, standby_cluster_id, canary_topic, report_dir, reasons, "
    "coalesce(report, '') FROM drills ";

DrillRow read_row(Statement& st) {
  DrillRow r;
  r.id = st.column_int(0);
  r.started_ms = st.column_int(1);
  r.finished_ms = optional_column(st, 2);
  r.scope = st.column_text(3);
  r.scenario = st.column_text(4);
  r.verdict = st.column_text(5);
  r.rpo_ms = optional_column(st, 6);
  r.rpo_records = optional_column(st, 7);
  r.rto_ms = optional_column(st, 8);
  r.lost = optional_column(st, 9);
  r.duplicated = optional_column(st, 10);
  r.os_user = st.column_text(11);
  r.host = st.column_text(12);
  r.pid = st.column_int(13);
  r.primary_cluster_id = st.column_text(14);
  r.standby_cluster_id = st.column_text(15);
  r.canary_topic = st.column_text(16);
  r.report_dir = st.column_text(17);
  r.reasons = st.column_text(18);
  r.report_json = st.column_text(19);
  return r;
}

}  // namespace

int64_t begin_drill(StateStore& store, const DrillRow& r) {
  Db& db = store.impl().db;
  Statement st(db,
               "INSERT INTO drills (started_ms, scenario, scope, verdict, os_user, host, pid, primary_cluster_id, "
               "standby_cluster_id, canary_topic, report_dir) VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  st.bind(1, r.started_ms).bind(2, r.scenario).bind(3, r.scope).bind(4, r.os_user).bind(5, r.host).bind(6, r.pid);
  st.bind(7, r.primary_cluster_id).bind(8, r.standby_cluster_id).bind(9, r.canary_topic).bind(10, r.report_dir).run();
  return sqlite3_last_insert_rowid(db.get());
}

void finish_drill(StateStore& store, const DrillRow& r) {
  Statement st(store.impl().db,
               "UPDATE drills SET finished_ms = ?2, verdict = ?3, rpo_ms = ?4, rpo_records = ?5, rto_ms = ?6, "
               "records_lost = ?7, records_duplicated = ?8, reasons = ?9, report = ?10, report_dir = ?11 WHERE drill_id = ?1");
  st.bind(1, r.id);
  bind_optional(st, 2, r.finished_ms);
  st.bind(3, r.verdict);
  bind_optional(st, 4, r.rpo_ms);
  bind_optional(st, 5, r.rpo_records);
  bind_optional(st, 6, r.rto_ms);
  bind_optional(st, 7, r.lost);
  bind_optional(st, 8, r.duplicated);
  st.bind(9, r.reasons).bind(10, r.report_json).bind(11, r.report_dir).run();
}

std::vector<DrillRow> list_drills(StateStore& store, int limit) {
  Statement st(store.impl().db, std::string(kColumns) + "ORDER BY drill_id DESC LIMIT ?1");
  st.bind(1, static_cast<int64_t>(limit > 0 ? limit : -1));
  std::vector<DrillRow> out;
  while (st.step()) out.push_back(read_row(st));
  return out;
}

std::optional<DrillRow> last_passing_drill(StateStore& store) {
  Statement st(store.impl().db, std::string(kColumns) + "WHERE verdict = 'passed' ORDER BY started_ms DESC LIMIT 1");
  if (!st.step()) return std::nullopt;
  return read_row(st);
}

}  // namespace dr::store
