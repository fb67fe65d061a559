#include "dr/failover/failover.hpp"

#include <pwd.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "dr/error.hpp"
#include "dr/kafka/client.hpp"
#include "dr/kafka/command_line.hpp"
#include "dr/log.hpp"
#include "dr/who.hpp"
#include "dr/store/audit.hpp"
#include "dr/store/mirror_state.hpp"
#include "dr/clock.hpp"
#include "dr/translate/time_input.hpp"
#include "dr/translate/translator.hpp"
#include "failover/commit.hpp"
#include "failover/previous_runs.hpp"

namespace dr::failover {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

const char* to_string(GroupStatus s) noexcept {
  switch (s) {
    case GroupStatus::planned: return "planned";
    case GroupStatus::skipped_active: return "skipped_active";
    case GroupStatus::committed: return "committed";
    case GroupStatus::verified: return "verified";
    case GroupStatus::failed: return "failed";
    case GroupStatus::already_done: return "already_done";
    case GroupStatus::moved_on: return "moved_on";
  }
  return "?";
}

std::string to_json(const FailoverReport& report) { return plan_json(report).dump(2); }

FailoverReport run_failover(const FailoverOptions& o) {
  const auto started = Clock::now();
  FailoverReport report;
  // Every input is checked before the standby is contacted: a typo costs no timeout.
  if (o.timeout_ms <= 0) {
    throw_bad_input(fmt::format("{} is out of range: a timeout is 1 ms or more", o.timeout_ms), {.flag = "--timeout-ms"});
  }
  if (o.planned) {
    if (!o.at.empty()) throw_bad_input("--planned and --at exclude each other: a planned switchover moves each group's current offset", {.flag = "--at"});
    if (o.time_only) throw_bad_input("--planned and --time-only exclude each other", {.flag = "--time-only"});
    if (o.all_or_nothing) throw_bad_input("--planned and --all-or-nothing exclude each other", {.flag = "--all-or-nothing"});
    return run_planned_switchover(o);
  }
  if (o.at.empty()) throw_bad_input("required: the failover time (or --planned for a switchover with both clusters up)", {.flag = "--at"});
  const auto timeout = std::chrono::milliseconds(o.timeout_ms);
  report.at_ms = translate::parse_time(o.at, dr::now_ms(), "--at");
  report.at_text = o.at;
  translate::validate_group_pattern(o.groups);
  if (o.target_config.empty()) throw_bad_input("required: the standby's client config", {.flag = "--target-config"});
  kafka::ClientConfig config(kafka::ClientRole::admin);
  config.apply_file(o.target_config);
  for (const auto& x : o.overrides) config.apply_override(x);
  for (const auto& w : config.warnings()) dr::log::warn("{}: {}", w.origin.to_string(), w.message);
  if (!config.get("bootstrap.servers")) throw_bad_input("bootstrap.servers is required", {.file = o.target_config});

  auto store = store::StateStore::open(o.state_path, {.create_if_missing = false});
  store::Link link = translate::resolve_link(store, o.link);
  report.link = link.name;
  report.source_cluster_id = link.source_cluster_id;
  report.target_cluster_id = link.target_cluster_id;
  if (link.state == store::LinkState::retired) {
    throw_refused(fmt::format("link {} is retired", link.name), {.file = o.state_path});
  }
  // A fenced link: this run belongs to the failover that fenced it (same link epoch) only with the
  // same failover time; the same --at text counts as the time the first run resolved it to.
  std::optional<PreviousFailover> previous;
  if (link.state == store::LinkState::failed_over) {
    previous = load_previous_failover(store, link);
    if (previous && o.at == previous->at_text) {
      report.at_ms = previous->at_ms;
    } else if (!previous || report.at_ms != previous->at_ms) {
      throw_refused(
          fmt::format("link {} was already failed over{}: a failover at another time could move groups twice. Finish it "
                      "with the same --at (any --groups: groups it already moved are left alone), or fail back with "
                      "dr-resync",
                      link.name,
                      previous ? fmt::format(" at {} (--at '{}', audit #{}) by {} on {}", translate::format_time(previous->at_ms),
                                             previous->at_text, previous->first_audit_id, previous->os_user, previous->host)
                               : std::string(" (no audit row records when)")),
          {.file = o.state_path, .flag = "--at"});
    }
    report.repeated = true;
    report.previous_audit_id = previous->first_audit_id;
    report.at_text = previous->at_text;
  }
  const std::vector<std::string> groups = translate::Translator(store, link, nullptr).checkpointed_groups(o.groups);
  if (groups.empty()) {
    throw_refused(fmt::format("no checkpointed consumer group{} on link {}: nothing can be failed over safely (dr-mirror "
                              "checkpoints the groups selected by its --groups every --checkpoint-interval-ms)",
                              !o.groups.empty() ? fmt::format(" matches '{}'", o.groups) : std::string(), link.name),
                  {.file = o.state_path, .flag = o.groups.empty() ? "" : "--groups"});
  }

  // The standby must be the link's target: a config pointing elsewhere is refused, not obeyed.
  kafka::Admin standby(config, fmt::format("standby ({})", *config.get("bootstrap.servers")));
  const std::string standby_id = standby.cluster_id(timeout);
  if (standby_id != link.target_cluster_id) {
    throw_refused(fmt::format("{} points at cluster {}, but link {} mirrors into cluster {} ({}): wrong config, nothing done",
                              o.target_config, standby_id, link.name, link.target_cluster_id, link.target_alias),
                  {.file = o.target_config, .cluster = standby_id});
  }
  translate::Translator translator(store, link, &standby);
  const int64_t oldest = translator.oldest_mapped_time();
  if (oldest > 0 && report.at_ms < oldest) {
    report.warnings.push_back(fmt::format("--at {} is before the oldest mirrored record ({}): groups resume at their "
                                          "translated checkpoints or the start of the standby's data",
                                          translate::format_time(report.at_ms), translate::format_time(oldest)));
  }

  // Per topic, the first target offset at or after --at.
  std::map<std::string, std::vector<translate::TimeOffset>> by_time;
  std::map<std::string, GroupPlan> plans;
  for (const translate::TranslatedOffset& t : translator.translate_groups(groups)) {
    auto it = by_time.find(t.source_topic);
    if (it == by_time.end()) it = by_time.emplace(t.source_topic, translator.offsets_for_time(t.source_topic, report.at_ms)).first;
    if (t.partition >= static_cast<int32_t>(it->second.size())) {
      report.warnings.push_back(fmt::format("group {}: {}/{} has no partition on the standby; left out", t.group,
                                            t.target_topic, t.partition));
      continue;
    }
    const translate::TimeOffset& at = it->second[static_cast<size_t>(t.partition)];
    PartitionPlan p;
    p.source_topic = t.source_topic;
    p.target_topic = t.target_topic;
    p.partition = t.partition;
    p.checkpoint_offset = t.source_offset;
    p.checkpoint_ms = t.checkpoint_ms;
    p.translated = t.translation;
    p.time_offset = at.target_offset;
    p.time_from_mapping = at.from_mapping;
    const int64_t translated = t.translation.target.value();
    if (o.time_only || at.target_offset < translated) {
      p.chosen = at.target_offset;
      p.basis = "time";
    } else {
      p.chosen = translated;
    }
    p.expected_duplicates = std::max<int64_t>(0, translated - p.chosen);
    GroupPlan& g = plans[t.group];
    g.group = t.group;
    g.read_ms = std::max(g.read_ms, t.read_ms);
    if (t.translation.precision == translate::Precision::beyond_mirrored) {
      report.warnings.push_back(fmt::format("group {}: {}/{}: the group had read {} record(s) on the primary that never "
                                            "reached the standby (lost with the primary)",
                                            t.group, t.source_topic, t.partition, t.translation.unmirrored));
    } else if (t.translation.precision != translate::Precision::exact &&
               !(t.translation.precision == translate::Precision::no_mapping && t.source_offset == 0)) {
      // (a group that had read nothing of a partition nothing was mirrored from needs no warning)
      report.warnings.push_back(fmt::format("group {}: {}/{}: checkpoint {} translated as {}: resuming at the earliest "
                                            "offset the standby holds",
                                            t.group, t.source_topic, t.partition, t.source_offset,
                                            translate::to_string(t.translation.precision)));
    }
    if (o.time_only && p.chosen > translated) {
      report.warnings.push_back(fmt::format("group {}: {}/{}: --time-only skips {} record(s) the group had not read", t.group,
                                            t.target_topic, t.partition, p.chosen - translated));
    }
    g.partitions.push_back(std::move(p));
  }
  for (auto& [name, g] : plans) {
    if (report.at_ms > g.read_ms + 60'000) {
      report.warnings.push_back(fmt::format("group {}: last checkpoint read {} s before --at; records it read after that are "
                                            "delivered again",
                                            name, (report.at_ms - g.read_ms) / 1000));
    }
  }

  // Groups an earlier run of this failover moved are never moved again: unchanged offsets mean
  // already done, other offsets mean the group moved on since (its consumers resumed).
  std::vector<std::string> names, moved_before;
  for (const auto& [name, g] : plans) {
    names.push_back(name);
    if (previous && previous->verified.count(name)) moved_before.push_back(name);
  }
  if (!moved_before.empty()) {
    std::map<std::string, std::string> read_errors;
    auto current = standby.list_group_offsets(moved_before, timeout, &read_errors);
    for (const std::string& name : moved_before) {
      GroupPlan& g = plans[name];
      const CommittedGroup& ours = previous->verified.at(name);
      if (auto e = read_errors.find(name); e != read_errors.end()) {
        g.status = GroupStatus::failed;
        g.detail = fmt::format("moved by audit #{}, but its offsets on the standby cannot be read ({}): left alone",
                               ours.audit_id, e->second);
        continue;
      }
      std::map<std::pair<std::string, int32_t>, int64_t> now;
      for (const auto& r : current[name]) now[{r.topic, r.partition}] = r.offset;
      std::string moved;
      for (const auto& [tp, offset] : ours.offsets) {
        auto it = now.find(tp);
        if (it == now.end() || it->second != offset) {
          moved = fmt::format("{}/{} is at {}, audit #{} committed {}", tp.first, tp.second,
                              it == now.end() ? std::string("no offset") : std::to_string(it->second), ours.audit_id, offset);
          break;
        }
      }
      if (moved.empty()) {
        g.status = GroupStatus::already_done;
        g.detail = fmt::format("moved by audit #{} of this failover; its offsets are still ours: left as they are",
                               ours.audit_id);
      } else {
        g.status = GroupStatus::moved_on;
        g.detail = fmt::format("moved on since the failover, left alone ({})", moved);
      }
    }
  }

  // Groups with live members on the standby are not touched (Kafka refuses, and so do we).
  auto states = standby.describe_groups(names, timeout);
  std::vector<std::string> active;
  for (auto& [name, g] : plans) {
    g.standby_state = states[name].state;
    g.standby_members = states[name].members;
    if (g.status != GroupStatus::planned) continue;
    if (g.standby_members > 0 || (g.standby_state != "Empty" && g.standby_state != "Dead")) {
      g.status = GroupStatus::skipped_active;
      g.detail = fmt::format("{} member(s) active on the standby (state {}): stop them, then run again", g.standby_members,
                             g.standby_state);
      active.push_back(name);
    }
  }
  for (auto& [name, g] : plans) report.groups.push_back(std::move(g));
  if (!active.empty() && o.all_or_nothing) {
    throw_refused(fmt::format("--all-or-nothing: group(s) with live members on the standby: {}; nothing done",
                              fmt::join(active, ", ")));
  }

  int64_t partitions = 0, duplicates = 0;
  for (const GroupPlan& g : report.groups) {
    partitions += static_cast<int64_t>(g.partitions.size());
    for (const auto& p : g.partitions) duplicates += p.expected_duplicates;
  }
  if (!o.execute) {
    report.outcome = Outcome::planned;
    report.summary = fmt::format("dry run: {} group(s), {} partition(s), {} expected duplicate(s){}{}; run with --execute to "
                                 "apply",
                                 report.groups.size(), partitions, duplicates, earlier_runs_summary(report),
                                 active.empty() ? "" : fmt::format(", {} group(s) active on the standby would be skipped", active.size()));
    report.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    return report;
  }

  // Execute: fence, commit, verify, audit.
  execute_failover(store, link, standby, report, o,
                   fmt::format("dr-failover --at {} by {} on {}", translate::format_time(report.at_ms), os_user(), host_name()),
                   {{"at", report.at_text}, {"at_ms", report.at_ms}, {"time_only", o.time_only}});
  report.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  return report;
}

}  // namespace dr::failover
