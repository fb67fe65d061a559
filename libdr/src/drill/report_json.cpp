// The drill report as JSON: what `dr-drill run --format json` prints, what report.json holds and what
// a script (or a later drill's comparison) reads back. The keys are the field names of report.hpp.
#include <nlohmann/json.hpp>

#include <optional>

#include "dr/drill/report.hpp"
#include "dr/error.hpp"

// This nlohmann release has no std::optional support: null when empty.
namespace nlohmann {
template <typename T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& value) {
    if (value) {
      j = *value;
    } else {
      j = nullptr;
    }
  }
  static void from_json(const json& j, std::optional<T>& value) {
    if (j.is_null()) {
      value.reset();
    } else {
      value = j.get<T>();
    }
  }
};
}  // namespace nlohmann

namespace dr::drill {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Objectives, rpo_ms, rto_ms)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ClusterInfo, role, cluster_id, bootstrap, kafka_version)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Step, name, title, started_ms, finished_ms, ok, detail)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Sample, at_ms, produced, consumed_primary, consumed_standby,
                                                mirror_lag_records)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Consumed, at_ms, seq, on_standby)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LostRecord, standby_offset, seq)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PartitionResult, partition, group, topic, source_committed,
                                                exact_offset, standby_committed, produced_before_disaster, unreplicated,
                                                oldest_unreplicated_ms, checkpoint_offset, chosen_offset, basis,
                                                precision, plan_duplicates, checkpoint_age_duplicates,
                                                consumed_primary, consumed_standby, duplicates, lost, consumed)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ProductionLink, link, state, mapped_partitions, newest_mapped_record_ms,
                                                lag_records, note)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DrillReport, id, scope, mode, link, groups, dry_run, local, started_ms, finished_ms, os_user, host,
                                                kafka_dr_version, command, clusters, objectives, canary_topic, canary_group,
                                                partitions, rate_per_s, disaster_ms, rpo_records, rpo_ms, rto_plan_ms,
                                                rto_commit_ms, rto_first_record_ms, rto_ms, lost, duplicates,
                                                expected_duplicates, steps, samples, partition_results, production,
                                                passed, reasons, notes, report_dir)

std::string to_json(const DrillReport& report) {
  nlohmann::json j = report;
  // A one-word verdict first-class for scripts (`jq -r .verdict`), beside the boolean.
  j["verdict"] = report.passed ? "passed" : "failed";
  return j.dump(2);
}

DrillReport report_from_json(const std::string& json) {
  try {
    return nlohmann::json::parse(json).get<DrillReport>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(ErrorKind::bad_input, std::string("the drill report cannot be read as JSON: ") + e.what());
  }
}

}  // namespace dr::drill
