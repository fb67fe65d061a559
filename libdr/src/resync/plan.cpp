// dr-resync's plan: per partition, what the old primary holds that the new one does not, and
// what must travel back; and the refusals that look at the old primary first.
#include <algorithm>
#include <regex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dr/error.hpp"
#include "dr/log.hpp"
#include "dr/resync/inverse_mapping.hpp"
#include "dr/resync/record_range.hpp"
#include "dr/resync/tail_compare.hpp"
#include "dr/store/mirror_state.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/translate/translate.hpp"
#include "resync/context.hpp"

namespace dr::resync::detail {

namespace {

// Records read from the new primary to estimate the bytes to copy.
constexpr int kSampleRecords = 200;

int64_t record_bytes(const kafka::Record& r) {
  int64_t n = static_cast<int64_t>(r.key.value_or("").size() + r.value.value_or("").size());
  for (const auto& h : r.headers) n += static_cast<int64_t>(h.key.size() + h.value.value_or("").size());
  return n;
}

// The topics the link mirrored that --topics selects, with what a recreate needs; the names on
// one side only go to the report.
std::vector<TopicPlan> select_topics(Context& ctx, ResyncReport& report) {
  const std::regex pattern(ctx.options.topics.empty() ? ".*" : ctx.options.topics);
  std::map<std::string, kafka::TopicInfo> on_old, on_new;
  for (auto& t : ctx.old_primary.admin->list_topics(ctx.timeout)) on_old[t.name] = t;
  for (auto& t : ctx.new_primary.admin->list_topics(ctx.timeout)) on_new[t.name] = t;
  std::vector<TopicPlan> out;
  std::set<std::string> mirrored;
  for (const store::TopicMapping& m : store::list_topics(ctx.store, ctx.forward.id)) {
    mirrored.insert(m.source_topic);
    mirrored.insert(m.target_topic);
    if (!std::regex_match(m.source_topic, pattern)) continue;
    auto it = on_old.find(m.source_topic);
    if (it == on_old.end()) {
      report.warnings.push_back(fmt::format("topic {} was mirrored but is gone from the old primary: the reverse mirror "
                                            "creates it",
                                            m.source_topic));
    }
    TopicPlan t;
    t.topic = m.source_topic;
    t.new_topic = m.target_topic;
    if (it != on_old.end()) {
      t.partitions = static_cast<int>(it->second.partitions.size());
      t.replication_factor = it->second.partitions.empty() ? -1 : it->second.partitions.front().replicas;
      auto configs = ctx.old_primary.admin->describe_topic_configs(t.topic, ctx.timeout);
      for (const auto& [key, v] : configs) {
        if (v.set_on_topic && !v.is_sensitive) t.configs[key] = v.value;
      }
      t.compacted = configs["cleanup.policy"].value.find("delete") == std::string::npos;
    }
    out.push_back(std::move(t));
  }
  for (const auto& [name, info] : on_old) {
    if (!mirrored.count(name) && std::regex_match(name, pattern) && name.rfind("__", 0) != 0) report.only_on_old.push_back(name);
  }
  for (const auto& [name, info] : on_new) {
    if (!mirrored.count(name) && std::regex_match(name, pattern) && name.rfind("__", 0) != 0) report.only_on_new.push_back(name);
  }
  return out;
}

PartitionPlan plan_partition(Context& ctx, const TopicPlan& topic, int32_t partition) {
  PartitionPlan p;
  p.topic = topic.topic;
  p.new_topic = topic.new_topic;
  p.partition = partition;
  const auto old_wm = ctx.old_primary.admin->watermarks(topic.topic, partition, ctx.timeout);
  p.old_log_start = old_wm.low;
  p.old_end = old_wm.high;
  try {
    const auto new_wm = ctx.new_primary.admin->watermarks(topic.new_topic, partition, ctx.timeout);
    p.new_log_start = new_wm.low;
    p.new_end = new_wm.high;
  } catch (const Error& e) {
    dr::log::warn("{}/{} on the new primary: {} (planned as empty)", topic.new_topic, partition, e.what());
  }
  const auto rows = store::load_segments(ctx.store, ctx.forward.id, topic.topic, partition);
  for (const auto& r : rows) p.mapped_end = std::max(p.mapped_end, r.source_end().value());
  const int64_t mapped_target_end = translate::mapped_target_end(rows).value();
  bool truncated = false;
  if (p.old_end < p.mapped_end) {
    // The old primary lost records it had sent (an unclean leader election, a restored disk).
    truncated = true;
    p.common_end = p.old_end;
    p.new_common_end = mapped_target_end;
  } else {
    TailSide old_side{&ctx.old_primary.consumer_config, ctx.old_primary.label(), topic.topic, p.mapped_end, p.old_end};
    TailSide new_side{&ctx.new_primary.consumer_config, ctx.new_primary.label(), topic.new_topic,
                      std::max(mapped_target_end, p.new_log_start), p.new_end};
    const auto matches = match_tail(old_side, new_side, partition, ctx.timeout);
    p.matched_tail = static_cast<int64_t>(matches.size());
    p.common_end = matches.empty() ? p.mapped_end : matches.back().old_offset.value() + 1;
    p.new_common_end = matches.empty() ? mapped_target_end : matches.back().new_offset.value() + 1;
    for (const auto& r : runs_from_matches(matches)) {
      p.tail_rows.push_back({r.source_start.value(), r.target_start.value(), r.length, r.first_timestamp_ms, r.last_timestamp_ms});
    }
  }
  // Records dr-mirror skipped (abort.on.send.failure=false) are on the old primary only.
  int64_t skipped = 0;
  p.save_from = p.common_end;
  for (const auto& s : store::load_skipped(ctx.store, ctx.forward.id, topic.topic, partition)) {
    if (s.source_offset.value() < p.common_end && s.source_offset.value() >= p.old_log_start) {
      ++skipped;
      p.save_from = std::min(p.save_from, s.source_offset.value());
    }
  }
  read_range(ctx.old_primary.consumer_config, ctx.old_primary.label(), topic.topic, partition,
             std::max(p.save_from, p.old_log_start), p.old_end, ctx.timeout, [&](const kafka::Record& r) {
               if (r.offset < p.common_end) return true;  // between skipped records: on both sides
               if (p.diverged_records++ == 0) p.diverged_first_ms = r.timestamp_ms;
               p.diverged_last_ms = r.timestamp_ms;
               p.diverged_bytes += record_bytes(r);
               return true;
             });
  p.diverged_records += skipped;
  if (truncated) {
    p.action = "wipe";
    p.reason = fmt::format("the old primary ends at {}, before the {} records the mapping says it sent: its log was truncated",
                           p.old_end, p.mapped_end);
  } else if (skipped > 0) {
    p.action = "wipe";
    p.reason = fmt::format("{} record(s) dr-mirror skipped (abort.on.send.failure=false) are on the old primary only", skipped);
  } else if (p.diverged_records > 0) {
    p.action = "wipe";
    p.reason = fmt::format("{} record(s) after offset {} never reached the new primary", p.diverged_records, p.common_end - 1);
  } else {
    p.action = "keep";
    p.reason = p.matched_tail > 0 ? fmt::format("nothing diverged ({} record(s) past the mapping found on the new primary)",
                                                p.matched_tail)
                                  : "nothing diverged";
  }
  const int64_t copy_from = p.action == "keep" ? std::max(p.new_common_end, p.new_log_start) : p.new_log_start;
  p.records_to_copy = std::max<int64_t>(0, p.new_end - copy_from);
  if (p.records_to_copy > 0) {
    int64_t n = 0, bytes = 0;
    read_range(ctx.new_primary.consumer_config, ctx.new_primary.label(), topic.new_topic, partition, copy_from, p.new_end,
               ctx.timeout, [&](const kafka::Record& r) {
                 bytes += record_bytes(r);
                 return ++n < kSampleRecords;
               });
    if (n > 0) p.bytes_to_copy = bytes / n * p.records_to_copy;
  }
  return p;
}

}  // namespace

void check_old_primary_quiet(Context& ctx, const ResyncReport& report) {
  std::set<std::string> topics;
  std::vector<std::pair<std::string, int32_t>> partitions;
  if (!report.partitions.empty()) {
    for (const auto& p : report.partitions) {
      topics.insert(p.topic);
      partitions.emplace_back(p.topic, p.partition);
    }
  } else {
    const std::regex pattern(ctx.options.topics.empty() ? ".*" : ctx.options.topics);
    std::map<std::string, kafka::TopicInfo> on_old;
    for (auto& t : ctx.old_primary.admin->list_topics(ctx.timeout)) on_old[t.name] = t;
    for (const store::TopicMapping& m : store::list_topics(ctx.store, ctx.forward.id)) {
      auto it = on_old.find(m.source_topic);
      if (!std::regex_match(m.source_topic, pattern) || it == on_old.end()) continue;
      topics.insert(m.source_topic);
      for (const auto& part : it->second.partitions) partitions.emplace_back(m.source_topic, part.id);
    }
  }
  if (partitions.empty()) {
    throw_refused(fmt::format("no topic of link {} matches{} on the old primary: nothing to resync", ctx.forward.name,
                              ctx.options.topics.empty() ? std::string() : " --topics '" + ctx.options.topics + "'"),
                  {.flag = ctx.options.topics.empty() ? "" : "--topics"});
  }
  // Consumers still reading the old primary would read records that are about to be deleted.
  std::vector<std::string> live;
  const auto groups = ctx.old_primary.admin->list_groups(ctx.timeout);
  std::vector<std::string> with_members;
  for (const auto& [name, d] : ctx.old_primary.admin->describe_groups(groups, ctx.timeout)) {
    if (d.members > 0) with_members.push_back(name);
  }
  if (!with_members.empty()) {
    std::map<std::string, std::string> errors;
    for (const auto& [group, offsets] : ctx.old_primary.admin->list_group_offsets(with_members, ctx.timeout, &errors)) {
      std::set<std::string> read;
      for (const auto& o : offsets) {
        if (topics.count(o.topic)) read.insert(o.topic);
      }
      if (!read.empty()) live.push_back(fmt::format("{} (reads {})", group, fmt::join(read, ", ")));
    }
  }
  if (!live.empty()) {
    throw_refused(fmt::format("consumer group(s) with live members on the old primary read topics to resync: {}. Stop them "
                              "(they belong on the new primary now), then run again. A consumer killed abruptly, e.g. the old dr-mirror, "
                              "stays a member until its session times out (session.timeout.ms, 45 s by default)",
                              fmt::join(live, "; ")),
                  {.cluster = ctx.old_primary.label()});
  }
  // The old primary must take no writes: anything written during the resync would be lost.
  auto ends = [&] {
    std::map<std::pair<std::string, int32_t>, int64_t> out;
    for (const auto& [t, p] : partitions) out[{t, p}] = ctx.old_primary.admin->watermarks(t, p, ctx.timeout).high;
    return out;
  };
  const auto before = ends();
  dr::log::info("checking that the old primary takes no writes: watching {} partition(s) for {} ms", partitions.size(),
                ctx.options.quiet_period_ms);
  std::this_thread::sleep_for(std::chrono::milliseconds(ctx.options.quiet_period_ms));
  const auto after = ends();
  std::vector<std::string> moved;
  for (const auto& [tp, end] : after) {
    if (end != before.at(tp)) moved.push_back(fmt::format("{}/{} ({} -> {})", tp.first, tp.second, before.at(tp), end));
  }
  if (!moved.empty()) {
    throw_refused(fmt::format("the old primary still takes writes: end offsets moved within {} ms on {}. Stop every producer "
                              "writing to it (they belong on the new primary now), then run again",
                              ctx.options.quiet_period_ms, fmt::join(moved, ", ")),
                  {.flag = "--quiet-period", .cluster = ctx.old_primary.label()});
  }
}

void make_plan(Context& ctx, ResyncReport& report) {
  report.topics = select_topics(ctx, report);
  for (const TopicPlan& t : report.topics) {
    std::vector<PartitionPlan> parts;
    for (int32_t p = 0; p < t.partitions; ++p) parts.push_back(plan_partition(ctx, t, p));
    const bool any_wipe = std::any_of(parts.begin(), parts.end(), [](const PartitionPlan& p) { return p.action != "keep"; });
    if (t.compacted && any_wipe) {
      // DeleteRecords is not allowed on a compacted topic: the topic is deleted and recreated, so
      // every partition of it is copied in full.
      for (PartitionPlan& p : parts) {
        p.reason = (p.action == "keep" ? std::string("recreated with the topic") : p.reason) +
                   "; compacted topic (cleanup.policy without delete): deleted and recreated with the same partitions and configs";
        p.action = "recreate";
        p.records_to_copy = std::max<int64_t>(0, p.new_end - p.new_log_start);
      }
    }
    for (PartitionPlan& p : parts) report.partitions.push_back(std::move(p));
  }
  int64_t keep = 0, diverged = 0, copy = 0;
  for (const PartitionPlan& p : report.partitions) {
    keep += p.action == "keep";
    diverged += p.diverged_records;
    copy += p.records_to_copy;
  }
  report.summary = fmt::format("{} partition(s): {} keep, {} wipe or recreate; {} diverged record(s) to save; {} record(s) to "
                               "copy back",
                               report.partitions.size(), keep, report.partitions.size() - static_cast<size_t>(keep),
                               diverged, copy);
}

}  // namespace dr::resync::detail
