// The resync report as JSON: what --format json prints, what the audit row stores, and what a
// rerun reads back to finish a stopped run with the plan it recorded.
#include <nlohmann/json.hpp>

#include "dr/error.hpp"
#include "dr/resync/resync.hpp"

namespace dr::resync {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PartitionPlan, topic, new_topic, partition, old_log_start, old_end, mapped_end,
                                                matched_tail, common_end, new_common_end, new_log_start, new_end,
                                                diverged_records, diverged_first_ms, diverged_last_ms, diverged_bytes,
                                                save_from, records_to_copy, bytes_to_copy, action, reason, step, tail_rows)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TopicPlan, topic, new_topic, partitions, replication_factor, compacted,
                                                configs)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ResyncReport, link, reverse_link, old_primary_cluster_id,
                                                new_primary_cluster_id, old_alias, new_alias, mirror_group, topics,
                                                partitions, only_on_old, only_on_new, warnings, executed, resumed, resync_id,
                                                save_dir, outcome, summary, mirror_command, duration_ms)

std::string to_json(const ResyncReport& report) { return nlohmann::json(report).dump(2); }

ResyncReport report_from_json(const std::string& text) {
  try {
    return nlohmann::json::parse(text).get<ResyncReport>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::internal, std::string("the recorded resync plan cannot be read: ") + e.what());
  }
}

}  // namespace dr::resync
