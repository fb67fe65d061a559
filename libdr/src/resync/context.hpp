// What a dr-resync run works with: the state file, the failed-over link, both clusters (private).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "dr/kafka/client.hpp"
#include "dr/resync/resync.hpp"
#include "dr/store/links.hpp"
#include "dr/store/state_store.hpp"

namespace dr::resync::detail {

struct Cluster {
  std::string alias;
  std::string cluster_id;
  std::string config_file;
  kafka::ClientConfig admin_config{kafka::ClientRole::admin};
  kafka::ClientConfig consumer_config{kafka::ClientRole::consumer};
  std::unique_ptr<kafka::Admin> admin;
  std::string label() const { return fmt::format("{} ({})", alias, cluster_id); }
};

struct Context {
  const ResyncOptions& options;
  std::chrono::milliseconds timeout;
  store::StateStore store;
  store::Link forward;  // F
  Cluster old_primary;  // P
  Cluster new_primary;  // S
};

// The plan of every partition of the selected topics (the checks of the clusters' state included).
void make_plan(Context& ctx, ResyncReport& report);
// Executes (or finishes) the plan recorded in report.resync_id.
void execute_plan(Context& ctx, ResyncReport& report);
// dr-resync --mirror: the reverse mirror until caught up, with progress (reverse_mirror.cpp).
void run_reverse_mirror(Context& ctx, const ResyncReport& report);
// The refusals that look at the old primary: writes during the quiet period, live consumers.
void check_old_primary_quiet(Context& ctx, const ResyncReport& report);

}  // namespace dr::resync::detail
