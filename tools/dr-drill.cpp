// dr-drill: a failover drill as one command, and its history.
#include <cstdlib>
#include <filesystem>


#include "dr/clock.hpp"
#include "dr/drill/analysis.hpp"
#include "dr/drill/drill.hpp"
#include "dr/drill/history.hpp"
#include "dr/kafka/command_line.hpp"
#include "dr/stop.hpp"
#include "dr/store/state_store.hpp"
#include "dr/translate/time_input.hpp"
#include "tool_main.hpp"

#ifndef DR_DEFAULT_CLUSTERS_SCRIPT
#define DR_DEFAULT_CLUSTERS_SCRIPT "scripts/kafka-clusters"
#endif

namespace {

std::string default_work_dir() {
  std::string t = dr::translate::format_time(dr::now_ms()).substr(0, 19);  // 2026-11-22T10:15:00
  std::erase(t, '-');
  std::erase(t, ':');
  return "dr-drill-" + t + "Z";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Rehearse a failover and measure it: RPO (records and seconds the standby was behind at the disaster), RTO by "
      "step (disaster -> failover plan ready -> offsets committed -> first record consumed on the standby), records "
      "lost (must be 0) and read twice (against dr-failover's plan), with a pass/fail verdict against your objectives, "
      "a report (Markdown, JSON, HTML with charts) and a history in the state file.\n\n"
      "The canary drill is safe on production: it creates its own canary topic on the primary, a producer, a consumer "
      "group and a dr-mirror of its own (own state file, in the work directory). At the disaster moment it kills that "
      "mirror with SIGKILL while the producer still writes, runs dr-failover --at the disaster for the canary group, and "
      "the canary consumer resumes on the standby. Your topics, groups and mirrors are only read. Afterwards the canary "
      "topic and groups are deleted (unless --keep). SIGINT or SIGTERM stops a drill early: it still cleans up and is "
      "recorded as failed (a second signal ends dr-drill at once; its canary dr-mirror dies with it).\n\n"
      "The game day (--scope groups, for a maintenance window) fails real groups over the production link of the state "
      "file and measures it: --mode planned is dr-failover --planned (stop the producers and the groups' consumers "
      "first: nothing lost, nothing read twice); --mode unplanned kills the link's dr-mirror on this host with SIGKILL "
      "and runs dr-failover --at that moment. Without --execute it only shows the plan; with it, type the standby's "
      "cluster id back with --confirm. Afterwards the link is failed over: fail back with dr-resync "
      "(runbooks/game-day.md).\n\n"
      "Examples:\n"
      "  dr-drill run --local                      # two throwaway clusters on this machine: the rehearsal\n"
      "  dr-drill run --primary-config primary.properties --standby-config standby.properties \\\n"
      "               --state /var/lib/kafka-dr/dr-state.db --rpo-objective 30s --rto-objective 5m\n"
      "  dr-drill run --scope groups --groups '^orders-' --mode planned --primary-config primary.properties \\\n"
      "               --standby-config standby.properties --state /var/lib/kafka-dr/dr-state.db   # the plan\n"
      "  dr-drill history --state /var/lib/kafka-dr/dr-state.db\n",
      "dr-drill"};
  app.require_subcommand(1);
  std::string log_level;
  dr::tools::add_log_level(app, log_level);

  dr::drill::DrillOptions o;
  std::string format = "text", warmup = "15s", rpo = "30s", rto = "5m";
  std::string clusters_script = DR_DEFAULT_CLUSTERS_SCRIPT;
  bool local = false;
  CLI::App* run = app.add_subcommand("run", "Run a drill now");
  std::string quiet = "10s";
  run->add_option("--scope", o.scope, "canary: the drill's own topic, group and mirror (safe on production); groups: a "
                                      "game day with real groups (needs --groups, --execute, --confirm)")
      ->check(CLI::IsMember({"canary", "groups"}))->default_val("canary");
  run->add_option("--groups", o.groups, "Game day: regex of the groups to fail over");
  run->add_option("--mode", o.mode, "Game day: planned (a switchover: dr-failover --planned) or unplanned (the link's "
                                    "dr-mirror killed, then dr-failover --at that moment)")
      ->check(CLI::IsMember({"planned", "unplanned"}))->default_val("planned");
  run->add_option("--link", o.link, "Game day: the link to fail over (default: the one from the primary to the standby)");
  run->add_flag("--execute", o.execute, "Game day: really fail the groups over (without it: the plan only)");
  run->add_option("--confirm", o.confirm, "Game day: the standby's cluster id, typed back (required with --execute)");
  run->add_option("--quiet-period", quiet, "Game day, planned: the primary's end offsets must stay still this long")
      ->default_val("10s");
  run->add_flag("--local", local, "Start two Kafka clusters on this machine (scripts/kafka-clusters) and drill against them");
  run->add_option("--primary-config", o.primary_config, "Client .properties of the primary");
  run->add_option("--standby-config", o.standby_config, "Client .properties of the standby");
  run->add_option("-X", o.overrides, "Override a client property: -X primary.KEY=VALUE or -X standby.KEY=VALUE");
  run->add_option("--state", o.state_path, "State file that keeps the drill history (default: $DR_STATE or ./dr-state.db; "
                                            "with --local: in the work directory)");
  run->add_option("--work-dir", o.work_dir, "Directory for the report, the canary mirror's state and log (default: "
                                             "./dr-drill-<UTC time>; must not hold an earlier drill)");
  run->add_option("--canary-topic", o.canary_topic, "The drill's own topic, created on the primary")->default_val(o.canary_topic);
  run->add_option("--canary-group", o.canary_group, "The drill's own consumer group")->default_val(o.canary_group);
  run->add_option("--partitions", o.partitions, "Partitions of the canary topic")->default_val(3)->check(dr::tools::integer_in(1, 64));
  run->add_option("--rate", o.rate_per_s, "Canary records per second")->default_val(100)->check(dr::tools::integer_in(10, 10000));
  run->add_option("--warmup", warmup, "Mirroring before the disaster (15s, 2m)")->default_val("15s");
  run->add_option("--rpo-objective", rpo, "Fail when records older than this had not reached the standby")->default_val("30s");
  run->add_option("--rto-objective", rto, "Fail when the first record on the standby came later than this after the disaster")
      ->default_val("5m");
  run->add_flag("--keep", o.keep, "Leave the canary topic and groups (and --local's clusters) in place to look at");
  run->add_option("--timeout-ms", o.timeout_ms, "Per request to a cluster, and per wait of the drill")
      ->default_val(30000)->check(dr::tools::integer_in(1000, dr::tools::kMaxDurationMs));
  run->add_option("--dr-mirror", o.mirror_binary, "The dr-mirror to run for the canary (default: next to dr-drill)");
  run->add_option("--gnuplot", o.gnuplot, "gnuplot program for the report's charts")->default_val("gnuplot");
  run->add_option("--clusters-script", clusters_script, "With --local: the project's scripts/kafka-clusters")
      ->default_val(clusters_script);
  run->add_option("--format", format, "Output: text or json (the report)")->check(CLI::IsMember({"text", "json"}))->default_val("text");

  std::string history_format = "table";
  int limit = 20;
  CLI::App* history = app.add_subcommand("history", "List the drills the state file remembers, newest first, with the trend");
  std::string history_state = dr::store::StateStore::default_path();
  history->add_option("--state", history_state, "State file (default: $DR_STATE or ./dr-state.db)");
  history->add_option("--limit", limit, "At most this many drills (0: all)")->default_val(20)->check(dr::tools::integer_in(0, 100000));
  history->add_option("--format", history_format, "Output: table or json")->check(CLI::IsMember({"table", "json"}))->default_val("table");

  const std::string exit_codes = "Exit codes: 0 the drill passed (or a game day's plan shown, or history listed); 1 operational failure before the drill could start (Kafka, "
             "I/O); 2 bad input (flags, config files), nothing changed; 3 refused by a safety check (same cluster twice, a "
             "canary topic the drill did not create, a drill already running; a game day: a wrong --confirm, no active link, "
             "what dr-failover refuses), nothing changed; 4 the drill ran and FAILED "
             "(an objective missed, a record lost, unexplained duplicates, a step failed): the report says why.";
  app.footer(exit_codes);
  run->footer(exit_codes);

  return dr::tools::run_tool(app, argc, argv, [&]() -> int {
    dr::log::set_level(dr::log::parse_level(log_level));
    if (history->parsed()) {
      auto store = dr::store::StateStore::open(history_state, {.access = dr::store::Access::read_only});
      const auto entries = dr::drill::drill_history(store, limit);
      if (history_format == "json") {
        fmt::print("{}\n", dr::drill::history_json(entries));
      } else {
        fmt::print("{}", dr::drill::history_table(entries, store.path()));
      }
      return dr::exit_ok;
    }
    // SIGINT/SIGTERM stop the drill at its next wait: it cleans up and is recorded as failed.
    dr::install_stop_signal_handlers();
    o.objectives.rpo_ms = dr::translate::parse_duration_ms(rpo, "--rpo-objective");
    o.objectives.rto_ms = dr::translate::parse_duration_ms(rto, "--rto-objective");
    o.warmup_ms = dr::translate::parse_duration_ms(warmup, "--warmup", 3600 * 1000);
    o.quiet_period_ms = dr::translate::parse_duration_ms(quiet, "--quiet-period", 3600 * 1000);
    if (o.work_dir.empty()) o.work_dir = default_work_dir();
    o.command_line.assign(argv, argv + argc);
    if (const char* fault = std::getenv("DR_DRILL_FAULT")) o.fault = fault;
    dr::drill::DrillReport report;
    if (o.scope == "groups") {
      if (local) throw dr::Error(dr::ErrorKind::bad_input, "--local runs the canary drill only", {.flag = "--local"});
      if (o.state_path.empty()) o.state_path = dr::store::StateStore::default_path();
      report = dr::drill::run_groups_drill(o);
    } else if (!o.groups.empty() || o.execute || !o.confirm.empty()) {
      throw dr::Error(dr::ErrorKind::bad_input, "--groups, --execute and --confirm belong to a game day: add --scope groups",
                      {.flag = !o.groups.empty() ? "--groups" : o.execute ? "--execute" : "--confirm"});
    } else if (local) {
      if (!o.primary_config.empty() || !o.standby_config.empty()) {
        throw dr::Error(dr::ErrorKind::bad_input, "--local starts its own clusters: give no --primary-config or --standby-config",
                        {.flag = "--local"});
      }
      if (o.state_path.empty()) {
        o.state_path = std::getenv("DR_STATE") ? dr::store::StateStore::default_path()
                                               : (std::filesystem::path(o.work_dir) / "dr-state.db").string();
      }
      report = dr::drill::run_local_drill(o, clusters_script);
    } else {
      if (o.state_path.empty()) o.state_path = dr::store::StateStore::default_path();
      report = dr::drill::run_canary_drill(o);
    }
    if (format == "json") fmt::print("{}\n", dr::drill::to_json(report));
    else fmt::print("{}", dr::drill::to_text(report));
    return report.passed ? static_cast<int>(dr::exit_ok) : dr::drill::kExitDrillFailed;
  });
}
