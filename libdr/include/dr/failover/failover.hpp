// dr-failover: move consumer groups to the standby at a point in time.
//
// Plan (always; the default is a dry run): per group and partition, the translated last checkpoint,
// the first target offset at or after the time, and the chosen offset: the earlier of the two
// (unless time_only), so a lagging group never skips what it had not read. Execute: fence the link,
// skip (or, all_or_nothing, refuse) groups with live members on the standby, commit the offsets in
// parallel, read every one back, and write an audit row (arguments, link epoch, the resolved time,
// plan, result).
//
// Finishing a partial failover: the first --execute fences the link and fixes the failover time.
// A later run on the fenced link belongs to the same failover when the link epoch is the same and
// its --at is the same text as the first run's (a relative "-5m" then means the time the first run
// resolved it to) or resolves to the same instant; any other time is refused. Such a run may select
// any --groups; groups an earlier run of the failover verified are never committed again: still at
// our offsets they are already_done, elsewhere they moved_on (their consumers resumed) and are left
// alone. Only groups not yet moved (skipped, failed, or not selected before) are committed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dr/translate/translate.hpp"

namespace dr::failover {

struct FailoverOptions {
  std::string state_path;
  std::string link;           // empty: the only link of the state file
  std::string target_config;  // .properties of the standby (the link's target)
  std::vector<std::string> overrides;  // -X key=value for the standby client
  std::string at;             // the failover time, as typed (translate::parse_time)
  std::string groups;         // regex of groups; empty: every checkpointed group
  bool execute = false;
  bool time_only = false;
  bool all_or_nothing = false;
  int64_t timeout_ms = 30000;
  std::vector<std::string> command_line;  // argv, for the audit row (recorded with secrets masked)
  // Planned switchover (run_failover with planned = true; see below).
  bool planned = false;
  std::string source_config;        // .properties of the link's source (the current primary)
  int64_t quiet_period_ms = 10000;  // the source's end offsets must stay still this long
  int64_t wait_timeout_ms = 600000; // for the quiet period, then for the mirror to copy everything
};

struct PartitionPlan {
  std::string source_topic;
  std::string target_topic;
  int32_t partition = 0;
  int64_t checkpoint_offset = 0;  // source offset the group had committed
  int64_t checkpoint_ms = 0;
  translate::OffsetTranslation translated;  // that checkpoint on the target
  int64_t time_offset = 0;        // first target offset at or after --at
  bool time_from_mapping = false; // the standby's time index was not available
  int64_t chosen = 0;             // the offset committed on the standby
  const char* basis = "checkpoint";  // "checkpoint" or "time"
  int64_t expected_duplicates = 0;   // records before the translated checkpoint the group reads again
};

// already_done: an earlier run of this failover moved the group and its offsets are still the ones
// it committed; moved_on: they differ (its consumers resumed on the standby). Both are left alone.
enum class GroupStatus { planned, skipped_active, committed, verified, failed, already_done, moved_on };
const char* to_string(GroupStatus s) noexcept;

struct GroupPlan {
  std::string group;
  int64_t read_ms = 0;  // when the checkpointer last read the group on the primary
  std::vector<PartitionPlan> partitions;
  std::string standby_state;  // the group's state on the standby (Empty, Dead, Stable, ...)
  int standby_members = 0;
  GroupStatus status = GroupStatus::planned;
  std::string detail;  // why skipped or failed
};

enum class Outcome { planned, done, partial };  // refusals are dr::Error(refused)

struct FailoverReport {
  std::string link;
  std::string source_cluster_id;
  std::string target_cluster_id;
  int64_t at_ms = 0;
  bool executed = false;
  std::string at_text;    // --at as typed by the run that fixed the time (the first one)
  bool planned = false;   // a planned switchover: each group's current offset, translated exactly
  bool repeated = false;  // this run finishes or repeats the failover that fenced the link
  int64_t previous_audit_id = 0;  // that failover's first audit row
  std::vector<GroupPlan> groups;
  std::vector<std::string> warnings;
  Outcome outcome = Outcome::planned;
  std::string summary;     // one line for people
  int64_t audit_id = 0;
  int64_t duration_ms = 0;
};

// Planned switchover (options.planned): both clusters reachable and the link active. Refused (exit 3,
// nothing written) while a selected group has live members on the source (its offsets would move
// after being read). Waits (bounded by wait_timeout_ms) until the source takes no writes (every
// mirrored partition's end offset still for quiet_period_ms) and then until the state file's
// mapping covers every end offset (a running dr-mirror of the link copies the rest); then
// translates each group's CURRENT committed offset on the source through the mapping, fences,
// commits on the target and verifies: no record lost, none delivered twice. Refused (nothing written)
// when a translation is not exact (e.g. a pruned mapping: before_mapping), naming group and partition;
// offsets past the mapping that hold no record (a trailing transaction marker) count as exact. --at, --time-only
// and --all-or-nothing do not apply.
//
// Plans, and executes with options.execute. All input is checked before the standby is contacted.
// Throws dr::Error: bad_input (time, --groups regex, --timeout-ms, link, config, state file),
// refused (wrong cluster, link failed over at another time, nothing to fail
// over, active groups with all_or_nothing), kafka (standby unreachable). Partial success is a
// report with outcome partial, not an exception.
FailoverReport run_failover(const FailoverOptions& options);

// The report as JSON (also what the audit row stores).
std::string to_json(const FailoverReport& report);

}  // namespace dr::failover
