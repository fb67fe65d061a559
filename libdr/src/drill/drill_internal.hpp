// Pieces of the drill shared by its files (libdr/src/drill): the clusters' configs, the checks
// made before anything is created, the production links' lag, the test hooks, clean-up, history.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dr/clock.hpp"
#include "dr/drill/analysis.hpp"
#include "dr/drill/drill.hpp"
#include "dr/kafka/client.hpp"
#include "dr/kafka/config.hpp"
#include "dr/log.hpp"
#include "dr/store/drills.hpp"
#include "dr/store/state_store.hpp"

namespace dr::drill {

struct Cluster {
  std::string role;  // primary, standby
  std::string file;
  std::vector<std::string> overrides;  // KEY=VALUE (the role's prefix removed)
  kafka::ClientConfig admin{kafka::ClientRole::admin};
  kafka::ClientConfig consumer{kafka::ClientRole::consumer};
  kafka::ClientConfig producer{kafka::ClientRole::producer};
  std::string id;
  ClusterInfo info;
};

// Records each step as it happens; a failed step is kept with its reason.
class StepLog {
 public:
  explicit StepLog(DrillReport& report) : report_(report) {}
  void begin(const std::string& name, const std::string& title) {
    report_.steps.push_back({name, title, now_ms(), 0, true, {}});
    log::info("drill: {}", title);
  }
  void end(std::string detail = {}) {
    auto& s = report_.steps.back();
    s.finished_ms = now_ms();
    s.detail = std::move(detail);
  }
  void fail(std::string detail) {
    auto& s = report_.steps.back();
    s.finished_ms = now_ms();
    s.ok = false;
    s.detail = std::move(detail);
    log::error("drill: {} failed: {}", s.title, s.detail);
  }
 private:
  DrillReport& report_;
};

// A report with what every drill's header says: started now, who, where, the kafka-dr version,
// the command line (masked), the objectives, the work directory.
DrillReport start_report(const DrillOptions& o);

// bad_input for options out of range (partitions, rate, names, work dir, objectives).
void check_options(const DrillOptions& o);
// Reads `file` and the -X overrides with the role's prefix ("primary." / "standby.").
Cluster load_cluster(const std::string& role, const std::string& file, const std::vector<std::string>& overrides);
// Connects: cluster id and what the report says about the cluster.
void identify(Cluster& cluster, const DrillOptions& o);
// Both clusters, loaded and identified, into report.clusters; refused when the two configs reach
// the same cluster.
std::pair<Cluster, Cluster> load_clusters(const DrillOptions& o, DrillReport& report);
// kafka-dr's version (the CMake project version).
std::string version();

// Refused unless the canary topic and group are free: a canary topic left by an earlier drill of
// this state file (killed, or --keep) is deleted first; one the history does not know is refused,
// as is a drill that is still running, or a live member in the canary group on either cluster.
void check_canary_free(store::StateStore& history, const Cluster& primary, const Cluster& standby, const DrillOptions& o);
// Each production link whose source is `primary`: state, mapped partitions, lag in records.
std::vector<ProductionLink> production_lag(store::StateStore& history, const Cluster& primary);

// How far a link's mapping reaches, per mapped source partition: the primary's end offset and the
// end of the mapping (source offsets). Throws dr::Error(kafka) when the primary does not answer.
struct PartitionLag {
  std::string topic;
  int32_t partition = 0;
  int64_t end = 0;
  int64_t mapped_end = 0;
  int64_t lag() const { return std::max<int64_t>(0, end - mapped_end); }
};
std::vector<PartitionLag> link_lag(store::StateStore& state, int64_t link_id, kafka::Admin& primary,
                                   std::chrono::milliseconds timeout);

std::string mirror_group(const DrillOptions& o, int64_t drill_id);

// Test hooks (DR_DRILL_FAULT): a live member of the canary group on the standby, so the standby
// refuses the commit; the first records past the committed offset deleted on the standby's
// partition 0 before the canary group reads them.
std::unique_ptr<kafka::Consumer> occupy_group(const Cluster& standby, const DrillOptions& o);
void delete_on_standby(kafka::Admin& standby, const CanaryObservations& seen, const std::vector<int64_t>& ends,
                       const DrillOptions& o);

// Deletes the canary topic on both clusters and the drill's groups (unless o.keep); what was done
// or could not be done, one line each. Never throws.
std::vector<std::string> clean_up(const Cluster& primary, const Cluster& standby, const DrillOptions& o, int64_t drill_id);

// Writes the report files and completes the history row.
void record_outcome(store::StateStore& history, store::DrillRow row, DrillReport& report, const DrillOptions& o);

}  // namespace dr::drill
