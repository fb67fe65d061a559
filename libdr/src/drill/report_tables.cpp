// The report's tables, shared by the Markdown and the HTML writer.
#include "drill/report_tables.hpp"

#include <fmt/format.h>

#include "dr/drill/analysis.hpp"
#include "dr/translate/time_input.hpp"

namespace dr::drill::detail {
namespace {

std::string when(int64_t ms) { return ms > 0 ? translate::format_time(ms) : "-"; }

std::string met(bool ok) { return ok ? "met" : "MISSED"; }

std::string step_status(const Step& s) {
  if (!s.ok) return "FAILED";
  return s.finished_ms > 0 ? "ok" : "not finished";
}

std::string since_disaster(const DrillReport& r, int64_t ms) {
  if (r.disaster_ms <= 0 || ms < 0) return "-";
  return "+" + format_duration(ms);
}

std::string cluster_line(const ClusterInfo& c) {
  std::string line = c.cluster_id.empty() ? "(cluster id unknown)" : c.cluster_id;
  if (!c.bootstrap.empty()) line += " at " + c.bootstrap;
  if (!c.kafka_version.empty()) line += ", Kafka " + c.kafka_version;
  return line;
}

}  // namespace

std::string report_title(const DrillReport& r) {
  std::string id = r.id > 0 ? fmt::format(" #{}", r.id) : "";
  if (r.dry_run) return "Game day plan (dry run): nothing changed";
  return fmt::format("{}{}: {}", r.scope == "groups" ? "Game day" : "Failover drill", id, r.passed ? "PASSED" : "FAILED");
}

Table header_table(const DrillReport& r) {
  Table t;
  auto row = [&](std::string key, std::string value) { t.rows.push_back({std::move(key), std::move(value)}); };
  row("Verdict", r.passed ? "PASSED" : "FAILED");
  row("When", fmt::format("{} to {} (UTC, {})", when(r.started_ms), when(r.finished_ms),
                          r.finished_ms > r.started_ms ? format_duration(r.finished_ms - r.started_ms) : "-"));
  row("Who", fmt::format("{}@{}", r.os_user.empty() ? "?" : r.os_user, r.host.empty() ? "?" : r.host));
  row("Scope", r.scope + (r.local ? " (local clusters started by the drill)" : ""));
  for (const auto& c : r.clusters) row(c.role == "primary" ? "Primary" : c.role == "standby" ? "Standby" : c.role, cluster_line(c));
  row("kafka-dr", r.kafka_dr_version.empty() ? "unknown" : r.kafka_dr_version);
  if (!r.command.empty()) row("Command", r.command);
  row("Objectives", fmt::format("RPO {} or better, RTO {} or better", format_duration(r.objectives.rpo_ms),
                                format_duration(r.objectives.rto_ms)));
  if (r.scope == "groups") {
    row("Game day", fmt::format("{} failover of groups {} over link {}", r.mode, r.groups, r.link));
    if (r.disaster_ms > 0) {
      row("Disaster", when(r.disaster_ms) + (r.mode == "unplanned" ? " (the link's dr-mirror was killed with SIGKILL)"
                                                                    : " (the switchover started)"));
    }
  } else {
    row("Canary", fmt::format("topic {} ({} partitions, {} records/s), group {}", r.canary_topic, r.partitions,
                              r.rate_per_s, r.canary_group));
    if (r.disaster_ms > 0) row("Disaster", when(r.disaster_ms) + " (the canary mirror was killed with SIGKILL)");
  }
  if (!r.report_dir.empty()) row("Report directory", r.report_dir);
  return t;
}

std::vector<Table> body_tables(const DrillReport& r) {
  std::vector<Table> out;

  if (!r.reasons.empty()) {
    Table t;
    t.heading = "Why the drill failed";
    t.bullets = r.reasons;
    out.push_back(std::move(t));
  }

  if (!r.dry_run) {
    const bool groups = r.scope == "groups";
    Table t;
    t.heading = "Results";
    t.columns = {"Measure", "Measured", "Objective", "Result"};
    const bool rpo_ok = r.rpo_ms <= r.objectives.rpo_ms;
    t.rows.push_back({"RPO (data at risk)",
                      fmt::format("{} records, oldest {} old", r.rpo_records, r.rpo_records > 0 ? format_duration(r.rpo_ms) : "0 ms"),
                      format_duration(r.objectives.rpo_ms), met(rpo_ok)});
    const bool rto_ok = r.rto_ms >= 0 && r.rto_ms <= r.objectives.rto_ms;
    t.rows.push_back({groups ? "RTO (disaster to offsets committed on the standby)"
                             : "RTO (disaster to first record consumed on the standby)",
                      r.rto_ms >= 0 ? format_duration(r.rto_ms) : "never reached", format_duration(r.objectives.rto_ms),
                      met(rto_ok)});
    t.rows.push_back({"Lost records", std::to_string(r.lost), "0", r.lost == 0 ? "met" : "MISSED"});
    t.rows.push_back({"Duplicates", std::to_string(r.duplicates),
                      fmt::format("{} explained by the plan", r.expected_duplicates),
                      r.duplicates <= r.expected_duplicates ? "met" : "MISSED"});
    out.push_back(std::move(t));
  }

  if (r.disaster_ms > 0) {
    Table t;
    t.heading = "Recovery time by step";
    t.intro = "Time since the disaster moment.";
    t.columns = {"Step", "Since disaster"};
    t.rows.push_back({"failover plan ready (dr-failover dry run)", since_disaster(r, r.rto_plan_ms)});
    t.rows.push_back({"offsets committed on the standby (dr-failover --execute)", since_disaster(r, r.rto_commit_ms)});
    if (r.scope != "groups") {
      t.rows.push_back({"first record consumed on the standby", since_disaster(r, r.rto_first_record_ms)});
    }
    out.push_back(std::move(t));
  }

  if (!r.steps.empty()) {
    Table t;
    t.heading = "Steps";
    t.columns = {"#", "Step", "Started (UTC)", "Took", "Result", "Detail"};
    int n = 0;
    for (const auto& s : r.steps) {
      t.rows.push_back({std::to_string(++n), s.title.empty() ? s.name : s.title, when(s.started_ms),
                        s.finished_ms >= s.started_ms && s.finished_ms > 0 ? format_duration(s.finished_ms - s.started_ms) : "-",
                        step_status(s), s.detail});
    }
    out.push_back(std::move(t));
  }

  if (!r.partition_results.empty() && r.scope == "groups") {
    Table t;
    t.heading = "Groups";
    t.intro = r.dry_run ? "Per group and partition: where dr-failover would resume the group on the standby."
                        : "Per group and partition: the offset committed on the standby, read back, against the exact "
                          "translation of the group's committed offset on the primary. Below it, records are read twice; "
                          "above it, records are skipped (lost).";
    t.columns = {"Group", "Topic", "Partition", "Checkpoint (source offset)", "Basis, precision", "Planned on standby"};
    if (!r.dry_run) {
      t.columns.insert(t.columns.end(), {"Committed on primary", "Exact on standby", "Committed on standby (read back)",
                                          "Duplicates (explained)", "Lost"});
    }
    for (const auto& p : r.partition_results) {
      std::vector<std::string> row = {p.group, p.topic, std::to_string(p.partition), std::to_string(p.checkpoint_offset),
                                      p.basis + ", " + p.precision, std::to_string(p.chosen_offset)};
      if (!r.dry_run) {
        auto offset = [](int64_t o) { return o >= 0 ? std::to_string(o) : std::string("-"); };
        row.insert(row.end(), {offset(p.source_committed), offset(p.exact_offset), offset(p.standby_committed),
                               fmt::format("{} ({})", p.duplicates, p.plan_duplicates + p.checkpoint_age_duplicates),
                               std::to_string(std::max<int64_t>(0, p.standby_committed - p.exact_offset))});
      }
      t.rows.push_back(std::move(row));
    }
    out.push_back(std::move(t));
  } else if (!r.partition_results.empty()) {
    Table t;
    t.heading = "Partitions";
    t.intro = "Per canary partition: what was at risk, where dr-failover resumed the group, and what the group read.";
    t.columns = {"Partition", "Produced before disaster", "Not replicated", "Checkpoint (source offset)",
                 "Committed on standby", "Basis", "Precision", "Read on primary", "Read on standby",
                 "Duplicates (explained)", "Lost"};
    for (const auto& p : r.partition_results) {
      t.rows.push_back({std::to_string(p.partition), std::to_string(p.produced_before_disaster),
                        std::to_string(p.unreplicated), p.checkpoint_offset >= 0 ? std::to_string(p.checkpoint_offset) : "-",
                        p.chosen_offset >= 0 ? std::to_string(p.chosen_offset) : "-", p.basis.empty() ? "-" : p.basis,
                        p.precision.empty() ? "-" : p.precision, std::to_string(p.consumed_primary),
                        std::to_string(p.consumed_standby),
                        fmt::format("{} ({})", p.duplicates, p.plan_duplicates + p.checkpoint_age_duplicates),
                        std::to_string(p.lost.size())});
    }
    out.push_back(std::move(t));
  }

  if (r.lost > 0 && r.scope == "groups") {
    Table t;
    t.heading = "Lost records";
    t.intro = "Standby offsets between the exact translation and the committed offset: the group skips them (the first 100 "
              "per partition).";
    t.columns = {"Group", "Topic", "Partition", "Standby offset"};
    for (const auto& p : r.partition_results)
      for (const auto& l : p.lost) t.rows.push_back({p.group, p.topic, std::to_string(p.partition), std::to_string(l.standby_offset)});
    out.push_back(std::move(t));
  } else if (r.lost > 0) {
    Table t;
    t.heading = "Lost records";
    t.intro = "Records that reached the standby but that the canary group never read, on either cluster.";
    t.columns = {"Partition", "Standby offset", "Canary sequence number"};
    for (const auto& p : r.partition_results)
      for (const auto& l : p.lost)
        t.rows.push_back({std::to_string(p.partition), std::to_string(l.standby_offset), std::to_string(l.seq)});
    out.push_back(std::move(t));
  }

  {
    Table t;
    t.heading = r.scope == "groups" ? "Links at the start" : "Production mirrors (read only)";
    t.intro = r.scope == "groups" ? "The links in the state file when the game day started."
                                  : "The production links in the state file at drill time; the drill does not touch them.";
    t.columns = {"Link", "State", "Mapped partitions", "Newest mirrored record (UTC)", "Lag (records)", "Note"};
    for (const auto& l : r.production) {
      t.rows.push_back({l.link, l.state, std::to_string(l.mapped_partitions), when(l.newest_mapped_record_ms),
                        l.lag_records >= 0 ? std::to_string(l.lag_records) : "unknown", l.note});
    }
    if (r.production.empty()) t.bullets.push_back("No production link in the state file.");
    out.push_back(std::move(t));
  }

  if (!r.notes.empty()) {
    Table t;
    t.heading = "Notes";
    t.bullets = r.notes;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace dr::drill::detail
