// Drill history (table drills, migrations 0001 and 0004): one row per dr-drill run, written when
// the drill starts (verdict "running") and completed when it ends. A row left "running" by a
// process that is gone is a drill that was killed: it never counts as passing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dr/store/state_store.hpp"

namespace dr::store {

struct DrillRow {
  int64_t id = 0;
  int64_t started_ms = 0;
  std::optional<int64_t> finished_ms;
  std::string scope;    // canary, groups
  std::string scenario; // e.g. "canary kill -9 + failover --at" (free text, for people)
  std::string verdict = "running";  // running, passed, failed
  std::optional<int64_t> rpo_ms, rpo_records, rto_ms, lost, duplicated;
  std::string os_user, host;
  int64_t pid = 0;
  std::string primary_cluster_id, standby_cluster_id, canary_topic, report_dir;
  std::string reasons;      // why it failed, one per line
  std::string report_json;  // the whole report (dr::drill::to_json); empty while running
};

// Inserts the row of a starting drill (verdict running); returns its id.
int64_t begin_drill(StateStore& store, const DrillRow& row);
// Completes it: finished_ms, verdict, the measures, reasons and report (one UPDATE).
void finish_drill(StateStore& store, const DrillRow& row);
// Newest first; at most `limit` rows (0: all).
std::vector<DrillRow> list_drills(StateStore& store, int limit = 0);
// The newest drill with verdict passed.
std::optional<DrillRow> last_passing_drill(StateStore& store);

}  // namespace dr::store
