// What earlier runs of the same failover did, read back from the audit rows of the state file.
//
// A failover of a link is one event: the first `dr-failover --execute` fences the link (epoch + 1)
// and fixes the failover time; later runs on the fenced link with the same link epoch and the same
// time finish it (groups that were skipped or failed) and never move a group an earlier run already
// moved. This module only reads; run_failover decides.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "dr/store/links.hpp"
#include "dr/store/state_store.hpp"

namespace dr::failover {

// The offsets one run committed for a group and read back (status verified).
struct CommittedGroup {
  int64_t audit_id = 0;
  std::map<std::pair<std::string, int32_t>, int64_t> offsets;  // (standby topic, partition) -> offset
};

struct PreviousFailover {
  int64_t first_audit_id = 0;
  int64_t link_epoch = 0;
  int64_t at_ms = 0;            // the failover time, as the first run resolved it
  std::string at_text;          // --at as the first run was given it ("-5m", "2026-11-21T04:03:00Z")
  std::string groups_pattern;   // --groups of the first run
  std::string os_user, host;    // who ran the first run, where
  std::map<std::string, CommittedGroup> verified;  // every group some run moved and verified
};

// The failover the link's current epoch belongs to, or nullopt when no audit row records one.
// Rows written before the epoch was recorded count as the current epoch's. Throws dr::Error(bad_input)
// naming the state file if an audit row is not readable JSON.
std::optional<PreviousFailover> load_previous_failover(store::StateStore& store, const store::Link& link);

}  // namespace dr::failover
