// dr-failover --planned: a switchover with both clusters up, exact for every group: no record lost,
// none delivered twice. See dr/failover/failover.hpp.
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dr/clock.hpp"
#include "dr/error.hpp"
#include "dr/log.hpp"
#include "dr/resync/record_range.hpp"
#include "dr/store/mirror_state.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/translate/translate.hpp"
#include "dr/translate/translator.hpp"
#include "dr/who.hpp"
#include "failover/commit.hpp"

namespace dr::failover {

namespace {

using Clock = std::chrono::steady_clock;
using TopicPartition = std::pair<std::string, int32_t>;  // source topic, partition

kafka::ClientConfig load(const std::string& file, const std::vector<std::string>& overrides, const char* flag) {
  if (file.empty()) throw_bad_input("required for a planned switchover", {.flag = flag});
  kafka::ClientConfig config(kafka::ClientRole::admin);
  config.apply_file(file);
  for (const auto& x : overrides) config.apply_override(x);
  if (!config.get("bootstrap.servers")) throw_bad_input("bootstrap.servers is required", {.file = file});
  config.check();
  return config;
}

void check_cluster(kafka::Admin& admin, const std::string& expected, const std::string& file, const char* role,
                   const store::Link& link, std::chrono::milliseconds timeout) {
  const std::string id = admin.cluster_id(timeout);
  if (id != expected) {
    throw_refused(fmt::format("{} points at cluster {}, but the {} of link {} is cluster {}: wrong config, nothing done", file,
                              id, role, link.name, expected),
                  {.file = file, .cluster = id});
  }
}

std::map<TopicPartition, int64_t> end_offsets(kafka::Admin& source, const std::vector<TopicPartition>& parts,
                                              std::chrono::milliseconds timeout) {
  std::map<TopicPartition, int64_t> out;
  for (const auto& [t, p] : parts) out[{t, p}] = source.watermarks(t, p, timeout).high;
  return out;
}

// Waits until no end offset moved for quiet_ms; refused when the deadline passes first.
std::map<TopicPartition, int64_t> wait_quiet(kafka::Admin& source, const std::vector<TopicPartition>& parts,
                                             const FailoverOptions& o, Clock::time_point deadline) {
  const auto timeout = std::chrono::milliseconds(o.timeout_ms);
  auto last = end_offsets(source, parts, timeout);
  auto still_since = Clock::now();
  auto last_log = Clock::now();
  dr::log::info("waiting for producers to stop: the source's end offsets must stay still for {} ms", o.quiet_period_ms);
  while (Clock::now() - still_since < std::chrono::milliseconds(o.quiet_period_ms)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(500, o.quiet_period_ms / 4 + 1)));
    auto now = end_offsets(source, parts, timeout);
    std::vector<std::string> moved;
    for (const auto& [tp, end] : now) {
      if (end != last[tp]) moved.push_back(fmt::format("{}/{} ({} -> {})", tp.first, tp.second, last[tp], end));
    }
    if (!moved.empty()) {
      still_since = Clock::now();
      if (Clock::now() - last_log > std::chrono::seconds(5)) {
        dr::log::info("waiting for producers to stop: still written: {}", fmt::join(moved, ", "));
        last_log = Clock::now();
      }
      if (Clock::now() > deadline) {
        throw_refused(fmt::format("the source still takes writes after --wait-timeout: {}. Stop the producers, then run "
                                  "again; nothing was changed",
                                  fmt::join(moved, ", ")),
                      {.flag = "--wait-timeout"});
      }
    }
    last = std::move(now);
  }
  return last;
}

// Where the mapping's copy of a partition ends, read fresh from the state file.
int64_t mapped_end(const std::string& state_path, int64_t link_id, const TopicPartition& tp) {
  auto store = store::StateStore::open(state_path, {.create_if_missing = false, .access = store::Access::read_only});
  int64_t end = 0;
  for (const auto& r : store::load_segments(store, link_id, tp.first, tp.second)) end = std::max(end, r.source_end().value());
  return end;
}

// Waits until the mapping covers every end offset: offsets past the mapping that hold no record
// (transaction markers) count as covered once the mirror has stopped advancing.
void wait_copied(const FailoverOptions& o, const store::Link& link, const std::map<TopicPartition, int64_t>& ends,
                 Clock::time_point deadline) {
  kafka::ClientConfig consumer_config(kafka::ClientRole::consumer);
  consumer_config.apply_file(o.source_config);
  const auto timeout = std::chrono::milliseconds(o.timeout_ms);
  std::map<TopicPartition, int64_t> behind;
  auto last_log = Clock::now() - std::chrono::seconds(10);
  for (;;) {
    behind.clear();
    for (const auto& [tp, end] : ends) {
      const int64_t mapped = mapped_end(o.state_path, link.id, tp);
      if (mapped >= end) continue;
      bool any = false;
      resync::read_range(consumer_config, "source", tp.first, tp.second, mapped, end, timeout, [&](const kafka::Record&) {
        any = true;
        return false;
      });
      if (any) behind[tp] = end - mapped;
    }
    if (behind.empty()) return;
    int64_t records = 0;
    for (const auto& [tp, n] : behind) records += n;
    if (Clock::now() > deadline) {
      throw_refused(fmt::format("the state file does not map {} record(s) of {} partition(s) after --wait-timeout: is "
                                "dr-mirror running for link {}? Nothing was changed",
                                records, behind.size(), link.name),
                    {.flag = "--wait-timeout"});
    }
    if (Clock::now() - last_log > std::chrono::seconds(5)) {
      dr::log::info("waiting for the mirror of link {} to copy {} record(s) on {} partition(s) (is dr-mirror running for "
                    "link {}?)",
                    link.name, records, behind.size(), link.name);
      last_log = Clock::now();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// Whether a translation of a current offset is exact once the mirror has copied everything: beyond_mirrored
// counts offsets past the mapping, and when none of them holds a record (a transaction marker at the end, a
// compaction gap) the mapping's end is the exact position; a partition never mapped at offset 0 starts at
// the target's earliest offset. Anything else (a pruned mapping: before_mapping) is not exact.
bool exact_in_fact(translate::OffsetTranslation& t, const kafka::ClientConfig& source, const std::string& topic,
                   int32_t partition, int64_t offset, std::chrono::milliseconds timeout) {
  switch (t.precision) {
    case translate::Precision::exact: return true;
    case translate::Precision::no_mapping: return offset == 0;
    case translate::Precision::before_mapping: return false;
    case translate::Precision::beyond_mirrored: {
      bool any = false;
      resync::read_range(source, "source", topic, partition, offset - t.unmirrored, offset, timeout, [&](const kafka::Record&) {
        any = true;
        return false;
      });
      if (any) return false;
      t.precision = translate::Precision::exact;
      t.unmirrored = 0;
      return true;
    }
  }
  return false;
}

}  // namespace

FailoverReport run_planned_switchover(const FailoverOptions& o) {
  const auto started = Clock::now();
  if (o.quiet_period_ms < 0) throw_bad_input("a quiet period is 0 s or more", {.flag = "--quiet-period"});
  if (o.wait_timeout_ms <= 0) throw_bad_input("a timeout is more than 0", {.flag = "--wait-timeout"});
  translate::validate_group_pattern(o.groups);
  const auto timeout = std::chrono::milliseconds(o.timeout_ms);
  const kafka::ClientConfig target_config = load(o.target_config, o.overrides, "--target-config");
  const kafka::ClientConfig source_config = load(o.source_config, {}, "--source-config");

  // Read only until the switchover is executed: a refusal leaves the file exactly as it was.
  auto store = store::StateStore::open(o.state_path, {.create_if_missing = false, .access = store::Access::read_only});
  const store::Link link = translate::resolve_link(store, o.link);
  if (link.state != store::LinkState::active) {
    throw_refused(fmt::format("link {} is {}: a planned switchover moves groups over an active link", link.name,
                              store::to_string(link.state)),
                  {.file = o.state_path, .flag = "--link"});
  }
  FailoverReport report;
  report.planned = true;
  report.link = link.name;
  report.source_cluster_id = link.source_cluster_id;
  report.target_cluster_id = link.target_cluster_id;
  report.at_text = "planned";

  kafka::Admin source(source_config, fmt::format("source '{}'", link.source_alias));
  kafka::Admin target(target_config, fmt::format("target '{}'", link.target_alias));
  check_cluster(source, link.source_cluster_id, o.source_config, "source", link, timeout);
  check_cluster(target, link.target_cluster_id, o.target_config, "target", link, timeout);

  // The link's partitions, and the groups that read them on the source.
  std::map<std::string, std::string> target_topic;
  std::vector<TopicPartition> parts;
  std::map<std::string, kafka::TopicInfo> on_source;
  for (auto& t : source.list_topics(timeout)) on_source[t.name] = t;
  for (const auto& m : store::list_topics(store, link.id)) {
    auto it = on_source.find(m.source_topic);
    if (it == on_source.end()) continue;
    target_topic[m.source_topic] = m.target_topic;
    for (const auto& p : it->second.partitions) parts.emplace_back(m.source_topic, p.id);
  }
  // The groups dr-mirror checkpoints for the link (never its own), as they stand on the source now.
  std::vector<std::string> candidates = translate::Translator(store, link, nullptr).checkpointed_groups(o.groups);
  std::map<std::string, std::string> errors;
  std::vector<std::string> groups;
  for (const auto& [g, offsets] : source.list_group_offsets(candidates, timeout, &errors)) {
    for (const auto& off : offsets) {
      if (target_topic.count(off.topic)) {
        groups.push_back(g);
        break;
      }
    }
  }
  if (groups.empty()) {
    throw_refused(fmt::format("no consumer group{} checkpointed by dr-mirror has offsets on the topics of link {} on the "
                              "source: nothing to move",
                              o.groups.empty() ? "" : " matching '" + o.groups + "'", link.name),
                  {.flag = o.groups.empty() ? "" : "--groups"});
  }
  std::vector<std::string> live;
  for (const auto& [g, d] : source.describe_groups(groups, timeout)) {
    // A group rebalancing may not list its joining members yet: only Empty (or unknown) is at rest.
    if (d.members > 0 || (d.state != "Empty" && d.state != "Dead")) {
      live.push_back(fmt::format("{} ({} member(s), state {})", g, d.members, d.state));
    }
  }
  if (!live.empty()) {
    throw_refused(fmt::format("group(s) with live members on the source: {}. Stop their consumers first: their offsets "
                              "would move after being read; nothing was changed",
                              fmt::join(live, ", ")),
                  {.cluster = link.source_alias});
  }

  const auto deadline = Clock::now() + std::chrono::milliseconds(o.wait_timeout_ms);
  const auto ends = wait_quiet(source, parts, o, deadline);
  wait_copied(o, link, ends, deadline);
  report.at_ms = dr::now_ms();

  // Each group's current offset, translated through the mapping (reloaded: the mirror wrote since).
  auto fresh = store::StateStore::open(o.state_path, {.create_if_missing = false, .access = store::Access::read_only});
  std::map<std::string, GroupPlan> plans;
  std::vector<std::string> inexact;  // "group G T/P at O (precision)"
  kafka::ClientConfig consumer_config(kafka::ClientRole::consumer);
  consumer_config.apply_file(o.source_config);
  for (const auto& [g, offsets] : source.list_group_offsets(groups, timeout, &errors)) {
    GroupPlan& plan = plans[g];
    plan.group = g;
    plan.read_ms = report.at_ms;
    for (const auto& off : offsets) {
      auto t = target_topic.find(off.topic);
      if (t == target_topic.end()) continue;
      const auto rows = store::load_segments(fresh, link.id, off.topic, off.partition);
      PartitionPlan p;
      p.source_topic = off.topic;
      p.target_topic = t->second;
      p.partition = off.partition;
      p.checkpoint_offset = off.offset;
      p.checkpoint_ms = report.at_ms;
      p.translated = translate::translate_offset(rows, SourceOffset(off.offset),
                                                 TargetOffset(target.watermarks(t->second, off.partition, timeout).low));
      p.time_offset = p.chosen = p.translated.target.value();
      p.basis = "current";
      if (!exact_in_fact(p.translated, consumer_config, off.topic, off.partition, off.offset, timeout)) {
        inexact.push_back(fmt::format("group {} {}/{} at {} ({})", g, off.topic, off.partition, off.offset,
                                      translate::to_string(p.translated.precision)));
      }
      plan.partitions.push_back(std::move(p));
    }
  }
  // A switchover that is not exact for every partition is not a planned switchover: refuse before anything
  // is written (the time-based dr-failover is the tool for a mapping that cannot answer exactly).
  if (!inexact.empty()) {
    throw_refused(fmt::format("the mapping of link {} cannot translate every current offset exactly: {}. Nothing was "
                              "changed; a planned switchover moves groups only with 0 lost and 0 duplicates",
                              link.name, fmt::join(inexact, ", ")),
                  {.file = o.state_path});
  }
  for (const auto& [g, e] : errors) report.warnings.push_back(fmt::format("group {}: offsets not readable: {}", g, e));
  std::vector<std::string> names;
  for (const auto& [g, plan] : plans) names.push_back(g);
  for (const auto& [g, d] : target.describe_groups(names, timeout)) {
    GroupPlan& plan = plans[g];
    plan.standby_state = d.state;
    plan.standby_members = d.members;
    if (d.members > 0 || (d.state != "Empty" && d.state != "Dead")) {
      plan.status = GroupStatus::skipped_active;
      plan.detail = fmt::format("{} member(s) active on the target (state {}): stop them, then run again", d.members, d.state);
    }
  }
  for (auto& [g, plan] : plans) report.groups.push_back(std::move(plan));
  if (!o.execute) {
    report.outcome = Outcome::planned;
    report.summary = fmt::format("dry run: {} group(s) would move from {} to {} at their current offsets, 0 duplicates "
                                 "expected; run with --execute to apply",
                                 report.groups.size(), link.source_alias, link.target_alias);
  } else {
    auto writable = store::StateStore::open(o.state_path, {.create_if_missing = false});
    execute_failover(writable, link, target, report, o,
                     fmt::format("dr-failover --planned by {} on {}", os_user(), host_name()),
                     {{"planned", true}, {"quiet_period_ms", o.quiet_period_ms}, {"source_config", o.source_config}});
  }
  report.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  return report;
}

}  // namespace dr::failover
