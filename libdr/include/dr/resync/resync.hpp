// dr-resync: make the old primary the standby of the new primary after a failover, without
// destroying anything unsaved and without copying back what it already holds.
//
// Words: F is the failed-over link (old primary P -> new primary S); R is the reverse link S -> P
// that the resync leaves behind, an ordinary link from then on.
//
// Safety checks (dr::Error(refused), exit 3), all before anything is written: F is failed over (or
// an unfinished resync of it is being finished); F's rename template is {topic}; the configs reach
// the cluster ids F records; P takes no writes (every affected partition's end offset stays still
// over the quiet period); no consumer group with live members on P has offsets on an affected
// topic; no other run holds the link's resync lease; --execute carries --confirm P's cluster id.
//
// Plan (the default is a dry run), per partition: P's log start and end; where F's mapping ends;
// the tail compared by content with S's records after its mapped copy (a record the mirror
// delivered but had not recorded yet is common, not diverged); the diverged records (on P after the
// common prefix: count, first and last timestamp); what S holds beyond its copy of P's data (to
// travel back); the action: keep (nothing diverged: P keeps its data, only S's later records are
// copied) or wipe (records deleted up to the end; compacted topics, where that is not allowed, are
// deleted and recreated with the same partitions and configs: `recreate`, for every partition of
// the topic), and why.
//
// Execute: an audit row (kind resync) with the plan; the plan per partition; the lease; then
// 1) every diverged partition saved to --save-dir and read back (unless --discard-diverged);
// 2) wipes and recreates; 3) R established with its mapping seeded (keep partitions: the inverse of
// F's, dr/resync/inverse_mapping.hpp), F retired; 4) R's mirror group committed on S (keep: after
// S's copy of the common data; wipe: S's log start). Each step is recorded per partition after it
// took effect; a rerun after kill -9 reuses the recorded plan and continues, never saving,
// deleting or seeding twice.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dr::resync {

struct ResyncOptions {
  std::string state_path;
  std::string link;                // F; empty: the only failed-over link
  std::string old_primary_config;  // .properties of P (F's source)
  std::string new_primary_config;  // .properties of S (F's target)
  std::vector<std::string> overrides;  // "old.KEY=VALUE" or "new.KEY=VALUE" (-X)
  std::string topics;              // regex over F's mirrored topics; empty: all of them
  std::string save_dir;
  bool discard_diverged = false;
  int64_t quiet_period_ms = 30000;
  bool execute = false;
  std::string confirm;             // P's cluster id, typed back
  std::string mirror_group;        // R's mirror consumer group on S; empty: kafka-dr-mirror.<R name>
  bool mirror = false;             // run R's mirror until caught up after executing
  int64_t timeout_ms = 30000;
  std::vector<std::string> command_line;  // argv, for the audit row (secrets masked)
};

struct PartitionPlan {
  std::string topic;       // on P
  std::string new_topic;   // on S
  int32_t partition = 0;
  int64_t old_log_start = 0, old_end = 0;
  int64_t mapped_end = 0;      // P offset after the last record F's mapping says reached S
  int64_t matched_tail = 0;    // records past the mapping found on S by content
  int64_t common_end = 0;      // P offset after the last record S also holds
  int64_t new_common_end = 0;  // S offset after its copy of that record
  int64_t new_log_start = 0, new_end = 0;
  int64_t diverged_records = 0;  // on P only: saved, then deleted
  int64_t diverged_first_ms = 0, diverged_last_ms = 0;
  int64_t diverged_bytes = 0;
  int64_t save_from = 0;         // first P offset saved
  int64_t records_to_copy = 0;   // from S to P
  int64_t bytes_to_copy = 0;     // estimated from a sample of S's records
  std::string action;            // keep, wipe, recreate
  std::string reason;
  std::string step = "planned";  // progress while executing (dr/store/resync_state.hpp)
  // Reverse rows for the records matched by content (S offset, P offset, length, timestamps).
  std::vector<std::vector<int64_t>> tail_rows;
};

struct TopicPlan {
  std::string topic, new_topic;
  int partitions = 0;
  int replication_factor = -1;
  bool compacted = false;                       // DeleteRecords not allowed: recreate
  std::map<std::string, std::string> configs;  // topic-level configs, for a recreate
};

struct ResyncReport {
  std::string link;            // F
  std::string reverse_link;    // R
  std::string old_primary_cluster_id, new_primary_cluster_id;
  std::string old_alias, new_alias;
  std::string mirror_group;
  std::vector<TopicPlan> topics;
  std::vector<PartitionPlan> partitions;
  std::vector<std::string> only_on_old;  // matching --topics but not mirrored by F: not touched
  std::vector<std::string> only_on_new;  // on S, not mirrored by F: R's mirror does not copy them
  std::vector<std::string> warnings;
  bool executed = false;
  bool resumed = false;          // finished a run that was stopped half way
  int64_t resync_id = 0;         // the audit row
  std::string save_dir;
  std::string outcome = "planned";  // planned, done
  std::string summary;
  std::string mirror_command;    // what runs R's mirror (secrets never printed)
  int64_t duration_ms = 0;
};

// Plans, and executes with options.execute. Throws dr::Error: bad_input (flags, configs, state
// file, save directory), refused (a safety check: nothing changed), kafka, io.
ResyncReport run_resync(const ResyncOptions& options);

std::string to_json(const ResyncReport& report);
ResyncReport report_from_json(const std::string& json);

}  // namespace dr::resync
