// dr-resync: checks, then plan (dry run) or execute; see dr/resync/resync.hpp.
#include "dr/resync/resync.hpp"

#include <regex>

#include <fmt/format.h>

#include "dr/error.hpp"
#include "dr/log.hpp"
#include "dr/store/resync_state.hpp"
#include "dr/translate/translator.hpp"
#include "resync/context.hpp"

namespace dr::resync {

namespace {

using Clock = std::chrono::steady_clock;

void load_configs(const ResyncOptions& o, detail::Cluster& old_primary, detail::Cluster& new_primary) {
  auto load = [](detail::Cluster& c, const std::string& file, const char* flag) {
    if (file.empty()) throw_bad_input("required", {.flag = flag});
    c.config_file = file;
    c.admin_config.apply_file(file);
    c.consumer_config.apply_file(file);
  };
  load(old_primary, o.old_primary_config, "--old-primary-config");
  load(new_primary, o.new_primary_config, "--new-primary-config");
  for (const std::string& x : o.overrides) {
    detail::Cluster* c = x.rfind("old.", 0) == 0 ? &old_primary : x.rfind("new.", 0) == 0 ? &new_primary : nullptr;
    if (!c) {
      throw_bad_input(fmt::format("'{}...' is neither old.KEY=VALUE (the old primary) nor new.KEY=VALUE (the new primary)",
                                  x.substr(0, x.find('='))),
                      {.flag = "-X"});
    }
    c->admin_config.apply_override(x.substr(4));
    c->consumer_config.apply_override(x.substr(4));
  }
  for (detail::Cluster* c : {&old_primary, &new_primary}) {
    if (!c->admin_config.get("bootstrap.servers")) throw_bad_input("bootstrap.servers is required", {.file = c->config_file});
    c->admin_config.check();
    c->consumer_config.check();
  }
}

store::Link find_forward_link(store::StateStore& store, const std::string& name) {
  if (!name.empty()) return translate::resolve_link(store, name);
  std::vector<store::Link> candidates;
  for (const store::Link& l : store::list_links(store)) {
    if (l.state == store::LinkState::failed_over || store::unfinished_resync(store, l.id)) candidates.push_back(l);
  }
  if (candidates.size() == 1) return candidates.front();
  std::string names;
  for (const store::Link& l : store::list_links(store)) names += fmt::format(" {} ({})", l.name, store::to_string(l.state));
  throw_bad_input(fmt::format("{}: name the failed-over link with --link; the state file has:{}",
                              candidates.empty() ? "no failed-over link" : "several failed-over links",
                              names.empty() ? " no links" : names),
                  {.file = store.path(), .flag = "--link"});
}

void connect(detail::Cluster& c, const std::string& expected_id, const char* role, const char* flag,
             std::chrono::milliseconds timeout) {
  c.admin = std::make_unique<kafka::Admin>(c.admin_config, fmt::format("{} '{}'", role, c.alias));
  const std::string id = c.admin->cluster_id(timeout);
  if (id != expected_id) {
    throw_refused(fmt::format("{} points at cluster {}, but the link's {} is cluster {} ('{}'): wrong config, nothing done",
                              c.config_file, id, role, expected_id, c.alias),
                  {.file = c.config_file, .flag = flag, .cluster = id});
  }
  c.cluster_id = id;
}

}  // namespace

ResyncReport run_resync(const ResyncOptions& o) {
  const auto started = Clock::now();
  // Every input is checked before a cluster is contacted.
  if (o.timeout_ms <= 0) throw_bad_input("a timeout is 1 ms or more", {.flag = "--timeout-ms"});
  if (o.quiet_period_ms < 0) throw_bad_input("a quiet period is 0 s or more", {.flag = "--quiet-period"});
  try {
    std::regex check(o.topics);
  } catch (const std::regex_error& e) {
    throw_bad_input(fmt::format("'{}' is not a valid regex: {}", o.topics, e.what()), {.flag = "--topics"});
  }
  if (!o.confirm.empty() && !o.execute) throw_bad_input("--confirm goes with --execute", {.flag = "--confirm"});
  if (o.mirror && !o.execute) throw_bad_input("--mirror goes with --execute", {.flag = "--mirror"});
  if (o.discard_diverged && !o.save_dir.empty()) {
    throw_bad_input("--discard-diverged and --save-dir exclude each other", {.flag = "--discard-diverged"});
  }
  detail::Cluster old_primary, new_primary;
  load_configs(o, old_primary, new_primary);

  // A dry run only reads the state file.
  auto store = store::StateStore::open(
      o.state_path, {.create_if_missing = false, .access = o.execute ? store::Access::read_write : store::Access::read_only});
  store::Link forward = find_forward_link(store, o.link);
  const auto unfinished = store::unfinished_resync(store, forward.id);
  if (!unfinished) {
    if (forward.state == store::LinkState::active) {
      throw_refused(fmt::format("link {} is active (not failed over): its source is still the primary. dr-resync follows "
                                "dr-failover; to move home on purpose, use dr-failover --planned",
                                forward.name),
                    {.file = o.state_path, .flag = "--link"});
    }
    if (forward.state == store::LinkState::retired) {
      throw_refused(fmt::format("link {} is retired ({}): it was resynced already", forward.name, forward.state_reason),
                    {.file = o.state_path, .flag = "--link"});
    }
  }
  if (forward.rename_template != "{topic}") {
    throw_refused(fmt::format("link {} renames topics ('{}'): the reverse link cannot give them their names back; dr-resync "
                              "supports links that keep topic names",
                              forward.name, forward.rename_template),
                  {.file = o.state_path, .flag = "--link"});
  }
  if (o.execute && o.confirm != forward.source_cluster_id) {
    throw_refused(fmt::format("--execute deletes records on the old primary: type its cluster id back with --confirm {} "
                              "(cluster '{}'){}",
                              forward.source_cluster_id, forward.source_alias,
                              o.confirm.empty() ? std::string() : fmt::format("; '{}' is not it", o.confirm)),
                  {.flag = "--confirm"});
  }
  old_primary.alias = forward.source_alias;
  new_primary.alias = forward.target_alias;
  const auto timeout = std::chrono::milliseconds(o.timeout_ms);
  connect(old_primary, forward.source_cluster_id, "old primary", "--old-primary-config", timeout);
  connect(new_primary, forward.target_cluster_id, "new primary", "--new-primary-config", timeout);

  detail::Context ctx{o, timeout, std::move(store), forward, std::move(old_primary), std::move(new_primary)};
  ResyncReport report;
  report.link = forward.name;
  report.reverse_link = forward.target_alias + "->" + forward.source_alias;
  report.old_primary_cluster_id = forward.source_cluster_id;
  report.new_primary_cluster_id = forward.target_cluster_id;
  report.old_alias = forward.source_alias;
  report.new_alias = forward.target_alias;
  report.mirror_group = !o.mirror_group.empty() ? o.mirror_group
                                                : "kafka-dr-mirror." + forward.target_alias + "-to-" + forward.source_alias;
  report.save_dir = o.save_dir;

  if (unfinished) {
    // Finish what a stopped run started, with the plan it recorded: after a delete, a new plan
    // would no longer see what diverged.
    ResyncReport recorded = report_from_json(unfinished->plan);
    recorded.resumed = true;
    recorded.resync_id = unfinished->id;
    for (const store::ResyncPartition& p : store::load_resync_plan(ctx.store, unfinished->id)) {
      for (PartitionPlan& q : recorded.partitions) {
        if (q.topic == p.topic && q.partition == p.partition) q.step = store::to_string(p.step);
      }
    }
    if (!o.save_dir.empty() && !recorded.save_dir.empty() && o.save_dir != recorded.save_dir) {
      throw_refused(fmt::format("resync #{} is unfinished and saves into {}; run it again with --save-dir {}", unfinished->id,
                                recorded.save_dir, recorded.save_dir),
                    {.flag = "--save-dir"});
    }
    report = std::move(recorded);
    if (!o.execute) {
      report.warnings.push_back(fmt::format("resync #{} started {} by {} on {} did not finish: run with --execute to finish "
                                            "it (its recorded plan is shown)",
                                            unfinished->id, unfinished->started_ms, unfinished->os_user, unfinished->host));
    } else {
      detail::check_old_primary_quiet(ctx, report);
      detail::execute_plan(ctx, report);
    }
  } else {
    detail::check_old_primary_quiet(ctx, report);
    detail::make_plan(ctx, report);
    if (o.execute) detail::execute_plan(ctx, report);
  }
  if (o.mirror && report.outcome == "done") detail::run_reverse_mirror(ctx, report);
  report.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  return report;
}

}  // namespace dr::resync
