// dr-resync --execute: save, wipe, seed the reverse link, position its mirror; every step recorded
// per partition after it took effect, so a rerun continues where a killed run stopped.
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dr/clock.hpp"
#include "dr/error.hpp"
#include "dr/kafka/command_line.hpp"
#include "dr/log.hpp"
#include "dr/resync/inverse_mapping.hpp"
#include "dr/resync/saved_records.hpp"
#include "dr/store/audit.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/store/resync_state.hpp"
#include "dr/who.hpp"
#include "resync/context.hpp"

namespace dr::resync::detail {

namespace {

constexpr int64_t kLeaseStaleMs = 10 * 60 * 1000;

// Test hook: DR_RESYNC_FAILPOINT=after-saved|after-wiped|after-seeded kills the process (SIGKILL)
// right after that step was recorded, as kill -9 would.
void failpoint(const char* name) {
  if (const char* fp = std::getenv("DR_RESYNC_FAILPOINT"); fp && std::string(fp) == name) {
    dr::log::warn("DR_RESYNC_FAILPOINT={}: killing this process", name);
    ::raise(SIGKILL);
  }
}

void set_step(Context& ctx, ResyncReport& report, PartitionPlan& p, store::ResyncStep step) {
  store::set_resync_step(ctx.store, report.resync_id, p.topic, p.partition, step);
  p.step = store::to_string(step);
}

bool at(const PartitionPlan& p, store::ResyncStep step) { return p.step == store::to_string(step); }

std::string escape_topic(const std::string& topic) {
  std::string out;
  for (char c : topic) {
    if (c == '.') out += '\\';
    out += c;
  }
  return out;
}

void recreate_topic(Context& ctx, const TopicPlan& t) {
  kafka::Admin& admin = *ctx.old_primary.admin;
  bool exists = false;
  for (const auto& info : admin.list_topics(ctx.timeout)) exists = exists || info.name == t.topic;
  if (exists) {
    dr::log::info("{}: deleting topic {} (compacted: its records cannot be deleted one by one)", ctx.old_primary.label(), t.topic);
    admin.delete_topic(t.topic, ctx.timeout);
  }
  // Kafka finishes a deletion in the background: creating the topic again may be refused for a while.
  const auto deadline = std::chrono::steady_clock::now() + ctx.timeout;
  for (;;) {
    try {
      admin.create_topic(t.topic, t.partitions, t.replication_factor, t.configs, ctx.timeout);
      dr::log::info("{}: topic {} recreated ({} partitions, replication {}, {} topic config(s))", ctx.old_primary.label(),
                    t.topic, t.partitions, t.replication_factor, t.configs.size());
      return;
    } catch (const Error& e) {
      if (e.context().kafka_error != "TOPIC_ALREADY_EXISTS" || std::chrono::steady_clock::now() > deadline) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
}

void begin(Context& ctx, ResyncReport& report) {
  const ResyncOptions& o = ctx.options;
  // The lease is taken first: a refusal there writes nothing.
  store::take_resync_lease(ctx.store, ctx.forward.id, 0, kLeaseStaleMs);
  store::AuditRecord audit;
  audit.link_id = ctx.forward.id;
  audit.kind = "resync";
  audit.os_user = os_user();
  audit.host = host_name();
  audit.arguments = nlohmann::json{{"command_line", kafka::masked_command_line(o.command_line)},
                                   {"topics", o.topics},
                                   {"save_dir", o.save_dir},
                                   {"discard_diverged", o.discard_diverged},
                                   {"mirror_group", report.mirror_group},
                                   {"old_primary_config", o.old_primary_config},
                                   {"new_primary_config", o.new_primary_config}}
                        .dump();
  audit.plan = to_json(report);
  report.resync_id = store::begin_audit(ctx.store, audit);
  store::take_resync_lease(ctx.store, ctx.forward.id, report.resync_id, kLeaseStaleMs);
  std::vector<store::ResyncPartition> rows;
  for (const PartitionPlan& p : report.partitions) {
    rows.push_back({p.topic, p.new_topic, p.partition, p.action, store::ResyncStep::planned, p.old_end, p.common_end,
                    p.new_common_end, p.diverged_records});
  }
  store::record_resync_plan(ctx.store, report.resync_id, rows);
  dr::log::info("resync #{} of link {}: plan recorded ({} partitions)", report.resync_id, ctx.forward.name, rows.size());
}

// Step 1: every diverged partition saved and read back before anything is deleted.
void save_diverged(Context& ctx, ResyncReport& report) {
  SaveManifest header;
  header.link = report.link;
  header.old_primary_cluster_id = report.old_primary_cluster_id;
  header.new_primary_cluster_id = report.new_primary_cluster_id;
  header.resync_id = report.resync_id;
  for (PartitionPlan& p : report.partitions) {
    if (!at(p, store::ResyncStep::planned)) continue;
    if (p.diverged_records > 0 && !ctx.options.discard_diverged) {
      const SavedPartition saved = save_partition(ctx.old_primary.consumer_config, ctx.old_primary.label(), report.save_dir,
                                                  header, p.topic, p.partition, p.save_from, p.old_end, ctx.timeout);
      if (saved.records < p.diverged_records) {
        throw Error(ErrorKind::kafka,
                    fmt::format("saved {} record(s) but the plan counted {} diverged: the old primary changed since the "
                                "plan; nothing was deleted",
                                saved.records, p.diverged_records),
                    {.cluster = ctx.old_primary.label(), .topic = p.topic, .partition = p.partition});
      }
      dr::log::info("{}/{}: {} diverged record(s) saved to {}/{} and read back (sha256 {})", p.topic, p.partition,
                    saved.records, report.save_dir, saved.file, saved.sha256);
    } else if (p.diverged_records > 0) {
      dr::log::warn("{}/{}: {} diverged record(s) NOT saved (--discard-diverged)", p.topic, p.partition, p.diverged_records);
    }
    set_step(ctx, report, p, store::ResyncStep::saved);
  }
  failpoint("after-saved");
}

// Step 2: wipe (DeleteRecords up to the planned end: a rerun deletes nothing more) or recreate.
void wipe(Context& ctx, ResyncReport& report) {
  for (const TopicPlan& t : report.topics) {
    const bool pending = std::any_of(report.partitions.begin(), report.partitions.end(), [&](const PartitionPlan& p) {
      return p.topic == t.topic && p.action == "recreate" && at(p, store::ResyncStep::saved);
    });
    if (!pending) continue;
    recreate_topic(ctx, t);
    for (PartitionPlan& p : report.partitions) {
      if (p.topic == t.topic) set_step(ctx, report, p, store::ResyncStep::wiped);
    }
  }
  for (PartitionPlan& p : report.partitions) {
    if (!at(p, store::ResyncStep::saved)) continue;
    if (p.action == "wipe" && p.old_end > 0) {
      const int64_t start = ctx.old_primary.admin->delete_records(p.topic, p.partition, p.old_end, ctx.timeout);
      dr::log::info("{}/{}: records below {} deleted on the old primary (log start now {})", p.topic, p.partition, p.old_end,
                    start);
    }
    set_step(ctx, report, p, store::ResyncStep::wiped);
  }
  failpoint("after-wiped");
}

// Step 3: the reverse link, its topic map and its mapping seeded; the failed-over link retired.
void seed(Context& ctx, ResyncReport& report) {
  if (std::none_of(report.partitions.begin(), report.partitions.end(),
                   [](const PartitionPlan& p) { return at(p, store::ResyncStep::wiped); })) {
    return;
  }
  std::vector<store::TopicMapping> topics;
  for (const TopicPlan& t : report.topics) topics.push_back({t.new_topic, t.topic, t.partitions});
  std::vector<store::PartitionMappingUpdate> rows;
  for (const PartitionPlan& p : report.partitions) {
    if (p.action != "keep") continue;
    store::PartitionMappingUpdate u{p.new_topic, p.partition, {}, {}};
    const auto forward = store::load_segments(ctx.store, ctx.forward.id, p.topic, p.partition);
    u.segments = invert_mapping(forward, SourceOffset(p.common_end));
    for (const auto& r : p.tail_rows) {
      u.segments.push_back({SourceOffset(r.at(0)), TargetOffset(r.at(1)), r.at(2), r.at(3), r.at(4)});
    }
    rows.push_back(std::move(u));
  }
  const store::Link reverse = store::establish_reverse_link(
      ctx.store, ctx.forward, topics, rows,
      fmt::format("dr-resync #{} by {} on {}: failback from {}", report.resync_id, os_user(), host_name(), ctx.forward.name));
  for (PartitionPlan& p : report.partitions) {
    if (at(p, store::ResyncStep::wiped)) set_step(ctx, report, p, store::ResyncStep::seeded);
  }
  dr::log::info("reverse link {} is active (epoch {}); link {} retired", reverse.name, reverse.epoch, ctx.forward.name);
  failpoint("after-seeded");
}

// Step 4: the reverse mirror's group starts where the old primary's data ends on the new primary.
void position_mirror(Context& ctx, ResyncReport& report) {
  std::vector<kafka::GroupOffset> offsets;
  for (const PartitionPlan& p : report.partitions) {
    if (!at(p, store::ResyncStep::seeded)) continue;
    int64_t from = p.new_common_end;
    if (p.action != "keep") from = ctx.new_primary.admin->watermarks(p.new_topic, p.partition, ctx.timeout).low;
    offsets.push_back({p.new_topic, p.partition, from});
  }
  if (offsets.empty()) return;
  auto errors = ctx.new_primary.admin->alter_group_offsets({{report.mirror_group, offsets}}, ctx.timeout);
  if (!errors.empty()) {
    throw Error(ErrorKind::kafka,
                fmt::format("cannot set the reverse mirror's group {} ({}); run the same command again (is a dr-mirror of it "
                            "running already?)",
                            report.mirror_group, errors.begin()->second),
                {.cluster = ctx.new_primary.label()});
  }
  for (PartitionPlan& p : report.partitions) {
    if (at(p, store::ResyncStep::seeded)) set_step(ctx, report, p, store::ResyncStep::done);
  }
}

std::string mirror_command(const Context& ctx, const ResyncReport& report) {
  std::string include;
  for (const TopicPlan& t : report.topics) include += (include.empty() ? "" : "|") + escape_topic(t.new_topic);
  std::string cmd = fmt::format(
      "dr-mirror --state {} --consumer.config {} --producer.config {} --whitelist '{}' --source-alias {} --target-alias {} "
      "-X source.group.id={}",
      ctx.options.state_path, ctx.options.new_primary_config, ctx.options.old_primary_config, include, report.new_alias,
      report.old_alias, report.mirror_group);
  for (const std::string& x : ctx.options.overrides) {
    const bool old_side = x.rfind("old.", 0) == 0;
    const std::string kv = x.substr(4);
    const auto eq = kv.find('=');
    cmd += fmt::format(" -X {}.{}", old_side ? "target" : "source",
                       eq == std::string::npos ? kv : kv.substr(0, eq + 1) + kafka::mask_secret(kv.substr(0, eq), kv.substr(eq + 1)));
  }
  return cmd;
}

}  // namespace

void execute_plan(Context& ctx, ResyncReport& report) {
  report.executed = true;
  if (report.save_dir.empty()) report.save_dir = ctx.options.save_dir;
  int64_t diverged = 0;
  for (const PartitionPlan& p : report.partitions) diverged += p.diverged_records;
  if (diverged > 0 && report.save_dir.empty() && !ctx.options.discard_diverged) {
    throw_bad_input(fmt::format("{} diverged record(s) must be saved before they are deleted: give --save-dir DIR (or, to "
                                "throw them away, --discard-diverged)",
                                diverged),
                    {.flag = "--save-dir"});
  }
  if (!report.resumed) begin(ctx, report);
  else store::take_resync_lease(ctx.store, ctx.forward.id, report.resync_id, kLeaseStaleMs);

  save_diverged(ctx, report);
  wipe(ctx, report);
  seed(ctx, report);
  position_mirror(ctx, report);

  report.mirror_command = mirror_command(ctx, report);
  report.outcome = "done";
  int64_t copy = 0;
  for (const PartitionPlan& p : report.partitions) copy += p.records_to_copy;
  report.summary = fmt::format("resync #{} done{}: {} partition(s); {} diverged record(s) {}; reverse link {} seeded; {} "
                               "record(s) to copy back",
                               report.resync_id, report.resumed ? " (finished a stopped run)" : "", report.partitions.size(),
                               diverged, ctx.options.discard_diverged ? "discarded" : "saved in " + report.save_dir,
                               report.reverse_link, copy);
  store::finish_audit(ctx.store, report.resync_id, to_json(report), "done");
  store::release_resync_lease(ctx.store, ctx.forward.id);
}

}  // namespace dr::resync::detail
