// Fencing links and the audit trail of failovers and resyncs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dr/store/state_store.hpp"

namespace dr::store {

// Fences an active link: state failed_over, epoch + 1, with a reason. A link already failed over is
// left as it is. Returns the link's epoch after the call.
int64_t fence_link(StateStore& store, int64_t link_id, const std::string& reason);

struct AuditRecord {
  int64_t id = 0;
  int64_t link_id = 0;
  std::string kind;  // failover, resync
  std::optional<int64_t> at_ms;
  std::string groups_pattern;
  int64_t started_ms = 0;
  std::optional<int64_t> finished_ms;
  std::string os_user, host;
  std::string arguments, plan, result;  // JSON
  std::string outcome;                  // done, partial, refused, failed; empty while running
};

// Writes the audit row of an operation that starts now; returns its id.
int64_t begin_audit(StateStore& store, const AuditRecord& record);
void finish_audit(StateStore& store, int64_t id, const std::string& result_json, const std::string& outcome);
// Every audit row of a link of one kind ("failover", "resync"), whatever its outcome, oldest first.
std::vector<AuditRecord> list_audit_rows(StateStore& store, int64_t link_id, const std::string& kind);
// The newest failover of a link that did something (done or partial) or did not finish.
std::optional<AuditRecord> last_failover(StateStore& store, int64_t link_id);
// Every failover of a link that did something or did not finish, oldest first.
std::vector<AuditRecord> list_failovers(StateStore& store, int64_t link_id);

}  // namespace dr::store
