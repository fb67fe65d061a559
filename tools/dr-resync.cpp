// dr-resync: make the old primary the standby of the new primary after a failover (failback).
#include "dr/mirror/mirror.hpp"
#include "dr/resync/replay.hpp"
#include "dr/resync/resync.hpp"
#include "dr/store/state_store.hpp"
#include "dr/translate/time_input.hpp"
#include "dr/stop.hpp"
#include "tool_main.hpp"

namespace {

void print_table(const dr::resync::ResyncReport& r) {
  fmt::print("link {} ({} -> {}), reverse link {}{}\n\n", r.link, r.old_primary_cluster_id, r.new_primary_cluster_id,
             r.reverse_link, r.resync_id ? fmt::format(", resync #{}", r.resync_id) : std::string());
  fmt::print("{:<28} {:>4} {:>10} {:>10} {:>10} {:>10} {:>9} {:>10} {:>10} {:>11} {:<8} {:<7}  {}\n", "TOPIC", "PART",
             "OLD-START", "OLD-END", "MAPPED-END", "COMMON-END", "DIVERGED", "NEW-COPY", "NEW-END", "TO-COPY", "ACTION",
             "STEP", "WHY");
  for (const auto& p : r.partitions) {
    fmt::print("{:<28} {:>4} {:>10} {:>10} {:>10} {:>10} {:>9} {:>10} {:>10} {:>11} {:<8} {:<7}  {}\n", p.topic, p.partition,
               p.old_log_start, p.old_end, p.mapped_end, p.common_end, p.diverged_records, p.new_common_end, p.new_end,
               p.records_to_copy, p.action, p.step, p.reason);
    if (p.diverged_records > 0) {
      fmt::print("{:<33} diverged: offsets {}..{}, {} .. {}, {} bytes\n", "", p.save_from, p.old_end - 1,
                 dr::translate::format_time(p.diverged_first_ms), dr::translate::format_time(p.diverged_last_ms),
                 p.diverged_bytes);
    }
  }
  int64_t bytes = 0;
  for (const auto& p : r.partitions) bytes += p.bytes_to_copy;
  fmt::print("\nabout {:.1f} MiB to copy back (estimated from a sample of the new primary's records)\n", bytes / 1048576.0);
  for (const auto& t : r.only_on_old) fmt::print("only on the old primary, not mirrored by the link (not touched): {}\n", t);
  for (const auto& t : r.only_on_new) fmt::print("only on the new primary (the reverse mirror does not copy it): {}\n", t);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Fail back: make the old primary the standby of the new primary after dr-failover, without destroying anything "
      "unsaved and without copying back what it already holds.\n\n"
      "Per partition of the failed-over link's topics, the plan compares the old primary with what reached the new "
      "primary (the state file's mapping, extended by comparing records past its end by content). Partitions where "
      "nothing diverged are kept: only the new primary's later records travel. Partitions with records the new primary "
      "never got are wiped (compacted topics: deleted and recreated) after those records are saved to --save-dir, read "
      "back and verified; `dr-resync replay` produces them into a topic you choose.\n\n"
      "Without --execute nothing changes (dry run; the checks still run). --execute needs the old primary's cluster id "
      "typed back with --confirm. Every step is recorded in the state file: if the run is stopped (kill -9, a crash), "
      "run the same command again and it finishes the job. Afterwards the reverse link (new -> old primary) is an "
      "ordinary link, its mapping seeded so translation is exact for the old data too; --mirror runs its mirror until "
      "it has caught up, otherwise the dr-mirror command to run is printed.\n\n"
      "Examples:\n"
      "  dr-resync --state dr-state.db --link primary->standby --old-primary-config primary.properties \\\n"
      "            --new-primary-config standby.properties --save-dir /var/lib/kafka-dr/diverged-2026-11-22\n"
      "  dr-resync ... --execute --confirm <old primary cluster id> --mirror\n"
      "  dr-resync replay --from /var/lib/kafka-dr/diverged-2026-11-22 --config primary.properties --topic orders.diverged\n",
      "dr-resync"};
  dr::resync::ResyncOptions o;
  o.state_path = dr::store::StateStore::default_path();
  std::string format = "table", log_level, quiet = "30s";
  app.add_option("--state", o.state_path, "State file (default: $DR_STATE or ./dr-state.db)");
  app.add_option("--link", o.link, "The failed-over link, e.g. primary->standby (default: the only failed-over link)");
  app.add_option("--old-primary-config", o.old_primary_config, "Client .properties of the old primary (the link's source)");
  app.add_option("--new-primary-config", o.new_primary_config, "Client .properties of the new primary (the link's target)");
  app.add_option("-X", o.overrides, "Override a client property: -X old.KEY=VALUE or -X new.KEY=VALUE");
  app.add_option("--topics", o.topics, "Regex of the link's topics to resync (default: all it mirrored)");
  app.add_option("--save-dir", o.save_dir, "Directory for the diverged records (required when any diverged)");
  app.add_flag("--discard-diverged", o.discard_diverged, "Delete diverged records without saving them");
  app.add_option("--quiet-period", quiet, "How long the old primary's end offsets must stay still (500ms, 30s, 2m)")
      ->default_val("30s");
  app.add_flag("--execute", o.execute, "Save, wipe, seed the reverse link (default: dry run)");
  app.add_option("--confirm", o.confirm, "The old primary's cluster id, typed back (with --execute)");
  app.add_option("--mirror-group", o.mirror_group,
                 "Consumer group of the reverse mirror on the new primary (default: kafka-dr-mirror.<new>-to-<old>)");
  app.add_flag("--mirror", o.mirror, "After --execute, run the reverse mirror until it has caught up, showing progress");
  app.add_option("--timeout-ms", o.timeout_ms, "Per request to a cluster")
      ->default_val(30000)->check(dr::tools::integer_in(1, dr::tools::kMaxDurationMs));
  app.add_option("--format", format, "Output: table or json")->check(CLI::IsMember({"table", "json"}))->default_val("table");
  dr::tools::add_log_level(app, log_level);

  dr::resync::ReplayOptions r;
  CLI::App* replay = app.add_subcommand("replay", "Produce saved diverged records into a topic you choose");
  replay->add_option("--from", r.from_dir, "A --save-dir of dr-resync")->required();
  replay->add_option("--config", r.config, "Producer .properties of the cluster to write to")->required();
  replay->add_option("-X", r.overrides, "Override a client property: -X key=value");
  replay->add_option("--topic", r.topic, "Existing topic to write to (same partition numbers)")->required();
  replay->add_flag("--force", r.force, "Replay again into a topic these records were replayed into before");
  replay->add_flag("--partition-by-key", r.partition_by_key,
                   "Let each record's key choose the partition (default: the partition number it was saved from)");
  replay->add_option("--timeout-ms", r.timeout_ms, "Bounded wait for the cluster")
      ->default_val(30000)->check(dr::tools::integer_in(1, dr::tools::kMaxDurationMs));
  app.footer("Exit codes: 0 done (or dry run); 1 operational failure (Kafka, I/O: run the same command again to finish); "
             "2 bad input (flags, configs, state file, save directory), nothing changed; 3 refused by a safety check (link "
             "not failed over, wrong cluster, writes or live consumers on the old primary, another run busy, --confirm "
             "missing or wrong, replayed before), nothing changed.");

  return dr::tools::run_tool(app, argc, argv, [&] {
    dr::log::set_level(dr::log::parse_level(log_level));
    if (replay->parsed()) {
      const auto rep = dr::resync::replay_saved(r);
      if (format == "json") {
        fmt::print("{{\"topic\": \"{}\", \"cluster_id\": \"{}\", \"files\": {}, \"records\": {}}}\n", rep.topic, rep.cluster_id,
                   rep.files, rep.records);
      } else {
        fmt::print("replayed {} record(s) from {} file(s) into {} on cluster {}\n", rep.records, rep.files, rep.topic,
                   rep.cluster_id);
      }
      return dr::exit_ok;
    }
    o.quiet_period_ms = dr::translate::parse_duration_ms(quiet, "--quiet-period");
    if (o.mirror) dr::install_stop_signal_handlers();
    o.command_line.assign(argv, argv + argc);
    auto report = dr::resync::run_resync(o);
    for (const auto& w : report.warnings) dr::log::warn("{}", w);
    if (format == "json") fmt::print("{}\n", dr::resync::to_json(report));
    else print_table(report);
    if (format != "json") {
      fmt::print("\n{}\n", report.summary);
      if (!report.executed) fmt::print("dry run: nothing changed; run with --execute --confirm {} to apply\n", report.old_primary_cluster_id);
      else if (!report.mirror_command.empty()) {
        fmt::print("\n{} the reverse mirror as a service (it keeps the old primary current until you move home):\n  {}\n",
                   o.mirror ? "Caught up. Now run" : "Next, start", report.mirror_command);
      }
    }
    return dr::exit_ok;
  });
}
