// The drill history in the state file, for people: `dr-drill history` and dr-status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dr/store/drills.hpp"
#include "dr/store/state_store.hpp"

namespace dr::drill {

struct HistoryEntry {
  store::DrillRow row;
  // Change against the previous finished drill (older), when both have the measure: negative = better.
  std::optional<int64_t> rpo_change_ms, rto_change_ms;
};

// Newest first, at most `limit` rows (0: all). A row still "running" whose process is gone (same
// host) is shown as verdict "killed".
std::vector<HistoryEntry> drill_history(store::StateStore& store, int limit);

// One line about the trend of RTO and RPO over the finished drills in `entries`: the newest
// against the median of the ones before it ("RTO 4.2 s, median of the 5 before 3.9 s: worse").
std::string trend_summary(const std::vector<HistoryEntry>& entries);

struct DrillStatus {
  std::optional<store::DrillRow> last;         // the newest drill, whatever its verdict
  std::optional<store::DrillRow> last_passed;  // the newest passing drill
  bool overdue = false;  // no passing drill, or the last one is older than max_age_days
  std::string warning;   // why overdue, for people
};
DrillStatus drill_status(store::StateStore& store, int64_t max_age_days, int64_t now_ms);

// What `dr-drill history` prints: a JSON array, or a table with the trend line under it ("no drill
// recorded in PATH yet" when empty).
std::string history_json(const std::vector<HistoryEntry>& entries);
std::string history_table(const std::vector<HistoryEntry>& entries, const std::string& state_path);

// dr-status's drill part: a JSON object ({"last", "last_passed", "overdue", "max_age_days",
// "warning"}), and its lines for people ("last drill #3 ...", "WARNING ..." when overdue).
std::string drill_status_json(const DrillStatus& status, int64_t max_age_days);
std::string drill_status_text(store::StateStore& store, const DrillStatus& status);

}  // namespace dr::drill
