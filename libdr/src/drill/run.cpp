// The canary drill, step by step (see dr/drill/drill.hpp for the scenario).
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "dr/clock.hpp"
#include "dr/drill/analysis.hpp"
#include "dr/drill/drill.hpp"
#include "dr/error.hpp"
#include "dr/failover/failover.hpp"
#include "dr/kafka/client.hpp"
#include "dr/kafka/command_line.hpp"
#include "dr/log.hpp"
#include "dr/process.hpp"
#include "dr/stop.hpp"
#include "dr/store/checkpoints.hpp"
#include "dr/store/drills.hpp"
#include "dr/store/links.hpp"
#include "dr/translate/time_input.hpp"
#include "dr/who.hpp"
#include "drill/canary.hpp"
#include "drill/drill_internal.hpp"

namespace dr::drill {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

// How far the canary consumer on the primary is behind at the disaster (see the warm-up step).
constexpr int64_t kConsumerBehindMs = 1000;

std::string anchored(const std::string& name) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return "^" + std::regex_replace(name, special, R"(\$&)") + "$";
}

// Why a step stops early on SIGINT/SIGTERM (dr-drill installs the handlers): the drill then cleans up
// what it created and is recorded as failed.
std::string interrupted() { return fmt::format("interrupted by {}: the drill stopped early", stop_reason()); }

// Samples counts and the canary mirror's lag every 500 ms, on a thread of its own.
class Sampler {
 public:
  Sampler(const Cluster& primary, const Cluster& standby, const DrillOptions& o, const CanaryProducer& producer,
          const std::vector<CanaryConsumer*>& consumers)
      : primary_(primary), standby_(standby), o_(o), producer_(producer), consumers_(consumers) {
    thread_ = std::thread([this] { run(); });
  }
  ~Sampler() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<Sample> samples() {
    stop();
    return samples_;
  }

 private:
  int64_t total_end(kafka::Admin& admin) {
    int64_t total = 0;
    try {
      for (int32_t p = 0; p < o_.partitions; ++p) total += admin.watermarks(o_.canary_topic, p, 2s).high;
    } catch (const Error&) {
      return -1;
    }
    return total;
  }
  void run() {
    try {
      kafka::Admin p(primary_.admin, "primary (lag sampler)");
      kafka::Admin s(standby_.admin, "standby (lag sampler)");
      while (!stop_) {
        Sample x;
        x.at_ms = now_ms();
        x.produced = producer_.acknowledged();
        x.consumed_primary = consumers_[0]->count();
        x.consumed_standby = consumers_[1] ? consumers_[1]->count() : 0;
        const int64_t pe = total_end(p), se = total_end(s);
        x.mirror_lag_records = pe < 0 || se < 0 ? -1 : std::max<int64_t>(0, pe - se);
        samples_.push_back(x);
        for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(50ms);
      }
    } catch (const std::exception& e) {
      log::warn("drill: the lag sampler stopped: {}", e.what());
    }
  }

  const Cluster& primary_;
  const Cluster& standby_;
  const DrillOptions& o_;
  const CanaryProducer& producer_;
  const std::vector<CanaryConsumer*>& consumers_;
  std::atomic<bool> stop_{false};
  std::vector<Sample> samples_;
  std::thread thread_;
};

std::string log_tail(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  for (std::string l; std::getline(in, l);) all.push_back(l);
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += all[i] + "\n";
  return out;
}

// Waits (bounded) until the canary mirror has checkpointed the canary group on every partition.
bool wait_for_checkpoint(const std::string& state, const DrillOptions& o, process::Child& mirror, milliseconds limit,
                         std::string& why) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (stop_requested()) {
      why = interrupted();
      return false;
    }
    if (mirror.exited()) {
      why = fmt::format("the canary dr-mirror exited with code {}", mirror.exit_code().value_or(-1));
      return false;
    }
    try {
      auto store = store::StateStore::open(state, {.access = store::Access::read_only});
      for (const auto& link : store::list_links(store)) {
        int covered = 0;
        for (const auto& c : store::latest_checkpoints(store, link.id)) {
          if (c.group_id == o.canary_group && c.offset.value() > 0) ++covered;
        }
        if (covered >= o.partitions) return true;
      }
    } catch (const Error&) {
      // not created or migrated yet
    }
    sleep_until_or_stop(std::chrono::steady_clock::now() + 250ms);
  }
  why = fmt::format("no checkpoint of group {} on all {} partitions within {} s", o.canary_group, o.partitions,
                    limit.count() / 1000);
  return false;
}

std::vector<std::string> mirror_command(const DrillOptions& o, const std::string& state, int64_t drill_id) {
  std::vector<std::string> argv = {o.mirror_binary.empty() ? process::own_directory() + "/dr-mirror" : o.mirror_binary,
                                   "--consumer.config", o.primary_config, "--producer.config", o.standby_config,
                                   "--whitelist", anchored(o.canary_topic), "--groups", anchored(o.canary_group),
                                   "--state", state, "--source-alias", "primary", "--target-alias", "standby",
                                   "--checkpoint-interval-ms", "1000", "--offset.commit.interval.ms", "500",
                                   "--topic-refresh-ms", "1000", "--instance-id", fmt::format("kafka-dr-drill-{}", drill_id),
                                   "-X", "source.group.id=" + mirror_group(o, drill_id),
                                   // its static member must expire quickly after the SIGKILL, so clean-up can delete the group
                                   "-X", "source.session.timeout.ms=6000"};
  for (const auto& x : o.overrides) {
    if (x.rfind("primary.", 0) == 0) argv.insert(argv.end(), {"-X", "source." + x.substr(8)});
    else if (x.rfind("standby.", 0) == 0) argv.insert(argv.end(), {"-X", "target." + x.substr(8)});
  }
  return argv;
}

}  // namespace

std::string mirror_group(const DrillOptions& o, int64_t drill_id) {
  return fmt::format("{}.mirror-{}", o.canary_topic, drill_id);
}

DrillReport run_canary_drill(const DrillOptions& o) {
  check_options(o);
  DrillReport report = start_report(o);
  report.scope = "canary";
  report.canary_topic = o.canary_topic;
  report.canary_group = o.canary_group;
  report.partitions = o.partitions;
  report.rate_per_s = o.rate_per_s;

  // Everything that can refuse happens before anything is created.
  auto [primary, standby] = load_clusters(o, report);
  auto history = store::StateStore::open(o.state_path);
  check_canary_free(history, primary, standby, o);
  report.production = production_lag(history, primary);

  fs::create_directories(o.work_dir);
  const std::string canary_state = (fs::path(o.work_dir) / "canary-state.db").string();
  const std::string mirror_log = (fs::path(o.work_dir) / "canary-mirror.log").string();
  if (fs::exists(canary_state)) {
    throw_refused("the work directory already holds a drill (canary-state.db): give each drill a directory of its own",
                  {.file = canary_state, .flag = "--work-dir"});
  }
  store::DrillRow row;
  row.started_ms = report.started_ms;
  row.scope = "canary";
  row.scenario = "canary: dr-mirror killed with SIGKILL, dr-failover --at the disaster, consumer resumes on the standby";
  row.os_user = report.os_user;
  row.host = report.host;
  row.pid = getpid();
  row.primary_cluster_id = primary.id;
  row.standby_cluster_id = standby.id;
  row.canary_topic = o.canary_topic;
  row.report_dir = fs::absolute(o.work_dir).string();
  report.id = row.id = store::begin_drill(history, row);
  const std::string drill_id = std::to_string(report.id);
  log::info("drill #{}: primary {} -> standby {}, canary topic {}, work directory {}", report.id, primary.id, standby.id,
            o.canary_topic, row.report_dir);

  StepLog steps(report);
  const milliseconds timeout(o.timeout_ms);
  CanaryProducer producer(primary.producer, o.canary_topic, o.partitions, o.rate_per_s, drill_id);
  CanaryConsumer on_primary(primary.consumer, "primary (canary consumer)", o.canary_topic, o.canary_group, 500);
  CanaryConsumer on_standby(standby.consumer, "standby (canary consumer)", o.canary_topic, o.canary_group, 500);
  std::vector<CanaryConsumer*> consumers = {&on_primary, nullptr};
  std::unique_ptr<process::Child> mirror;
  std::unique_ptr<Sampler> sampler;
  CanaryObservations seen;
  seen.partitions = o.partitions;

  [&] {
    steps.begin("setup", "canary topic, producer, consumer group and dr-mirror started");
    if (stop_requested()) return steps.fail(interrupted());
    try {
      kafka::Admin admin(primary.admin, "primary");
      admin.create_topic(o.canary_topic, o.partitions, -1, {{"retention.ms", "86400000"}}, timeout);
      mirror = std::make_unique<process::Child>(mirror_command(o, canary_state, report.id), mirror_log);
      producer.start();
      on_primary.start();
      sampler = std::make_unique<Sampler>(primary, standby, o, producer, consumers);
      steps.end(fmt::format("topic {} ({} partitions), {} records/s, dr-mirror pid {} (log {})", o.canary_topic, o.partitions,
                            o.rate_per_s, mirror->pid(), mirror_log));
    } catch (const std::exception& e) {
      return steps.fail(e.what());
    }

    steps.begin("warmup", "mirroring and checkpointing the canary group");
    std::string why;
    if (!wait_for_checkpoint(canary_state, o, *mirror, milliseconds(o.warmup_ms) + timeout, why)) {
      return steps.fail(why + "\n" + log_tail(mirror_log, 10));
    }
    const auto warm_until = std::chrono::steady_clock::now() +
                            milliseconds(std::max<int64_t>(0, o.warmup_ms - (now_ms() - report.steps.back().started_ms)));
    if (!sleep_until_or_stop(warm_until)) return steps.fail(interrupted());
    if (!producer.error().empty() || !on_primary.error().empty() || mirror->exited()) {
      return steps.fail(fmt::format("during the warm-up: {}{}{}", producer.error(), on_primary.error(),
                                    mirror->exited() ? "the canary dr-mirror exited:\n" + log_tail(mirror_log, 10) : ""));
    }
    // A real consumer is a little behind when disaster strikes: records it had not read yet must
    // not be lost by the failover. The canary consumer stops reading (without a final commit)
    // kConsumerBehindMs before the disaster; the producer and the mirror go on.
    on_primary.stop();
    if (!sleep_until_or_stop(std::chrono::steady_clock::now() + milliseconds(kConsumerBehindMs))) return steps.fail(interrupted());
    if (o.fault == "mirror-lag") {
      // Test hook: the mirror stalls (SIGSTOP) for longer than the RPO objective before the disaster.
      mirror->signal(SIGSTOP);
      if (!sleep_until_or_stop(std::chrono::steady_clock::now() + milliseconds(o.objectives.rpo_ms + 2000))) {
        return steps.fail(interrupted());
      }
    }
    steps.end(fmt::format("{} records produced, {} read on the primary", producer.acknowledged(), on_primary.count()));

    steps.begin("disaster", "disaster: the canary dr-mirror killed (SIGKILL)");
    report.disaster_ms = seen.disaster_ms = now_ms();
    mirror->signal(SIGKILL);
    mirror->wait(5s);
    steps.end(fmt::format("at {}; the producer keeps writing to the primary", translate::format_time(report.disaster_ms)));

    failover::FailoverOptions fo;
    fo.state_path = canary_state;
    fo.target_config = o.standby_config;
    fo.overrides = standby.overrides;
    fo.at = translate::format_time(report.disaster_ms);
    fo.groups = anchored(o.canary_group);
    fo.timeout_ms = o.timeout_ms;
    fo.command_line = {"dr-drill", "run", "(failover of the canary group, drill #" + drill_id + ")"};
    steps.begin("plan", "failover plan ready (dr-failover --at the disaster, dry run)");
    if (stop_requested()) return steps.fail(interrupted());
    failover::FailoverReport plan;
    try {
      plan = failover::run_failover(fo);
    } catch (const std::exception& e) {
      return steps.fail(e.what());
    }
    report.rto_plan_ms = now_ms() - report.disaster_ms;
    steps.end(plan.summary);

    steps.begin("commit", "offsets committed on the standby (dr-failover --execute)");
    if (stop_requested()) return steps.fail(interrupted());
    std::unique_ptr<kafka::Consumer> squatter;
    if (o.fault == "standby-busy") squatter = occupy_group(standby, o);
    fo.execute = true;
    failover::FailoverReport done;
    try {
      done = failover::run_failover(fo);
    } catch (const std::exception& e) {
      return steps.fail(e.what());
    }
    squatter.reset();
    bool verified = false;
    std::string group_detail;
    for (const auto& g : done.groups) {
      if (g.group != o.canary_group) continue;
      verified = g.status == failover::GroupStatus::verified;
      group_detail = fmt::format("group {}: {}{}{}", g.group, failover::to_string(g.status), g.detail.empty() ? "" : ": ", g.detail);
      for (const auto& p : g.partitions) {
        seen.plan.push_back({p.partition, p.checkpoint_offset, p.chosen, p.basis,
                             translate::to_string(p.translated.precision), p.expected_duplicates});
      }
    }
    if (!verified) return steps.fail("the standby did not take the canary group's offsets: " + group_detail);
    report.rto_commit_ms = now_ms() - report.disaster_ms;
    steps.end(group_detail);

    // What reached the standby: read before the canary group reads there (and before a test deletes).
    std::vector<int64_t> standby_ends(static_cast<size_t>(o.partitions), 0);
    steps.begin("first_record", "first canary record consumed on the standby");
    try {
      kafka::Admin admin(standby.admin, "standby");
      for (int32_t p = 0; p < o.partitions; ++p) standby_ends[static_cast<size_t>(p)] = admin.watermarks(o.canary_topic, p, timeout).high;
      auto scan = [&] { seen.standby = scan_canary(standby.consumer, "standby", o.canary_topic, o.partitions, timeout); };
      if (o.fault == "delete-on-standby") {
        scan();
        seen.read_primary = on_primary.reads();
        delete_on_standby(admin, seen, standby_ends, o);
        consumers[1] = &on_standby;
        on_standby.start(standby_ends);
      } else {
        consumers[1] = &on_standby;
        on_standby.start(standby_ends);
        scan();
      }
    } catch (const std::exception& e) {
      return steps.fail(e.what());
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!on_standby.first_read_ms() && !on_standby.finished() && std::chrono::steady_clock::now() < deadline &&
           !stop_requested()) {
      std::this_thread::sleep_for(10ms);
    }
    if (auto first = on_standby.first_read_ms()) {
      report.rto_first_record_ms = report.rto_ms = *first - report.disaster_ms;
      steps.end();
    } else if (stop_requested()) {
      return steps.fail(interrupted());
    } else {
      return steps.fail(on_standby.error().empty() ? fmt::format("nothing read within {} ms", o.timeout_ms) : on_standby.error());
    }

    steps.begin("caught_up", "the canary group read everything that reached the standby");
    while (!on_standby.finished() && std::chrono::steady_clock::now() < deadline + timeout && !stop_requested()) {
      std::this_thread::sleep_for(20ms);
    }
    if (!on_standby.finished()) {
      on_standby.stop();
      if (stop_requested()) return steps.fail(interrupted());
      return steps.fail(fmt::format("the standby's end offsets were not reached within {} ms", 2 * o.timeout_ms));
    }
    if (!on_standby.error().empty()) return steps.fail(on_standby.error());
    steps.end(fmt::format("{} records read on the standby", on_standby.count()));
  }();

  // Measure whatever happened, then clean up.
  producer.stop();
  on_primary.stop();
  on_standby.stop();
  if (sampler) report.samples = sampler->samples();
  if (mirror) mirror->signal(SIGKILL);
  seen.read_primary = on_primary.reads();
  seen.read_standby = on_standby.reads();
  if (report.disaster_ms > 0) {
    steps.begin("verify", "canary records read back from the primary");
    try {
      seen.primary = scan_canary(primary.consumer, "primary", o.canary_topic, o.partitions, timeout);
      steps.end(fmt::format("{} records on the primary, {} had reached the standby", seen.primary.size(), seen.standby.size()));
    } catch (const std::exception& e) {
      steps.fail(e.what());
    }
    analyse_canary(seen, report);
  }
  steps.begin("cleanup", o.keep ? "canary left in place (--keep)" : "canary topic and groups deleted");
  report.notes = clean_up(primary, standby, o, report.id);
  steps.end();
  decide_verdict(report);
  report.finished_ms = now_ms();
  record_outcome(history, row, report, o);
  return report;
}

}  // namespace dr::drill
