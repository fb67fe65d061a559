// What a canary drill measured, computed from what was read (pure: no cluster, unit-tested).
//
// Inputs: the canary records on the primary (read after the drill), the canary records that had
// reached the standby (read right after the disaster, before anything else touched the standby),
// what the canary group read on each cluster, and dr-failover's plan for the canary group.
// Definitions (documented in runbooks/drill.md):
//   RPO records: records the primary acknowledged with a timestamp at or before the disaster that
//     are not on the standby; RPO time: the disaster minus the oldest such record's timestamp.
//   Lost: records on the standby that the canary group read on neither cluster (a skip). Must be 0.
//   Duplicates: canary records the group read more than once (either cluster).
//   Expected duplicates: dr-failover's expected_duplicates (the --at rewind) plus the checkpoint's
//     age: records the group read on the primary at or after the last checkpointed offset that
//     reached the standby. Measured = expected when translation neither skipped nor re-delivered
//     more than the plan accounts for.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dr/drill/report.hpp"

namespace dr::drill {

struct CanaryRecord {
  int32_t partition = 0;
  int64_t offset = 0;        // on the cluster it was read from
  int64_t seq = 0;
  int64_t timestamp_ms = 0;  // the record's (CreateTime: when the canary producer sent it)
};

struct CanaryRead {
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t seq = 0;
  int64_t at_ms = 0;  // when the consumer got it
};

struct PlannedPartition {
  int32_t partition = 0;
  int64_t checkpoint_offset = 0;  // source (primary) offset
  int64_t chosen_offset = 0;      // committed on the standby
  std::string basis;
  std::string precision;
  int64_t expected_duplicates = 0;
};

struct CanaryObservations {
  int32_t partitions = 0;
  int64_t disaster_ms = 0;
  std::vector<CanaryRecord> primary;   // every canary record on the primary
  std::vector<CanaryRecord> standby;   // what had reached the standby at the disaster
  std::vector<CanaryRead> read_primary;
  std::vector<CanaryRead> read_standby;
  std::vector<PlannedPartition> plan;
};

// Fills report.partition_results, rpo_records, rpo_ms, lost, duplicates and expected_duplicates.
void analyse_canary(const CanaryObservations& seen, DrillReport& report);

// "850 ms", "4.2 s", "5 min", "2.5 min" ("-" for a negative value: not measured).
std::string format_duration(int64_t ms);

// Appends to report.reasons what fails the drill (a failed step, records lost, duplicates the plan
// does not explain, an objective missed) and sets report.passed.
void decide_verdict(DrillReport& report);

}  // namespace dr::drill
