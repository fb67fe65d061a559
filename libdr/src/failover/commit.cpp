#include "failover/commit.hpp"

#include <chrono>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dr/kafka/command_line.hpp"
#include "dr/log.hpp"
#include "dr/store/audit.hpp"
#include "dr/translate/time_input.hpp"
#include "dr/who.hpp"

namespace dr::failover {

nlohmann::json plan_json(const FailoverReport& r) {
  nlohmann::json groups = nlohmann::json::array();
  for (const GroupPlan& g : r.groups) {
    nlohmann::json parts = nlohmann::json::array();
    for (const PartitionPlan& p : g.partitions) {
      parts.push_back({{"source_topic", p.source_topic},
                       {"target_topic", p.target_topic},
                       {"partition", p.partition},
                       {"checkpoint_offset", p.checkpoint_offset},
                       {"checkpoint_time", translate::format_time(p.checkpoint_ms)},
                       {"translated_offset", p.translated.target.value()},
                       {"translation", translate::to_string(p.translated.precision)},
                       {"unmirrored_records", p.translated.unmirrored},
                       {"time_offset", p.time_offset},
                       {"time_from_state_file", p.time_from_mapping},
                       {"chosen_offset", p.chosen},
                       {"basis", p.basis},
                       {"expected_duplicates", p.expected_duplicates}});
    }
    groups.push_back({{"group", g.group},
                      {"checkpoint_read_time", translate::format_time(g.read_ms)},
                      {"standby_state", g.standby_state},
                      {"standby_members", g.standby_members},
                      {"status", to_string(g.status)},
                      {"detail", g.detail},
                      {"partitions", std::move(parts)}});
  }
  const char* outcome = r.outcome == Outcome::planned ? "planned" : r.outcome == Outcome::done ? "done" : "partial";
  return {{"link", r.link},
          {"source_cluster_id", r.source_cluster_id},
          {"target_cluster_id", r.target_cluster_id},
          {"at", translate::format_time(r.at_ms)},
          {"at_ms", r.at_ms},
          {"at_text", r.at_text},
          {"first_audit_id", r.previous_audit_id},
          {"executed", r.executed},
          {"repeated", r.repeated},
          {"planned", r.planned},
          {"outcome", outcome},
          {"summary", r.summary},
          {"audit_id", r.audit_id},
          {"duration_ms", r.duration_ms},
          {"warnings", r.warnings},
          {"groups", std::move(groups)}};
}

// "; 2 group(s) already moved by an earlier run of this failover (left as they are); 1 moved on since ..."
std::string earlier_runs_summary(const FailoverReport& r) {
  std::vector<std::string> done, moved_on;
  for (const GroupPlan& g : r.groups) {
    if (g.status == GroupStatus::already_done) done.push_back(g.group);
    if (g.status == GroupStatus::moved_on) moved_on.push_back(g.group);
  }
  std::string out;
  if (!done.empty()) out += fmt::format("; already moved by an earlier run of this failover: {}", fmt::join(done, ", "));
  if (!moved_on.empty()) out += fmt::format("; moved on since the failover, left alone: {}", fmt::join(moved_on, ", "));
  return out;
}

void execute_failover(store::StateStore& store, const store::Link& link, kafka::Admin& target, FailoverReport& report,
                      const FailoverOptions& o, const std::string& fence_reason, const nlohmann::json& extra_arguments) {
  const auto timeout = std::chrono::milliseconds(o.timeout_ms);
  int64_t partitions = 0, duplicates = 0;
  for (const GroupPlan& g : report.groups) {
    partitions += static_cast<int64_t>(g.partitions.size());
    for (const auto& p : g.partitions) duplicates += p.expected_duplicates;
  }
  // Execute. 1) fence the link: a running dr-mirror of it stops within seconds.
  report.executed = true;
  const int64_t epoch = store::fence_link(store, link.id, fence_reason);
  dr::log::info("link {} fenced (epoch {}); running mirrors of it stop within 2 s", link.name, epoch);
  store::AuditRecord audit;
  audit.link_id = link.id;
  audit.kind = "failover";
  audit.at_ms = report.at_ms;
  audit.groups_pattern = o.groups;
  audit.os_user = os_user();
  audit.host = host_name();
  nlohmann::json arguments{{"command_line", kafka::masked_command_line(o.command_line)}, {"link_epoch", epoch},
                           {"groups", o.groups}, {"all_or_nothing", o.all_or_nothing}, {"target_config", o.target_config}};
  arguments.update(extra_arguments);
  audit.arguments = arguments.dump();
  audit.plan = plan_json(report).dump();
  report.audit_id = store::begin_audit(store, audit);

  // 2) commit, in parallel; 3) read back and verify.
  std::map<std::string, std::vector<kafka::GroupOffset>> commits;
  for (const GroupPlan& g : report.groups) {
    if (g.status != GroupStatus::planned) continue;
    auto& list = commits[g.group];
    for (const auto& p : g.partitions) list.push_back({p.target_topic, p.partition, p.chosen});
  }
  auto commit_errors = target.alter_group_offsets(commits, timeout);
  std::vector<std::string> committed;
  for (GroupPlan& g : report.groups) {
    if (g.status != GroupStatus::planned) continue;
    auto e = commit_errors.find(g.group);
    if (e != commit_errors.end()) {
      g.status = GroupStatus::failed;
      g.detail = "commit failed: " + e->second;
    } else {
      g.status = GroupStatus::committed;
      committed.push_back(g.group);
    }
  }
  std::map<std::string, std::string> read_errors;
  auto read_back = target.list_group_offsets(committed, timeout, &read_errors);
  for (GroupPlan& g : report.groups) {
    if (g.status != GroupStatus::committed) continue;
    if (auto e = read_errors.find(g.group); e != read_errors.end()) {
      g.status = GroupStatus::failed;
      g.detail = "read-back failed: " + e->second;
      continue;
    }
    std::map<std::pair<std::string, int32_t>, int64_t> now;
    for (const auto& r : read_back[g.group]) now[{r.topic, r.partition}] = r.offset;
    g.status = GroupStatus::verified;
    for (const auto& p : g.partitions) {
      auto it = now.find({p.target_topic, p.partition});
      if (it == now.end() || it->second != p.chosen) {
        g.status = GroupStatus::failed;
        g.detail = fmt::format("read-back of {}/{} gave {}, expected {}", p.target_topic, p.partition,
                               it == now.end() ? std::string("nothing") : std::to_string(it->second), p.chosen);
        break;
      }
    }
  }
  std::vector<std::string> failed, skipped;
  size_t verified = 0;
  for (const GroupPlan& g : report.groups) {
    if (g.status == GroupStatus::verified) ++verified;
    else if (g.status == GroupStatus::skipped_active) skipped.push_back(g.group);
    else if (g.status != GroupStatus::already_done && g.status != GroupStatus::moved_on) failed.push_back(g.group);
  }
  report.outcome = failed.empty() && skipped.empty() ? Outcome::done : Outcome::partial;
  report.summary = fmt::format("{} of {} group(s) moved to {} and verified ({} partitions, {} expected duplicate(s))", verified,
                               report.groups.size(), link.target_alias, partitions, duplicates);
  report.summary += earlier_runs_summary(report);
  if (!skipped.empty()) report.summary += fmt::format("; skipped, active on the standby: {}", fmt::join(skipped, ", "));
  if (!failed.empty()) report.summary += fmt::format("; FAILED: {}", fmt::join(failed, ", "));
  store::finish_audit(store, report.audit_id, plan_json(report).dump(), report.outcome == Outcome::done ? "done" : "partial");
}

}  // namespace dr::failover
