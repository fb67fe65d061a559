// dr-drill run: a failover drill as one command (libdr/src/drill/).
//
// Canary scope (the default, safe on production): the drill creates its own canary topic on the
// primary, a producer writing sequence-numbered records at a steady rate, a consumer group reading
// and committing on the primary, and a dr-mirror process of its own (its own state file in the work
// directory) for the canary topic and group. The canary consumer stops reading 1 s before the
// disaster (without a final commit: a consumer a little behind, as real ones are); at the disaster
// moment the drill kills the mirror with SIGKILL while the producer keeps writing;
// then it runs dr-failover --at the disaster time for the canary group (a dry run: "plan ready",
// then --execute: "offsets committed"), and the canary group resumes on the standby until it has
// read everything that reached the standby ("first record consumed", "caught up"). Production
// topics, groups, links and mirrors are only read (the production mirror's lag, from the state file).
//
// The drill is a row in the state file's history from the start (verdict running) and ends as
// passed or failed with its report (JSON, Markdown, HTML) in the work directory.
//
// Errors (dr::Error) before the drill starts: bad_input (options, config files), refused (same
// cluster twice, a canary topic that is not the drill's, a drill already running, a live member in
// the canary group), kafka/access (a cluster unreachable or refusing us). Once the drill has started,
// a failing step does not throw: the report says which step failed and why (passed = false).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dr/drill/report.hpp"

namespace dr::drill {

struct DrillOptions {
  std::string primary_config;         // client .properties of the primary
  std::string standby_config;         // client .properties of the standby
  std::vector<std::string> overrides; // -X primary.KEY=VALUE, -X standby.KEY=VALUE
  std::string state_path;             // the state file that keeps the history (and the production links)
  std::string work_dir;               // reports, the canary mirror's state file and log
  std::string canary_topic = "kafka-dr.drill.canary";
  std::string canary_group = "kafka-dr.drill.canary-group";
  int32_t partitions = 3;
  int64_t rate_per_s = 100;
  int64_t warmup_ms = 15000;          // mirroring before the disaster (at least one checkpoint)
  Objectives objectives;
  bool keep = false;                  // leave the canary topic, groups and state in place
  std::string mirror_binary;          // dr-mirror to run (default: next to the running executable)
  std::string gnuplot = "gnuplot";
  int64_t timeout_ms = 30000;         // per request to a cluster; bounds every wait of the drill
  bool local = false;                 // set by run_local_drill
  std::string kafka_version;          // for the report when known (--local), else "" (not reported)
  std::vector<std::string> command_line;  // argv, for the history (secrets masked)
  std::string fault;  // test hook (DR_DRILL_FAULT): mirror-lag, standby-busy, delete-on-standby
  // Game day (--scope groups).
  std::string scope = "canary";       // canary or groups (the tool calls run_canary_drill or run_groups_drill)
  std::string groups;                 // regex of the production groups to fail over
  std::string mode = "planned";       // planned (a switchover) or unplanned (the link's dr-mirror killed)
  std::string link;                   // the link's name; empty: the one link from primary to standby
  bool execute = false;               // without it: the plan only (a dry run)
  std::string confirm;                // the standby's cluster id, typed back (required with execute)
  int64_t quiet_period_ms = 10000;    // planned: the primary's end offsets must stay still this long
};

DrillReport run_canary_drill(const DrillOptions& options);

// Game day (--scope groups): real groups, a real failover over the production link of the state
// file (options.state_path), in a maintenance window. planned: dr-failover --planned (producers and
// the groups' consumers stopped by the operator first): the groups move exactly. unplanned: the link's
// dr-mirror running on this host is killed with SIGKILL (the disaster), then dr-failover --at the
// disaster moment. Measured: RPO (records on the primary the mapping had not reached at the
// disaster, and the oldest one's age), RTO to offsets committed (the groups' consumers are the
// operator's to restart), lost and duplicated records per group and partition: the offset read back
// from the standby against the exact translation of the group's committed offset on the primary.
// Without options.execute: the plan only (nothing changed, no history row). With it, options.confirm
// must be the standby's cluster id. Afterwards the link is failed over (fenced): failing back is
// runbooks/failback.md. Errors before anything changes: bad_input (options, no --confirm), refused
// (wrong --confirm, same cluster twice, no active link between the clusters, unplanned without the
// link's dr-mirror running on this host, what dr-failover refuses).
DrillReport run_groups_drill(const DrillOptions& options);

// --local: starts two clusters with `clusters_script` (scripts/kafka-clusters) under
// work_dir/clusters, writes their client configs, runs the canary drill against them, and stops
// and removes the clusters (unless keep).
DrillReport run_local_drill(DrillOptions options, const std::string& clusters_script);

// Exit code of a drill that ran and failed (an objective missed, a record lost, a step failed).
constexpr int kExitDrillFailed = 4;

}  // namespace dr::drill
