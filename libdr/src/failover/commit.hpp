// The part of a failover that changes things, shared by the time-based failover (failover.cpp)
// and the planned switchover (planned.cpp): fence the link, write the audit row, commit every
// planned group on the target in parallel, read each back, finish the audit row (private).
#pragma once

#include <nlohmann/json.hpp>

#include "dr/failover/failover.hpp"
#include "dr/kafka/client.hpp"
#include "dr/store/links.hpp"
#include "dr/store/state_store.hpp"

namespace dr::failover {

nlohmann::json plan_json(const FailoverReport& r);
// "; already moved by an earlier run of this failover: ..." (empty when none)
std::string earlier_runs_summary(const FailoverReport& r);

// Groups with status planned are committed; the report's groups, outcome, summary, audit id and
// executed flag are updated. `extra_arguments` join the audit row's arguments.
void execute_failover(store::StateStore& store, const store::Link& link, kafka::Admin& target, FailoverReport& report,
                      const FailoverOptions& o, const std::string& fence_reason, const nlohmann::json& extra_arguments);

// The planned switchover (planned.cpp); run_failover calls it for options.planned.
FailoverReport run_planned_switchover(const FailoverOptions& o);

}  // namespace dr::failover
