// dr-drill: a failover drill as one command, and its history.
#include <cstdlib>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "dr/clock.hpp"
#include "dr/drill/analysis.hpp"
#include "dr/drill/drill.hpp"
#include "dr/drill/history.hpp"
#include "dr/kafka/command_line.hpp"
#include "dr/store/state_store.hpp"
#include "dr/translate/time_input.hpp"
#include "tool_main.hpp"

#ifndef DR_DEFAULT_CLUSTERS_SCRIPT
#define DR_DEFAULT_CLUSTERS_SCRIPT "scripts/kafka-clusters"
#endif

namespace {

using dr::drill::format_duration;

void print_run(const dr::drill::DrillReport& r) {
  fmt::print("drill #{} ({} scope{}): {}\n", r.id, r.scope, r.local ? ", --local" : "", r.passed ? "PASSED" : "FAILED");
  for (const auto& why : r.reasons) fmt::print("  - {}\n", why);
  for (const auto& c : r.clusters) fmt::print("{:<8} {} ({})\n", c.role, c.cluster_id, c.bootstrap);
  fmt::print("RPO      {} record(s) had not reached the standby; oldest {} old (objective {})\n", r.rpo_records, format_duration(r.rpo_ms),
             format_duration(r.objectives.rpo_ms));
  fmt::print("RTO      {} (objective {}): plan ready +{}, offsets committed +{}, first record consumed +{}\n", format_duration(r.rto_ms),
             format_duration(r.objectives.rto_ms), format_duration(r.rto_plan_ms), format_duration(r.rto_commit_ms), format_duration(r.rto_first_record_ms));
  fmt::print("lost     {}\nread twice {} (dr-failover's plan and the checkpoint's age account for {})\n", r.lost, r.duplicates,
             r.expected_duplicates);
  fmt::print("\n{:<14} {:>9}  {}\n", "STEP", "SECONDS", "WHAT HAPPENED");
  for (const auto& s : r.steps) {
    fmt::print("{:<14} {:>9.1f}  {}{}{}\n", s.name, (s.finished_ms - s.started_ms) / 1000.0, s.ok ? "" : "FAILED: ", s.title,
               s.detail.empty() ? "" : " - " + s.detail.substr(0, s.detail.find('\n')));
  }
  for (const auto& p : r.production) {
    fmt::print("production link {} ({}): {} record(s) behind\n", p.link, p.state, p.lag_records < 0 ? std::string("?") : std::to_string(p.lag_records));
  }
  for (const auto& n : r.notes) fmt::print("note: {}\n", n);
  fmt::print("\nreport: {0}/report.html, {0}/report.md, {0}/report.json\n", r.report_dir);
}

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
      "topic and groups are deleted (unless --keep).\n\n"
      "Examples:\n"
      "  dr-drill run --local                      # two throwaway clusters on this machine: the rehearsal\n"
      "  dr-drill run --primary-config primary.properties --standby-config standby.properties \\\n"
      "               --state /var/lib/kafka-dr/dr-state.db --rpo-objective 30s --rto-objective 5m\n"
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

  const std::string exit_codes = "Exit codes: 0 the drill passed (or history listed); 1 operational failure before the drill could start (Kafka, "
             "I/O); 2 bad input (flags, config files), nothing changed; 3 refused by a safety check (same cluster twice, a "
             "canary topic the drill did not create, a drill already running), nothing changed; 4 the drill ran and FAILED "
             "(an objective missed, a record lost, unexplained duplicates, a step failed): the report says why.";
  app.footer(exit_codes);
  run->footer(exit_codes);

  return dr::tools::run_tool(app, argc, argv, [&]() -> int {
    dr::log::set_level(dr::log::parse_level(log_level));
    if (history->parsed()) {
      auto store = dr::store::StateStore::open(history_state, {.access = dr::store::Access::read_only});
      const auto entries = dr::drill::drill_history(store, limit);
      if (history_format == "json") {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& e : entries) {
          const auto& r = e.row;
          auto opt = [](const std::optional<int64_t>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
          out.push_back({{"id", r.id}, {"started_ms", r.started_ms}, {"finished_ms", opt(r.finished_ms)}, {"scope", r.scope},
                         {"verdict", r.verdict}, {"rpo_ms", opt(r.rpo_ms)}, {"rpo_records", opt(r.rpo_records)},
                         {"rto_ms", opt(r.rto_ms)}, {"lost", opt(r.lost)}, {"duplicates", opt(r.duplicated)},
                         {"rpo_change_ms", opt(e.rpo_change_ms)}, {"rto_change_ms", opt(e.rto_change_ms)},
                         {"by", r.os_user + "@" + r.host}, {"report_dir", r.report_dir}, {"reasons", r.reasons}});
        }
        fmt::print("{}\n", out.dump(2));
        return dr::exit_ok;
      }
      if (entries.empty()) {
        fmt::print("no drill recorded in {} yet: run dr-drill run (runbooks/drill.md)\n", store.path());
        return dr::exit_ok;
      }
      auto change = [](const std::optional<int64_t>& c) {
        return c ? fmt::format("{:+.1f} s", *c / 1000.0) : std::string("");
      };
      fmt::print("{:>4} {:<24} {:<7} {:<8} {:>8} {:>9} {:>9} {:>9} {:>5} {:>5}  {}\n", "ID", "STARTED", "SCOPE", "VERDICT", "RPO",
                 "RPO-CHG", "RTO", "RTO-CHG", "LOST", "DUP", "BY / WHY");
      for (const auto& e : entries) {
        const auto& r = e.row;
        std::string why = r.reasons.substr(0, r.reasons.find('\n'));
        fmt::print("{:>4} {:<24} {:<7} {:<8} {:>8} {:>9} {:>9} {:>9} {:>5} {:>5}  {}@{}{}{}\n", r.id,
                   dr::translate::format_time(r.started_ms), r.scope, r.verdict, r.rpo_ms ? format_duration(*r.rpo_ms) : "-",
                   change(e.rpo_change_ms), r.rto_ms ? format_duration(*r.rto_ms) : "-", change(e.rto_change_ms),
                   r.lost ? std::to_string(*r.lost) : "-", r.duplicated ? std::to_string(*r.duplicated) : "-", r.os_user, r.host,
                   why.empty() ? "" : ": ", why);
      }
      fmt::print("{}\n", dr::drill::trend_summary(entries));
      return dr::exit_ok;
    }
    o.objectives.rpo_ms = dr::translate::parse_duration_ms(rpo, "--rpo-objective");
    o.objectives.rto_ms = dr::translate::parse_duration_ms(rto, "--rto-objective");
    o.warmup_ms = dr::translate::parse_duration_ms(warmup, "--warmup", 3600 * 1000);
    if (o.work_dir.empty()) o.work_dir = default_work_dir();
    o.command_line.assign(argv, argv + argc);
    if (const char* fault = std::getenv("DR_DRILL_FAULT")) o.fault = fault;
    dr::drill::DrillReport report;
    if (local) {
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
    else print_run(report);
    return report.passed ? static_cast<int>(dr::exit_ok) : dr::drill::kExitDrillFailed;
  });
}
