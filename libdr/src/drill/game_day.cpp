// The game day (dr-drill run --scope groups): a real failover of production groups, measured. See
// run_groups_drill in dr/drill/drill.hpp for the scenario.
#include <signal.h>
#include <unistd.h>

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
#include "dr/kafka/command_line.hpp"
#include "dr/log.hpp"
#include "dr/resync/record_range.hpp"
#include "dr/stop.hpp"
#include "dr/store/links.hpp"
#include "dr/store/mirror_state.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/translate/time_input.hpp"
#include "dr/translate/translate.hpp"
#include "dr/who.hpp"
#include "drill/drill_internal.hpp"

namespace dr::drill {
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

void check_game_day_options(const DrillOptions& o) {
  if (o.groups.empty()) throw_bad_input("a game day fails over real groups: say which (a regex)", {.flag = "--groups"});
  try {
    std::regex check(o.groups);
  } catch (const std::regex_error& e) {
    throw_bad_input(fmt::format("'{}' is not a valid regex: {}", o.groups, e.what()), {.flag = "--groups"});
  }
  if (o.mode != "planned" && o.mode != "unplanned") {
    throw_bad_input(fmt::format("'{}': a game day is planned (a switchover) or unplanned (the mirror killed)", o.mode),
                    {.flag = "--mode"});
  }
  if (o.quiet_period_ms < 0) throw_bad_input("a quiet period is 0 s or more", {.flag = "--quiet-period"});
  if (o.execute && o.confirm.empty()) {
    throw_bad_input("a game day really fails the groups over: type the standby's cluster id back with --confirm "
                    "(run without --execute to see it and the plan)",
                    {.flag = "--confirm"});
  }
}

// The link from primary to standby in the state file (by name when given); refused unless active.
store::Link find_link(store::StateStore& state, const Cluster& primary, const Cluster& standby, const DrillOptions& o) {
  std::vector<store::Link> found;
  for (auto& l : store::list_links(state)) {
    if (!o.link.empty() && l.name != o.link) continue;
    if (l.source_cluster_id == primary.id && l.target_cluster_id == standby.id) found.push_back(std::move(l));
  }
  if (found.empty()) {
    throw_refused(fmt::format("the state file has no link{} from the primary ({}) to the standby ({}): a game day fails "
                              "over a link dr-mirror runs with this state file",
                              o.link.empty() ? "" : " named " + o.link, primary.id, standby.id),
                  {.file = state.path(), .flag = o.link.empty() ? "" : "--link"});
  }
  if (found.size() > 1) {
    throw_bad_input(fmt::format("{} links join these clusters: name one with --link", found.size()), {.flag = "--link"});
  }
  if (found[0].state != store::LinkState::active) {
    throw_refused(fmt::format("link {} is {} ({}): a game day starts from an active link", found[0].name,
                              store::to_string(found[0].state), found[0].state_reason),
                  {.file = state.path()});
  }
  return found[0];
}

// Is `pid` a live dr-mirror? (/proc/<pid>/stat: "pid (comm) state ..."; a zombie is dead.)
bool is_running_mirror(int64_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat;
  std::getline(in, stat);
  const auto open = stat.find('('), close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close + 2 >= stat.size()) return false;
  return stat.substr(open + 1, close - open - 1) == "dr-mirror" && stat[close + 2] != 'Z' && stat[close + 2] != 'X';
}

// The link's dr-mirror processes running on this host (from the state file's heartbeats, checked
// against /proc so a reused pid is not taken for a mirror).
std::vector<int64_t> running_mirrors(store::StateStore& state, const store::Link& link) {
  std::vector<int64_t> pids;
  for (const auto& m : store::list_instances(state, link.id)) {
    if (m.host != host_name() || m.status == "stopped" || m.status == "failed" || m.pid <= 0) continue;
    if (is_running_mirror(m.pid)) pids.push_back(m.pid);
  }
  return pids;
}

failover::FailoverOptions failover_options(const DrillOptions& o, const Cluster& standby, const store::Link& link,
                                           int64_t drill_id) {
  failover::FailoverOptions fo;
  fo.state_path = o.state_path;
  fo.link = link.name;
  fo.target_config = o.standby_config;
  fo.overrides = standby.overrides;
  fo.groups = o.groups;
  fo.timeout_ms = o.timeout_ms;
  fo.command_line = {"dr-drill", "run", "--scope", "groups",
                     drill_id > 0 ? fmt::format("(game day, drill #{})", drill_id) : "(game day, dry run)"};
  if (o.mode == "planned") {
    fo.planned = true;
    fo.source_config = o.primary_config;
    fo.quiet_period_ms = o.quiet_period_ms;
  }
  return fo;
}

// RPO at the disaster: the records on the primary beyond the mapping, and the oldest one's age.
void measure_rpo(store::StateStore& state, const store::Link& link, const Cluster& primary, const DrillOptions& o,
                 DrillReport& report) {
  const milliseconds timeout(o.timeout_ms);
  kafka::Admin admin(primary.admin, "primary");
  int64_t oldest = -1;
  for (const auto& p : link_lag(state, link.id, admin, timeout)) {
    if (p.lag() == 0) continue;
    report.rpo_records += p.lag();
    resync::read_range(primary.consumer, "primary", p.topic, p.partition, p.mapped_end, p.end, timeout,
                       [&](const kafka::Record& r) {
                         if (oldest < 0 || r.timestamp_ms < oldest) oldest = r.timestamp_ms;
                         return false;  // the first unmirrored record is the oldest of its partition
                       });
    report.notes.push_back(fmt::format("not on the standby at the disaster: {} partition {}, source offsets {} to {}",
                                       p.topic, p.partition, p.mapped_end, p.end - 1));
  }
  report.rpo_ms = oldest < 0 ? 0 : std::max<int64_t>(0, report.disaster_ms - oldest);
}

// What dr-failover planned for one partition of a group.
PartitionResult planned_partition(const failover::GroupPlan& g, const failover::PartitionPlan& p) {
  PartitionResult pr;
  pr.group = g.group;
  pr.topic = p.source_topic;
  pr.partition = p.partition;
  pr.checkpoint_offset = p.checkpoint_offset;
  pr.chosen_offset = p.chosen;
  pr.basis = p.basis;
  pr.precision = translate::to_string(p.translated.precision);
  pr.plan_duplicates = p.expected_duplicates;
  return pr;
}

// Per group and partition moved: the standby's committed offset (read back) against the exact
// translation of the group's committed offset on the primary. Below it: records read twice; above
// it: records the group would skip (lost).
void analyse_groups(store::StateStore& state, const store::Link& link, const failover::FailoverReport& done,
                    const Cluster& primary, const Cluster& standby, const DrillOptions& o, DrillReport& report) {
  const milliseconds timeout(o.timeout_ms);
  kafka::Admin p_admin(primary.admin, "primary");
  kafka::Admin s_admin(standby.admin, "standby");
  for (const auto& g : done.groups) {
    if (g.partitions.empty()) continue;
    std::map<std::pair<std::string, int32_t>, int64_t> on_primary, on_standby;
    for (const auto& x : p_admin.list_group_offsets(g.group, timeout)) on_primary[{x.topic, x.partition}] = x.offset;
    for (const auto& x : s_admin.list_group_offsets(g.group, timeout)) on_standby[{x.topic, x.partition}] = x.offset;
    for (const auto& p : g.partitions) {
      PartitionResult pr = planned_partition(g, p);
      const auto rows = store::load_segments(state, link.id, p.source_topic, p.partition);
      const auto committed = on_primary.find({p.source_topic, p.partition});
      pr.source_committed = committed == on_primary.end() ? p.checkpoint_offset : committed->second;
      pr.exact_offset = translate::translate_offset(rows, SourceOffset(pr.source_committed)).target.value();
      // Read since the last checkpoint: the checkpoint's age.
      pr.checkpoint_age_duplicates = std::max<int64_t>(0, pr.exact_offset - p.translated.target.value());
      const auto back = on_standby.find({p.target_topic, p.partition});
      pr.standby_committed = back == on_standby.end() ? -1 : back->second;
      if (pr.standby_committed < 0) {
        report.reasons.push_back(fmt::format("group {} has no committed offset on the standby for {} partition {}", g.group,
                                             p.target_topic, p.partition));
      } else {
        pr.duplicates = std::max<int64_t>(0, pr.exact_offset - pr.standby_committed);
        // Listed up to 100 per partition; counted in full.
        for (int64_t off = pr.exact_offset; off < std::min(pr.standby_committed, pr.exact_offset + 100); ++off) {
          pr.lost.push_back({off, -1});
        }
        report.lost += std::max<int64_t>(0, pr.standby_committed - pr.exact_offset);
      }
      report.duplicates += pr.duplicates;
      report.expected_duplicates += pr.plan_duplicates + pr.checkpoint_age_duplicates;
      report.partition_results.push_back(std::move(pr));
    }
  }
}

}  // namespace

DrillReport run_groups_drill(const DrillOptions& o) {
  check_options(o);
  check_game_day_options(o);
  DrillReport report = start_report(o);
  report.scope = "groups";
  report.mode = o.mode;
  report.groups = o.groups;
  report.dry_run = !o.execute;
  if (report.dry_run) report.report_dir.clear();

  // Everything that can refuse happens before anything changes.
  auto [primary, standby] = load_clusters(o, report);
  if (o.execute && o.confirm != standby.id) {
    throw_refused(fmt::format("--confirm {} is not the standby's cluster id ({}): nothing was changed", o.confirm, standby.id),
                  {.flag = "--confirm"});
  }
  // A dry run only reads the state file (no migration, no history row).
  auto state = store::StateStore::open(
      o.state_path, {.create_if_missing = false, .access = o.execute ? store::Access::read_write : store::Access::read_only});
  const store::Link link = find_link(state, primary, standby, o);
  report.link = link.name;
  const std::vector<int64_t> mirrors = running_mirrors(state, link);
  if (o.mode == "unplanned" && mirrors.empty()) {
    throw_refused(fmt::format("an unplanned game day kills link {}'s dr-mirror, and none runs on this host ({}): run the "
                              "game day where the mirror runs",
                              link.name, host_name()),
                  {.file = state.path()});
  }
  report.production = production_lag(state, primary);

  if (!o.execute) {
    // The plan only: what dr-failover would do now. Nothing is written; no history row.
    auto fo = failover_options(o, standby, link, 0);
    if (o.mode == "unplanned") fo.at = translate::format_time(now_ms());
    const auto plan = failover::run_failover(fo);
    report.steps.push_back({"plan", "failover plan (dry run)", report.started_ms, now_ms(), true, plan.summary});
    for (const auto& g : plan.groups) {
      for (const auto& p : g.partitions) report.partition_results.push_back(planned_partition(g, p));
    }
    report.notes.push_back(fmt::format("dry run: nothing was changed. To run the game day: add --execute --confirm {}",
                                       standby.id));
    if (o.mode == "unplanned") {
      report.notes.push_back(fmt::format("--execute kills link {}'s dr-mirror on this host with SIGKILL (pid {})", link.name,
                                         fmt::join(mirrors, ", ")));
    }
    report.passed = true;
    report.finished_ms = now_ms();
    return report;
  }

  if (fs::exists(fs::path(o.work_dir) / "report.json")) {
    throw_refused("the work directory already holds a drill's report: give each drill a directory of its own",
                  {.file = o.work_dir, .flag = "--work-dir"});
  }
  fs::create_directories(o.work_dir);
  store::DrillRow row;
  row.started_ms = report.started_ms;
  row.scope = "groups";
  row.scenario = fmt::format("game day ({}): groups {} over link {}", o.mode, o.groups, link.name);
  row.os_user = report.os_user;
  row.host = report.host;
  row.pid = getpid();
  row.primary_cluster_id = primary.id;
  row.standby_cluster_id = standby.id;
  row.report_dir = fs::absolute(o.work_dir).string();
  report.id = row.id = store::begin_drill(state, row);
  log::info("drill #{} (game day, {}): groups {} over link {}, work directory {}", report.id, o.mode, o.groups, link.name,
            row.report_dir);

  StepLog steps(report);
  auto fo = failover_options(o, standby, link, report.id);
  failover::FailoverReport done;
  [&] {
    if (o.mode == "unplanned") {
      steps.begin("disaster", "disaster: the link's dr-mirror killed (SIGKILL)");
      if (stop_requested()) return steps.fail(fmt::format("interrupted by {}: nothing was changed", stop_reason()));
      report.disaster_ms = now_ms();
      for (const int64_t pid : mirrors) ::kill(static_cast<pid_t>(pid), SIGKILL);
      const auto deadline = std::chrono::steady_clock::now() + 10s;
      auto alive = [&] {
        for (const int64_t pid : mirrors)
          if (is_running_mirror(pid)) return true;
        return false;
      };
      while (alive() && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
      if (alive()) return steps.fail("the link's dr-mirror still runs 10 s after SIGKILL");
      try {
        measure_rpo(state, link, primary, o, report);
      } catch (const std::exception& e) {
        return steps.fail(std::string("the RPO could not be measured: ") + e.what());
      }
      steps.end(fmt::format("at {}; dr-mirror pid {} killed", translate::format_time(report.disaster_ms), fmt::join(mirrors, ", ")));
      fo.at = translate::format_time(report.disaster_ms);
    } else {
      steps.begin("disaster", "switchover started (producers and the groups' consumers stopped)");
      report.disaster_ms = now_ms();
      steps.end(fmt::format("at {}; the primary stays up", translate::format_time(report.disaster_ms)));
    }

    steps.begin("plan", o.mode == "planned" ? "failover plan ready (dr-failover --planned, dry run)"
                                            : "failover plan ready (dr-failover --at the disaster, dry run)");
    if (stop_requested()) return steps.fail(fmt::format("interrupted by {}: nothing was changed", stop_reason()));
    try {
      steps.end(failover::run_failover(fo).summary);
    } catch (const std::exception& e) {
      return steps.fail(e.what());
    }
    report.rto_plan_ms = now_ms() - report.disaster_ms;

    steps.begin("commit", "offsets committed on the standby (dr-failover --execute)");
    if (stop_requested()) return steps.fail(fmt::format("interrupted by {}: the link was not fenced", stop_reason()));
    fo.execute = true;
    try {
      done = failover::run_failover(fo);
    } catch (const std::exception& e) {
      return steps.fail(e.what());
    }
    std::string not_moved;
    for (const auto& g : done.groups) {
      if (g.status != failover::GroupStatus::verified) {
        not_moved += fmt::format("{}group {}: {}{}{}", not_moved.empty() ? "" : "; ", g.group, failover::to_string(g.status),
                                 g.detail.empty() ? "" : ": ", g.detail);
      }
    }
    if (!not_moved.empty()) return steps.fail("not every group moved: " + not_moved);
    report.rto_commit_ms = report.rto_ms = now_ms() - report.disaster_ms;
    steps.end(done.summary);

    steps.begin("verify", "committed offsets read back and compared with the exact translation");
    try {
      if (o.mode == "planned") measure_rpo(state, link, primary, o, report);
      analyse_groups(state, link, done, primary, standby, o, report);
      steps.end(fmt::format("{} partition(s) of {} group(s)", report.partition_results.size(), done.groups.size()));
    } catch (const std::exception& e) {
      steps.fail(e.what());
    }
  }();

  if (!done.groups.empty()) {
    report.notes.push_back(fmt::format("link {} is now failed over (fenced): the groups resume on the standby when their "
                                       "consumers start there. To move back: runbooks/failback.md (dr-resync)",
                                       link.name));
  } else {
    report.notes.push_back(fmt::format("link {} was not failed over{}", link.name,
                                       o.mode == "unplanned" && report.disaster_ms > 0 ? " (its dr-mirror was killed: restart it)" : ""));
  }
  decide_verdict(report);
  report.finished_ms = now_ms();
  record_outcome(state, row, report, o);
  return report;
}

}  // namespace dr::drill
