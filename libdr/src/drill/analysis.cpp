#include "dr/drill/analysis.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace dr::drill {
namespace {

}  // namespace

std::string format_duration(int64_t ms) {
  if (ms < 0) return "-";
  if (ms < 1000) return fmt::format("{} ms", ms);
  if (ms < 120'000) return fmt::format("{:.1f} s", ms / 1000.0);
  if (ms % 60'000 == 0) return fmt::format("{} min", ms / 60'000);
  return fmt::format("{:.1f} min", ms / 60'000.0);
}

void analyse_canary(const CanaryObservations& seen, DrillReport& report) {
  report.partition_results.clear();
  report.rpo_records = 0;
  report.rpo_ms = 0;
  report.lost = report.duplicates = report.expected_duplicates = 0;
  std::map<int32_t, PartitionResult> results;
  for (int32_t p = 0; p < seen.partitions; ++p) results[p].partition = p;

  // seq -> primary offset, per partition; and what reached the standby.
  std::map<int32_t, std::unordered_map<int64_t, int64_t>> primary_offset;
  for (const auto& r : seen.primary) primary_offset[r.partition][r.seq] = r.offset;
  std::map<int32_t, std::unordered_set<int64_t>> on_standby;
  for (const auto& r : seen.standby) on_standby[r.partition].insert(r.seq);

  for (const auto& r : seen.primary) {
    if (r.timestamp_ms > seen.disaster_ms) continue;
    auto& pr = results[r.partition];
    pr.partition = r.partition;
    ++pr.produced_before_disaster;
    if (on_standby[r.partition].count(r.seq)) continue;
    ++pr.unreplicated;
    if (!pr.oldest_unreplicated_ms || r.timestamp_ms < *pr.oldest_unreplicated_ms) pr.oldest_unreplicated_ms = r.timestamp_ms;
  }

  // Reads: how often each seq was read, and the continuity series.
  std::map<int32_t, std::unordered_map<int64_t, int>> times_read;
  std::map<int32_t, std::unordered_set<int64_t>> read_on_primary;
  auto count_read = [&](const CanaryRead& r, bool standby) {
    auto& pr = results[r.partition];
    pr.partition = r.partition;
    (standby ? pr.consumed_standby : pr.consumed_primary)++;
    pr.consumed.push_back({r.at_ms, r.seq, standby});
    ++times_read[r.partition][r.seq];
    if (!standby) read_on_primary[r.partition].insert(r.seq);
  };
  for (const auto& r : seen.read_primary) count_read(r, false);
  for (const auto& r : seen.read_standby) count_read(r, true);

  std::map<int32_t, const PlannedPartition*> plan;
  for (const auto& p : seen.plan) plan[p.partition] = &p;

  for (auto& [p, pr] : results) {
    for (const auto& [seq, n] : times_read[p]) pr.duplicates += n - 1;
    if (auto it = plan.find(p); it != plan.end()) {
      const auto& pp = *it->second;
      pr.checkpoint_offset = pp.checkpoint_offset;
      pr.chosen_offset = pp.chosen_offset;
      pr.basis = pp.basis;
      pr.precision = pp.precision;
      pr.plan_duplicates = pp.expected_duplicates;
      // Read on the primary at or after the checkpointed offset, and on the standby: the checkpoint's age.
      for (int64_t seq : read_on_primary[p]) {
        auto off = primary_offset[p].find(seq);
        if (off != primary_offset[p].end() && off->second >= pp.checkpoint_offset && on_standby[p].count(seq)) {
          ++pr.checkpoint_age_duplicates;
        }
      }
    }
  }
  for (const auto& r : seen.standby) {
    if (times_read[r.partition].count(r.seq) == 0) results[r.partition].lost.push_back({r.offset, r.seq});
  }

  int64_t oldest = -1;
  for (auto& [p, pr] : results) {
    std::sort(pr.lost.begin(), pr.lost.end(), [](const LostRecord& a, const LostRecord& b) { return a.standby_offset < b.standby_offset; });
    report.rpo_records += pr.unreplicated;
    if (pr.oldest_unreplicated_ms && (oldest < 0 || *pr.oldest_unreplicated_ms < oldest)) oldest = *pr.oldest_unreplicated_ms;
    report.lost += static_cast<int64_t>(pr.lost.size());
    report.duplicates += pr.duplicates;
    report.expected_duplicates += pr.plan_duplicates + pr.checkpoint_age_duplicates;
    report.partition_results.push_back(std::move(pr));
  }
  report.rpo_ms = oldest < 0 ? 0 : std::max<int64_t>(0, seen.disaster_ms - oldest);
}

void decide_verdict(DrillReport& report) {
  auto& why = report.reasons;
  for (const auto& s : report.steps) {
    if (!s.ok) why.push_back(fmt::format("step '{}' failed: {}", s.title.empty() ? s.name : s.title, s.detail));
  }
  if (report.lost > 0) {
    std::string list;
    int shown = 0;
    const bool groups = report.scope == "groups";
    for (const auto& pr : report.partition_results) {
      for (const auto& l : pr.lost) {
        if (shown++ >= 10) continue;
        list += list.empty() ? "" : ", ";
        list += groups ? fmt::format("group {} {} partition {} offset {}", pr.group, pr.topic, pr.partition, l.standby_offset)
                       : fmt::format("partition {} offset {} (seq {})", pr.partition, l.standby_offset, l.seq);
      }
    }
    why.push_back(fmt::format("{} record(s) on the standby {}: {}{}", report.lost,
                              groups ? "would be skipped by the groups (committed past the exact translation)"
                                     : "were never read by the canary group",
                              list, shown > 10 ? ", ..." : ""));
  }
  if (report.duplicates != report.expected_duplicates) {
    why.push_back(fmt::format("{} record(s) were read twice, but dr-failover's plan and the checkpoint's age account for {}",
                              report.duplicates, report.expected_duplicates));
  }
  if (report.rpo_ms > report.objectives.rpo_ms) {
    why.push_back(fmt::format("RPO {} exceeds the objective {} ({} record(s) had not reached the standby)", format_duration(report.rpo_ms),
                              format_duration(report.objectives.rpo_ms), report.rpo_records));
  }
  if (report.rto_ms >= 0 && report.rto_ms > report.objectives.rto_ms) {
    why.push_back(fmt::format("RTO {} exceeds the objective {}", format_duration(report.rto_ms), format_duration(report.objectives.rto_ms)));
  }
  if (report.rto_ms < 0 && why.empty()) {
    why.push_back(report.scope == "groups" ? "the offsets were never committed on the standby"
                                           : "no canary record was consumed on the standby");
  }
  report.passed = why.empty();
}

}  // namespace dr::drill
