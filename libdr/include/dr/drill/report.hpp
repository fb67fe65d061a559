// What a drill measured, and how it is written: JSON (for scripts and the history), Markdown (for
// tickets and auditors) and a self-contained HTML page with charts (for people).
//
// The report is plain data: dr-drill run fills it (libdr/src/drill/run.cpp), the writers below only
// read it. Times are milliseconds since the Unix epoch (UTC); durations are milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dr::drill {

// Pass/fail thresholds. Documented defaults: RPO 30 s, RTO 5 min.
struct Objectives {
  int64_t rpo_ms = 30000;
  int64_t rto_ms = 300000;
};

struct ClusterInfo {
  std::string role;           // "primary" or "standby"
  std::string cluster_id;
  std::string bootstrap;      // bootstrap.servers as configured (no secrets)
  std::string kafka_version;  // "3.9.2" when known (--local started it), else "" (the protocol does not say)
};

// One step of the drill, in order: set-up, warm-up, disaster, plan, commit, first record consumed,
// catch-up, clean-up. `ok` false stops the drill (later steps are not run) and fails it.
struct Step {
  std::string name;          // short id: "setup", "warmup", "disaster", "plan", "commit", "first_record", ...
  std::string title;         // for people: "failover plan ready"
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  bool ok = true;
  std::string detail;        // what happened (and why it failed)
};

// Sampled every ~500 ms while the canary runs (cumulative counts).
struct Sample {
  int64_t at_ms = 0;
  int64_t produced = 0;            // canary records acknowledged by the primary
  int64_t consumed_primary = 0;    // read by the canary group on the primary
  int64_t consumed_standby = 0;    // read by the canary group on the standby (after the failover)
  int64_t mirror_lag_records = -1; // canary records on the primary not yet on the standby (-1: unknown)
};

// A canary record the consumer read: for the continuity chart and the loss/duplicate lists.
struct Consumed {
  int64_t at_ms = 0;   // when the consumer got it
  int64_t seq = 0;     // the canary sequence number (per partition, from 0)
  bool on_standby = false;
};

// A record that reached the standby but that the canary group never read (on either cluster).
struct LostRecord {
  int64_t standby_offset = 0;
  int64_t seq = 0;
};

struct PartitionResult {
  int32_t partition = 0;
  // Game day (scope groups): one row per group, topic and partition the failover moved.
  std::string group;
  std::string topic;                 // the source topic
  int64_t source_committed = -1;     // the group's committed offset on the primary, read after the failover
  int64_t exact_offset = -1;         // that offset translated exactly through the mapping (on the standby)
  int64_t standby_committed = -1;    // read back from the standby after the failover
  // RPO inputs: records the primary acknowledged before the disaster moment, and of those, how many
  // had not reached the standby when the mirror died.
  int64_t produced_before_disaster = 0;
  int64_t unreplicated = 0;
  std::optional<int64_t> oldest_unreplicated_ms;  // its produce time
  // The failover plan for the canary group (dr-failover --at the disaster time).
  int64_t checkpoint_offset = -1;  // source offset the last checkpoint held
  int64_t chosen_offset = -1;      // standby offset committed
  std::string basis;               // "checkpoint" or "time"
  std::string precision;           // the translation's precision: "exact", ...
  int64_t plan_duplicates = 0;     // dr-failover's expected_duplicates (rewind for --at)
  int64_t checkpoint_age_duplicates = 0;  // read on the primary after the checkpoint, and on the standby
  // Measured.
  int64_t consumed_primary = 0;
  int64_t consumed_standby = 0;
  int64_t duplicates = 0;          // read twice (on both clusters, or twice on one)
  std::vector<LostRecord> lost;    // must be empty
  std::vector<Consumed> consumed;  // in the order read (for the continuity chart)
};

// The production mirror's lag at drill time, read-only from the state file (and the primary's end
// offsets when reachable).
struct ProductionLink {
  std::string link;
  std::string state;               // active, failed_over, ...
  int64_t mapped_partitions = 0;
  int64_t newest_mapped_record_ms = 0;
  int64_t lag_records = -1;        // source end offsets minus mapped end, summed; -1 unknown
  std::string note;
};

struct DrillReport {
  int64_t id = 0;                // the drills row in the state file (0: not recorded)
  std::string scope = "canary";  // "canary" or "groups" (a game day)
  // Game day: "planned" (a switchover) or "unplanned" (the link's dr-mirror killed), the link, the
  // groups (regex). dry_run: without --execute, only the plan (nothing changed, not in the history).
  std::string mode;
  std::string link;
  std::string groups;
  bool dry_run = false;
  bool local = false;            // --local: clusters started by the drill itself
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  std::string os_user;
  std::string host;
  std::string kafka_dr_version;
  std::string command;           // the dr-drill command line, secrets masked
  std::vector<ClusterInfo> clusters;
  Objectives objectives;
  // Canary set-up.
  std::string canary_topic;
  std::string canary_group;
  int32_t partitions = 0;
  int64_t rate_per_s = 0;
  // The disaster moment (the canary mirror was killed with SIGKILL) and what it cost.
  int64_t disaster_ms = 0;
  int64_t rpo_records = 0;   // records acknowledged before the disaster that never reached the standby
  int64_t rpo_ms = 0;        // age at the disaster of the oldest of them (0 when none)
  // RTO by step: disaster -> plan ready -> offsets committed -> first record consumed on the standby.
  int64_t rto_plan_ms = -1;
  int64_t rto_commit_ms = -1;
  int64_t rto_first_record_ms = -1;
  int64_t rto_ms = -1;       // disaster -> first record consumed on the standby (-1: never)
  int64_t lost = 0;
  int64_t duplicates = 0;
  int64_t expected_duplicates = 0;  // plan_duplicates + checkpoint_age_duplicates, all partitions
  std::vector<Step> steps;
  std::vector<Sample> samples;
  std::vector<PartitionResult> partition_results;
  std::vector<ProductionLink> production;
  // Verdict: passed when every step succeeded, nothing was lost, duplicates are what the plan
  // explains, and both objectives are met. `reasons` says why not, one line each.
  bool passed = false;
  std::vector<std::string> reasons;
  std::vector<std::string> notes;  // informational lines (e.g. what was cleaned up)
  std::string report_dir;
};

// JSON: every field above (the continuity series included). Stable keys: scripts and the history
// read them. from_json reads what to_json wrote (dr::Error(bad_input) otherwise).
std::string to_json(const DrillReport& report);
DrillReport report_from_json(const std::string& json);

// What `dr-drill run` prints: the verdict and the reasons first, the measures, the steps, the
// production links' lag and where the report files are.
std::string to_text(const DrillReport& report);

// Markdown: header (when, who, clusters and ids, versions, objectives, verdict), the RTO steps,
// per-partition results, lost records, production mirror lag. No charts.
std::string to_markdown(const DrillReport& report);

// A self-contained HTML page (no network access needed to view it): the header, the tables of the
// Markdown report, and three charts drawn by gnuplot (SVG, inlined): a timeline of the steps; mirror
// lag and canary throughput over the drill; sequence continuity per partition across the failover.
// `gnuplot` is the program to run. When it cannot be run, the page says so where the charts would be
// and the rest is still written (a missing chart does not fail a drill).
std::string to_html(const DrillReport& report, const std::string& gnuplot = "gnuplot");

// Writes report.json, report.md and report.html into `dir` (created if needed), each whole
// (temporary file, fsync, rename). Throws dr::Error(io) naming the file.
void write_report_files(const DrillReport& report, const std::string& dir, const std::string& gnuplot = "gnuplot");

}  // namespace dr::drill
