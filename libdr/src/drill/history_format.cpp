// The drill history as `dr-drill history` and dr-status print it.
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "dr/drill/analysis.hpp"
#include "dr/drill/history.hpp"
#include "dr/translate/time_input.hpp"

namespace dr::drill {
namespace {

nlohmann::json optional_json(const std::optional<int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

nlohmann::json row_json(const store::DrillRow& r) {
  return {{"id", r.id},
          {"started_ms", r.started_ms},
          {"finished_ms", optional_json(r.finished_ms)},
          {"scope", r.scope},
          {"verdict", r.verdict},
          {"rpo_ms", optional_json(r.rpo_ms)},
          {"rpo_records", optional_json(r.rpo_records)},
          {"rto_ms", optional_json(r.rto_ms)},
          {"lost", optional_json(r.lost)},
          {"duplicates", optional_json(r.duplicated)},
          {"by", r.os_user + "@" + r.host},
          {"report_dir", r.report_dir},
          {"reasons", r.reasons}};
}

std::string change(const std::optional<int64_t>& c) { return c ? fmt::format("{:+.1f} s", *c / 1000.0) : std::string(); }

std::string measure(const std::optional<int64_t>& ms) { return ms ? format_duration(*ms) : "-"; }

}  // namespace

std::string history_json(const std::vector<HistoryEntry>& entries) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : entries) {
    auto j = row_json(e.row);
    j["rpo_change_ms"] = optional_json(e.rpo_change_ms);
    j["rto_change_ms"] = optional_json(e.rto_change_ms);
    out.push_back(std::move(j));
  }
  return out.dump(2);
}

std::string history_table(const std::vector<HistoryEntry>& entries, const std::string& state_path) {
  if (entries.empty()) return fmt::format("no drill recorded in {} yet: run dr-drill run (runbooks/drill.md)\n", state_path);
  std::string out = fmt::format("{:>4} {:<24} {:<7} {:<8} {:>8} {:>9} {:>9} {:>9} {:>5} {:>5}  {}\n", "ID", "STARTED",
                                "SCOPE", "VERDICT", "RPO", "RPO-CHG", "RTO", "RTO-CHG", "LOST", "DUP", "BY / WHY");
  for (const auto& e : entries) {
    const auto& r = e.row;
    const std::string why = first_line(r.reasons);
    out += fmt::format("{:>4} {:<24} {:<7} {:<8} {:>8} {:>9} {:>9} {:>9} {:>5} {:>5}  {}@{}{}{}\n", r.id,
                       translate::format_time(r.started_ms), r.scope, r.verdict, measure(r.rpo_ms), change(e.rpo_change_ms),
                       measure(r.rto_ms), change(e.rto_change_ms), r.lost ? std::to_string(*r.lost) : "-",
                       r.duplicated ? std::to_string(*r.duplicated) : "-", r.os_user, r.host, why.empty() ? "" : ": ", why);
  }
  return out + trend_summary(entries) + "\n";
}

std::string drill_status_json(const DrillStatus& status, int64_t max_age_days) {
  auto row = [](const std::optional<store::DrillRow>& r) { return r ? row_json(*r) : nlohmann::json(nullptr); };
  return nlohmann::json{{"last", row(status.last)},
                        {"last_passed", row(status.last_passed)},
                        {"overdue", status.overdue},
                        {"max_age_days", max_age_days},
                        {"warning", status.warning}}
      .dump(2);
}

std::string drill_status_text(store::StateStore& store, const DrillStatus& status) {
  std::string text;
  if (status.last) {
    const auto last = drill_history(store, 1).front().row;  // verdict "killed" for a dead run
    const std::string why = first_line(last.reasons);
    text += fmt::format("last drill      #{} {} ({} scope): {}{}, RPO {}, RTO {}, by {}@{}\n", last.id,
                        translate::format_time(last.started_ms), last.scope, last.verdict, why.empty() ? "" : " (" + why + ")",
                        measure(last.rpo_ms), measure(last.rto_ms), last.os_user, last.host);
    if (status.last_passed && status.last_passed->id != last.id) {
      text += fmt::format("last passing    #{} {}\n", status.last_passed->id, translate::format_time(status.last_passed->started_ms));
    }
  } else {
    text += "last drill      none recorded\n";
  }
  if (status.overdue) text += fmt::format("WARNING         {}\n", status.warning);
  return text;
}

}  // namespace dr::drill
