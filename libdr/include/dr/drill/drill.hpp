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
};

DrillReport run_canary_drill(const DrillOptions& options);

// --local: starts two clusters with `clusters_script` (scripts/kafka-clusters) under
// work_dir/clusters, writes their client configs, runs the canary drill against them, and stops
// and removes the clusters (unless keep).
DrillReport run_local_drill(DrillOptions options, const std::string& clusters_script);

// Exit code of a drill that ran and failed (an objective missed, a record lost, a step failed).
constexpr int kExitDrillFailed = 4;

}  // namespace dr::drill
