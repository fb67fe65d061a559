// The drill's summary for the terminal: the verdict and why first, then the measures and the steps.
#include <fmt/format.h>

#include "dr/drill/analysis.hpp"
#include "dr/drill/report.hpp"

namespace dr::drill {

std::string to_text(const DrillReport& r) {
  std::string out;
  if (r.dry_run) {
    out += fmt::format("game day plan ({}, groups {}, link {}): DRY RUN, nothing changed\n", r.mode, r.groups, r.link);
    for (const auto& c : r.clusters) out += fmt::format("{:<8} {} ({})\n", c.role, c.cluster_id, c.bootstrap);
    out += fmt::format("\n{:<30} {:<30} {:>9} {:>12} {:>12}  {}\n", "GROUP", "TOPIC", "PARTITION", "CHECKPOINT", "ON STANDBY",
                       "BASIS");
    for (const auto& p : r.partition_results) {
      out += fmt::format("{:<30} {:<30} {:>9} {:>12} {:>12}  {}\n", p.group, p.topic, p.partition, p.checkpoint_offset,
                         p.chosen_offset, p.basis);
    }
    for (const auto& s : r.steps) out += fmt::format("plan: {}\n", s.detail);
    for (const auto& n : r.notes) out += fmt::format("note: {}\n", n);
    return out;
  }
  const bool groups = r.scope == "groups";
  out += fmt::format("drill #{} ({}{}): {}\n", r.id, groups ? "game day, " + r.mode : r.scope + " scope",
                     r.local ? ", --local" : "", r.passed ? "PASSED" : "FAILED");
  for (const auto& why : r.reasons) out += fmt::format("  - {}\n", why);
  for (const auto& c : r.clusters) out += fmt::format("{:<8} {} ({})\n", c.role, c.cluster_id, c.bootstrap);
  out += fmt::format("RPO      {} record(s) had not reached the standby; oldest {} old (objective {})\n", r.rpo_records,
                     format_duration(r.rpo_ms), format_duration(r.objectives.rpo_ms));
  out += fmt::format("RTO      {} (objective {}): plan ready +{}, offsets committed +{}", format_duration(r.rto_ms),
                     format_duration(r.objectives.rto_ms), format_duration(r.rto_plan_ms), format_duration(r.rto_commit_ms));
  out += groups ? " (the groups' consumers are yours to start on the standby)\n"
                : fmt::format(", first record consumed +{}\n", format_duration(r.rto_first_record_ms));
  out += fmt::format("lost     {}\n{} {} (dr-failover's plan and the checkpoint's age account for {})\n", r.lost,
                     groups ? "duplicates" : "read twice", r.duplicates, r.expected_duplicates);
  out += fmt::format("\n{:<14} {:>9}  {}\n", "STEP", "SECONDS", "WHAT HAPPENED");
  for (const auto& s : r.steps) {
    out += fmt::format("{:<14} {:>9.1f}  {}{}{}\n", s.name, (s.finished_ms - s.started_ms) / 1000.0, s.ok ? "" : "FAILED: ",
                       s.title, s.detail.empty() ? "" : " - " + s.detail.substr(0, s.detail.find('\n')));
  }
  for (const auto& p : r.production) {
    out += fmt::format("production link {} ({}): {} record(s) behind\n", p.link, p.state,
                       p.lag_records < 0 ? std::string("?") : std::to_string(p.lag_records));
  }
  for (const auto& n : r.notes) out += fmt::format("note: {}\n", n);
  out += fmt::format("\nreport: {0}/report.html, {0}/report.md, {0}/report.json\n", r.report_dir);
  return out;
}

}  // namespace dr::drill
