#include "dr/drill/history.hpp"

#include <signal.h>

#include <algorithm>

#include <fmt/format.h>

#include "dr/drill/analysis.hpp"
#include "dr/translate/time_input.hpp"
#include "dr/who.hpp"

namespace dr::drill {
namespace {

std::optional<int64_t> median(std::vector<int64_t> v) {
  if (v.empty()) return std::nullopt;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

std::vector<HistoryEntry> drill_history(store::StateStore& store, int limit) {
  std::vector<HistoryEntry> out;
  for (auto& row : store::list_drills(store, limit)) {
    if (row.verdict == "running" && row.host == host_name() && (row.pid <= 0 || ::kill(static_cast<pid_t>(row.pid), 0) != 0)) {
      row.verdict = "killed";
    }
    out.push_back({std::move(row), std::nullopt, std::nullopt});
  }
  for (size_t i = 0; i < out.size(); ++i) {
    for (size_t j = i + 1; j < out.size(); ++j) {
      const auto& a = out[i].row;
      const auto& b = out[j].row;
      if (!b.finished_ms) continue;
      if (a.rpo_ms && b.rpo_ms) out[i].rpo_change_ms = *a.rpo_ms - *b.rpo_ms;
      if (a.rto_ms && b.rto_ms) out[i].rto_change_ms = *a.rto_ms - *b.rto_ms;
      break;
    }
  }
  return out;
}

std::string trend_summary(const std::vector<HistoryEntry>& entries) {
  std::vector<const store::DrillRow*> done;
  for (const auto& e : entries) {
    if (e.row.finished_ms) done.push_back(&e.row);
  }
  if (done.size() < 2) return "trend: needs two finished drills";
  std::string out = "trend:";
  auto one = [&](const char* name, std::optional<int64_t> store::DrillRow::*field) {
    if (!(done[0]->*field)) return;
    std::vector<int64_t> before;
    for (size_t i = 1; i < done.size(); ++i) {
      if (done[i]->*field) before.push_back(*(done[i]->*field));
    }
    const auto m = median(before);
    if (!m) return;
    const int64_t now = *(done[0]->*field);
    const char* word = now > *m * 11 / 10 + 100 ? "worse" : now * 11 / 10 + 100 < *m ? "better" : "steady";
    out += fmt::format(" {} {} (median of the {} before: {}): {};", name, format_duration(now), before.size(), format_duration(*m), word);
  };
  one("RTO", &store::DrillRow::rto_ms);
  one("RPO", &store::DrillRow::rpo_ms);
  if (out.back() == ';') out.pop_back();
  return out;
}

DrillStatus drill_status(store::StateStore& store, int64_t max_age_days, int64_t now_ms) {
  DrillStatus s;
  auto rows = store::list_drills(store, 1);
  if (!rows.empty()) s.last = rows.front();
  s.last_passed = store::last_passing_drill(store);
  const int64_t max_age_ms = max_age_days * 24 * 3600 * 1000;
  if (!s.last_passed) {
    s.overdue = true;
    s.warning = "no drill has passed yet: run dr-drill run (runbooks/drill.md)";
  } else if (now_ms - s.last_passed->started_ms > max_age_ms) {
    s.overdue = true;
    s.warning = fmt::format("the last passing drill (#{}, {}) is {} days old, more than {}: run dr-drill run (runbooks/drill.md)",
                            s.last_passed->id, translate::format_time(s.last_passed->started_ms),
                            (now_ms - s.last_passed->started_ms) / (24 * 3600 * 1000), max_age_days);
  }
  return s;
}

}  // namespace dr::drill
