#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "dr/clock.hpp"
#include "dr/error.hpp"
#include "dr/kafka/command_line.hpp"
#include "dr/log.hpp"
#include "dr/store/links.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/who.hpp"
#include "drill/drill_internal.hpp"

#ifndef DR_VERSION
#define DR_VERSION "unknown"
#endif

namespace dr::drill {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

std::string version() { return DR_VERSION; }

DrillReport start_report(const DrillOptions& o) {
  DrillReport report;
  report.started_ms = now_ms();
  report.local = o.local;
  report.os_user = os_user();
  report.host = host_name();
  report.kafka_dr_version = version();
  report.command = kafka::masked_command_line(o.command_line);
  report.objectives = o.objectives;
  report.report_dir = o.work_dir;
  return report;
}

std::pair<Cluster, Cluster> load_clusters(const DrillOptions& o, DrillReport& report) {
  Cluster primary = load_cluster("primary", o.primary_config, o.overrides);
  Cluster standby = load_cluster("standby", o.standby_config, o.overrides);
  identify(primary, o);
  identify(standby, o);
  if (primary.id == standby.id) {
    throw_refused(fmt::format("--primary-config and --standby-config reach the same cluster ({}): a drill needs two", primary.id));
  }
  report.clusters = {primary.info, standby.info};
  return {std::move(primary), std::move(standby)};
}

void check_options(const DrillOptions& o) {
  auto bad = [](const std::string& flag, const std::string& why) { throw_bad_input(why, {.flag = flag}); };
  if (o.primary_config.empty()) bad("--primary-config", "the primary's client .properties file is required");
  if (o.standby_config.empty()) bad("--standby-config", "the standby's client .properties file is required");
  if (o.partitions < 1 || o.partitions > 64) bad("--partitions", fmt::format("{} is out of range: 1 to 64", o.partitions));
  if (o.rate_per_s < 10 || o.rate_per_s > 10000) bad("--rate", fmt::format("{} is out of range: 10 to 10000 records/s", o.rate_per_s));
  static const std::string legal = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
  for (const auto& [flag, name] : {std::pair{"--canary-topic", o.canary_topic}, std::pair{"--canary-group", o.canary_group}}) {
    if (name.empty() || name.size() > 200 || name.find_first_not_of(legal) != std::string::npos || name == "." || name == "..") {
      bad(flag, fmt::format("'{}' is not a valid Kafka name (letters, digits, '.', '_', '-'; at most 200)", name));
    }
  }
  if (o.work_dir.empty()) bad("--work-dir", "a directory for the reports is required");
  if (o.objectives.rpo_ms <= 0) bad("--rpo-objective", "must be more than 0");
  if (o.objectives.rto_ms <= 0) bad("--rto-objective", "must be more than 0");
  for (const auto& x : o.overrides) {
    if (x.rfind("primary.", 0) != 0 && x.rfind("standby.", 0) != 0) {
      // Only the key: the value may be a secret.
      bad("-X", fmt::format("'{}=...': say which cluster: -X primary.KEY=VALUE or -X standby.KEY=VALUE", x.substr(0, x.find('='))));
    }
  }
  if (!o.fault.empty() && o.fault != "mirror-lag" && o.fault != "standby-busy" && o.fault != "delete-on-standby") {
    throw_bad_input(fmt::format("DR_DRILL_FAULT={}: known faults are mirror-lag, standby-busy, delete-on-standby", o.fault));
  }
}

Cluster load_cluster(const std::string& role, const std::string& file, const std::vector<std::string>& overrides) {
  Cluster c;
  c.role = role;
  c.file = file;
  for (auto* config : {&c.admin, &c.consumer, &c.producer}) config->apply_file(file);
  const std::string prefix = role + ".";
  for (const auto& x : overrides) {
    if (x.rfind(prefix, 0) != 0) continue;
    c.overrides.push_back(x.substr(prefix.size()));
    for (auto* config : {&c.admin, &c.consumer, &c.producer}) config->apply_override(c.overrides.back());
  }
  for (auto* config : {&c.admin, &c.consumer, &c.producer}) config->check();
  return c;
}

void identify(Cluster& c, const DrillOptions& o) {
  kafka::Admin admin(c.admin, c.role);
  c.id = admin.cluster_id(milliseconds(o.timeout_ms));
  c.info = {c.role, c.id, c.admin.get("bootstrap.servers").value_or(""),
            o.kafka_version};
}

namespace {

bool topic_exists(kafka::Admin& admin, const std::string& topic, milliseconds timeout) {
  for (const auto& t : admin.list_topics(timeout)) {
    if (t.name == topic) return true;
  }
  return false;
}

// Deletes the topic and waits (bounded) until the cluster no longer lists it, so it can be created again.
void delete_topic_and_wait(kafka::Admin& admin, const std::string& topic, milliseconds timeout) {
  admin.delete_topic(topic, timeout);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (topic_exists(admin, topic, timeout)) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw Error(ErrorKind::kafka, "the deleted topic is still listed", {.cluster = admin.label(), .topic = topic});
    }
    std::this_thread::sleep_for(200ms);
  }
}

bool process_alive(int64_t pid) { return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0; }

}  // namespace

void check_canary_free(store::StateStore& history, const Cluster& primary, const Cluster& standby, const DrillOptions& o) {
  const milliseconds timeout(o.timeout_ms);
  bool ours = false;
  for (const auto& row : store::list_drills(history)) {
    if (row.canary_topic != o.canary_topic) continue;
    ours = true;
    if (row.verdict != "running") continue;
    const bool here = row.host == host_name();
    if ((here && process_alive(row.pid)) || (!here && !row.finished_ms && dr::now_ms() - row.started_ms < 3600 * 1000)) {
      throw_refused(fmt::format("drill #{} is running with canary topic {} (pid {} on {}, started {}): one drill at a time",
                                row.id, o.canary_topic, row.pid, row.host, row.started_ms),
                    {.topic = o.canary_topic});
    }
  }
  for (const Cluster* c : {&primary, &standby}) {
    kafka::Admin admin(c->admin, c->role);
    auto groups = admin.describe_groups({o.canary_group}, timeout);
    if (groups[o.canary_group].members > 0) {
      throw_refused(fmt::format("consumer group {} has {} live member(s) on the {}: it is not free for a drill (choose "
                                "another --canary-group)", o.canary_group, groups[o.canary_group].members, c->role),
                    {.cluster = c->id});
    }
    if (!topic_exists(admin, o.canary_topic, timeout)) continue;
    if (!ours) {
      throw_refused(fmt::format("topic {} exists on the {} and no drill in this state file created it: it may hold someone's "
                                "data. Choose another --canary-topic, or delete it yourself if it is a drill's",
                                o.canary_topic, c->role),
                    {.cluster = c->id, .topic = o.canary_topic});
    }
    log::warn("drill: deleting canary topic {} left on the {} by an earlier drill (killed, or run with --keep)", o.canary_topic,
              c->role);
    delete_topic_and_wait(admin, o.canary_topic, timeout);
    admin.delete_group(o.canary_group, timeout);
  }
}

std::vector<ProductionLink> production_lag(store::StateStore& history, const Cluster& primary) {
  std::vector<ProductionLink> out;
  std::unique_ptr<kafka::Admin> admin;
  for (const auto& link : store::list_links(history)) {
    if (link.source_cluster_id != primary.id) continue;
    ProductionLink pl;
    pl.link = link.name;
    pl.state = store::to_string(link.state);
    try {
      if (!admin) admin = std::make_unique<kafka::Admin>(primary.admin, "primary");
      for (const auto& t : store::mapping_summary(history, link.id)) {
        pl.newest_mapped_record_ms = std::max(pl.newest_mapped_record_ms, t.last_timestamp_ms);
      }
      int64_t lag = 0;
      for (const auto& p : link_lag(history, link.id, *admin, 5s)) {
        lag += p.lag();
        ++pl.mapped_partitions;
      }
      pl.lag_records = lag;
      pl.note = "end offsets on the primary minus the state file's mapped end, summed";
    } catch (const Error& e) {
      pl.note = std::string("lag unknown: ") + e.what();
    }
    out.push_back(std::move(pl));
  }
  return out;
}

std::vector<PartitionLag> link_lag(store::StateStore& state, int64_t link_id, kafka::Admin& primary, milliseconds timeout) {
  std::vector<PartitionLag> out;
  std::map<std::string, int32_t> partitions;  // the primary's partition count per topic
  for (const auto& t : primary.list_topics(timeout)) partitions[t.name] = static_cast<int32_t>(t.partitions.size());
  for (const auto& t : store::mapping_summary(state, link_id)) {
    for (int32_t p = 0; p < partitions[t.source_topic]; ++p) {
      PartitionLag l{t.source_topic, p, 0, 0};
      for (const auto& r : store::load_segments(state, link_id, t.source_topic, p)) {
        l.mapped_end = std::max(l.mapped_end, r.source_end().value());
      }
      l.end = primary.watermarks(t.source_topic, p, timeout).high;
      out.push_back(std::move(l));
    }
  }
  return out;
}

std::unique_ptr<kafka::Consumer> occupy_group(const Cluster& standby, const DrillOptions& o) {
  kafka::ClientConfig c = standby.consumer;
  c.set_default("group.id", o.canary_group);
  auto consumer = std::make_unique<kafka::Consumer>(c, "standby (test hook: a live member)");
  consumer->subscribe({o.canary_topic});
  kafka::Admin admin(standby.admin, "standby");
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    consumer->poll(200ms);
    if (admin.describe_groups({o.canary_group}, 5s)[o.canary_group].members > 0) break;
  }
  return consumer;
}

void delete_on_standby(kafka::Admin& standby, const CanaryObservations& seen, const std::vector<int64_t>& ends,
                       const DrillOptions& o) {
  // Partition 0: delete up to 5 records past the first one on the standby that the group had not
  // read on the primary: those can only be read on the standby, so they are lost.
  int64_t last_read = -1;
  for (const auto& r : seen.read_primary)
    if (r.partition == 0) last_read = std::max(last_read, r.seq);
  for (const auto& rec : seen.standby) {
    if (rec.partition != 0 || rec.seq <= last_read) continue;
    const int64_t before = std::min(rec.offset + 5, ends.at(0));
    standby.delete_records(o.canary_topic, 0, before, milliseconds(o.timeout_ms));
    log::warn("drill: test hook: deleted the standby's records of {} partition 0 below offset {} (the group had read up to "
              "sequence number {} on the primary)", o.canary_topic, before, last_read);
    return;
  }
  log::warn("drill: test hook: nothing to delete: the standby holds no record of partition 0 the group had not read");
}

std::vector<std::string> clean_up(const Cluster& primary, const Cluster& standby, const DrillOptions& o, int64_t drill_id) {
  std::vector<std::string> notes;
  if (o.keep) {
    notes.push_back(fmt::format("--keep: topic {} and group {} left on both clusters, the canary mirror's group {} on the "
                                "primary; the next drill with this topic deletes them",
                                o.canary_topic, o.canary_group, mirror_group(o, drill_id)));
    return notes;
  }
  const milliseconds timeout(o.timeout_ms);
  for (const Cluster* c : {&primary, &standby}) {
    try {
      kafka::Admin admin(c->admin, c->role);
      admin.delete_topic(o.canary_topic, timeout);
      admin.delete_group(o.canary_group, timeout);
      notes.push_back(fmt::format("deleted topic {} and group {} on the {}", o.canary_topic, o.canary_group, c->role));
      if (c == &primary) {
        // The killed mirror's static member stays until its session times out (6 s, set by the drill).
        const auto deadline = std::chrono::steady_clock::now() + 15s;
        for (;;) {
          try {
            admin.delete_group(mirror_group(o, drill_id), timeout);
            notes.push_back(fmt::format("deleted the canary mirror's group {} on the primary", mirror_group(o, drill_id)));
            break;
          } catch (const Error& e) {
            if (std::chrono::steady_clock::now() > deadline) throw;
            std::this_thread::sleep_for(500ms);
          }
        }
      }
    } catch (const std::exception& e) {
      notes.push_back(fmt::format("clean-up on the {} incomplete: {} (the next drill with this topic deletes what is left)",
                                  c->role, e.what()));
    }
  }
  return notes;
}

void record_outcome(store::StateStore& history, store::DrillRow row, DrillReport& report, const DrillOptions& o) {
  try {
    write_report_files(report, o.work_dir, o.gnuplot);
  } catch (const std::exception& e) {
    report.notes.push_back(fmt::format("the report files could not be written: {}", e.what()));
    log::error("drill: the report files could not be written: {}", e.what());
  }
  row.id = report.id;
  row.finished_ms = report.finished_ms;
  row.verdict = report.passed ? "passed" : "failed";
  row.rpo_ms = report.rpo_ms;
  row.rpo_records = report.rpo_records;
  if (report.rto_ms >= 0) row.rto_ms = report.rto_ms;
  row.lost = report.lost;
  row.duplicated = report.duplicates;
  row.reasons.clear();
  for (const auto& r : report.reasons) row.reasons += r + "\n";
  row.report_json = to_json(report);
  store::finish_drill(history, row);
}

}  // namespace dr::drill
