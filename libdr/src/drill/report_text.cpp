// The drill's summary for the terminal: the verdict and why first, then the measures and the steps.
#include <fmt/format.h>

#include "dr/drill/analysis.hpp"
#include "dr/drill/report.hpp"

namespace dr::drill {

std::string to_text(const DrillReport& r) {
  std::string out;
  out += fmt::format("drill #{} ({} scope{}): {}\n", r.id, r.scope, r.local ? ", --local" : "", r.passed ? "PASSED" : "FAILED");
  for (const auto& why : r.reasons) out += fmt::format("  - {}\n", why);
  for (const auto& c : r.clusters) out += fmt::format("{:<8} {} ({})\n", c.role, c.cluster_id, c.bootstrap);
  out += fmt::format("RPO      {} record(s) had not reached the standby; oldest {} old (objective {})\n", r.rpo_records,
                     format_duration(r.rpo_ms), format_duration(r.objectives.rpo_ms));
  out += fmt::format("RTO      {} (objective {}): plan ready +{}, offsets committed +{}, first record consumed +{}\n",
                     format_duration(r.rto_ms), format_duration(r.objectives.rto_ms), format_duration(r.rto_plan_ms),
                     format_duration(r.rto_commit_ms), format_duration(r.rto_first_record_ms));
  out += fmt::format("lost     {}\nread twice {} (dr-failover's plan and the checkpoint's age account for {})\n", r.lost,
                     r.duplicates, r.expected_duplicates);
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
