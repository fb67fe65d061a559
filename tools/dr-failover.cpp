// dr-failover: fail consumer groups over to the standby at a point in time.
#include "dr/failover/failover.hpp"
#include "dr/store/state_store.hpp"
#include "dr/translate/time_input.hpp"
#include "tool_main.hpp"

namespace {

void print_table(const dr::failover::FailoverReport& r) {
  fmt::print("link {} ({} -> {}), failover at {}{}\n\n", r.link, r.source_cluster_id, r.target_cluster_id,
             dr::translate::format_time(r.at_ms),
             r.repeated ? fmt::format(" (--at '{}' as resolved by audit #{}: finishing that failover)", r.at_text,
                                      r.previous_audit_id)
                        : std::string());
  fmt::print("{:<28} {:<32} {:>4} {:>12} {:>12} {:>12} {:>12} {:<10} {:>6}  {}\n", "GROUP", "TOPIC (standby)", "PART",
             "CHECKPOINT", "TRANSLATED", "AT-TIME", "CHOSEN", "BASIS", "DUPS", "STATUS");
  for (const auto& g : r.groups) {
    for (const auto& p : g.partitions) {
      fmt::print("{:<28} {:<32} {:>4} {:>12} {:>12} {:>12} {:>12} {:<10} {:>6}  {}\n", g.group, p.target_topic, p.partition,
                 p.checkpoint_offset, p.translated.target.value(), p.time_offset, p.chosen, p.basis, p.expected_duplicates,
                 dr::failover::to_string(g.status));
    }
    if (!g.detail.empty()) fmt::print("  {}: {}\n", g.group, g.detail);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Fail consumer groups over to the standby. For each group checkpointed by dr-mirror and each partition, the "
      "plan shows the group's last checkpoint translated to the standby, the first standby offset at or after --at, "
      "and the offset it will commit: the earlier of the two (so a lagging group never skips records it had not "
      "read), or the time-based one with --time-only.\n\n"
      "Without --execute nothing changes (dry run). With --execute it fences the link (a running dr-mirror of it "
      "stops within seconds, and will not start again), skips groups that have live members on the standby (or "
      "refuses all with --all-or-nothing), commits the offsets, reads every one back, and writes an audit row to the "
      "state file. Works with the primary gone: it reads only the state file and the standby.\n\n"
      "Finishing a partial failover: the first --execute fixes the failover time (a relative --at is resolved then, "
      "once, and recorded). A later run on the fenced link with the same --at (the same text, or the same instant) "
      "and the same link epoch belongs to that failover and may select any --groups: groups it already moved are "
      "never moved again (still at our offsets: already_done; elsewhere: moved_on, \"moved on since the failover, "
      "left alone\"), and only groups not moved yet (skipped, failed, not selected before) are committed. Another "
      "--at is refused (exit 3). So after exit 1, stop the skipped groups' consumers on the standby and run the same "
      "command again, or finish one group with --groups NAME.\n\n"
      "Examples:\n"
      "  dr-failover --state dr-state.db --target-config standby.properties --at 2026-11-21T04:03:00Z\n"
      "  dr-failover --state dr-state.db --target-config standby.properties --at -5m --groups 'billing-.*' --execute\n"
      "  dr-failover ... --at 1795233780000 --format json > plan.json\n\n"
      "Planned switchover (both clusters up, e.g. going home after dr-resync): stop the producers and the consumers on "
      "the source, keep dr-mirror of the link running, then\n"
      "  dr-failover --planned --link standby->primary --source-config standby.properties --target-config "
      "primary.properties --execute\n"
      "waits until the source's end offsets stay still for --quiet-period and the mirror has copied everything, "
      "translates each group's current committed offset (no record lost, none read twice), fences the link, commits "
      "and verifies. Groups with live members on the source are refused by name.\n",
      "dr-failover"};
  dr::failover::FailoverOptions o;
  o.state_path = dr::store::StateStore::default_path();
  std::string format = "table", log_level;
  bool dry_run = false;
  app.add_option("--state", o.state_path, "State file (default: $DR_STATE or ./dr-state.db)");
  app.add_option("--link", o.link, "Link to fail over, e.g. primary->standby (default: the only link)");
  app.add_option("--target-config", o.target_config, "Client .properties of the standby (the link's target)")->required();
  app.add_option("-X", o.overrides, "Override a standby client property: -X key=value");
  app.add_option("--at", o.at,
                 "Failover time: ISO-8601 with a zone (2026-11-21T04:03:00Z), epoch ms (13 digits), or relative (-5m, "
                 "resolved once by the first --execute)")
  ;
  std::string quiet = "10s", wait = "10m";
  app.add_flag("--planned", o.planned,
               "Planned switchover with both clusters up: wait until producers have stopped and the mirror has copied "
               "everything, then move each group's current offset exactly (no --at)");
  app.add_option("--source-config", o.source_config, "With --planned: client .properties of the link's source");
  app.add_option("--quiet-period", quiet, "With --planned: how long the source's end offsets must stay still")->default_val("10s");
  app.add_option("--wait-timeout", wait, "With --planned: the longest wait for producers to stop and the mirror to copy")
      ->default_val("10m");
  app.add_option("--groups", o.groups, "Regex of consumer groups (default: every checkpointed group)");
  app.add_flag("--dry-run", dry_run, "Only show the plan (the default)");
  app.add_flag("--execute", o.execute, "Fence the link and commit the plan on the standby");
  app.add_flag("--time-only", o.time_only, "Commit the time-based offsets even where that skips unread records");
  app.add_flag("--all-or-nothing", o.all_or_nothing, "Refuse everything if any group has live members on the standby");
  app.add_option("--timeout-ms", o.timeout_ms, "Per request to the standby")
      ->default_val(30000)->check(dr::tools::integer_in(1, dr::tools::kMaxDurationMs));
  app.add_option("--format", format, "Output: table or json")->check(CLI::IsMember({"table", "json"}))->default_val("table");
  dr::tools::add_log_level(app, log_level);
  app.footer("Exit codes: 0 done (or dry run; also when every selected group was moved by an earlier run of the same "
             "failover); 1 partly done (the output names the groups skipped or failed: finish with the same command) or a "
             "Kafka failure; 2 bad input (time, regex, number out of range, link, config), checked before the standby is "
             "contacted; 3 refused by a safety check (wrong cluster, link already failed over at another time, no "
             "checkpoints, active groups with --all-or-nothing; --planned: live members on the source, writes or copying "
             "not finished within --wait-timeout, a current offset the mapping cannot translate exactly); nothing changed on 2 and 3.");

  return dr::tools::run_tool(app, argc, argv, [&] {
    dr::log::set_level(dr::log::parse_level(log_level));
    if (dry_run && o.execute) dr::throw_bad_input("--dry-run and --execute exclude each other", {.flag = "--execute"});
    o.quiet_period_ms = dr::translate::parse_duration_ms(quiet, "--quiet-period");
    o.wait_timeout_ms = dr::translate::parse_duration_ms(wait, "--wait-timeout", 24LL * 3600 * 1000);
    if (!o.planned && !o.source_config.empty()) dr::throw_bad_input("goes with --planned", {.flag = "--source-config"});
    o.command_line.assign(argv, argv + argc);  // recorded in the audit row with secrets masked
    auto report = dr::failover::run_failover(o);
    for (const auto& w : report.warnings) dr::log::warn("{}", w);
    if (format == "json") fmt::print("{}\n", dr::failover::to_json(report));
    else print_table(report);
    if (format != "json") fmt::print("\n{}\n", report.summary);
    else dr::log::info("{}", report.summary);
    return report.outcome == dr::failover::Outcome::partial ? dr::exit_failure : dr::exit_ok;
  });
}
