// dr-mirror: MirrorMaker-compatible mirror daemon with an exact offset mapping.
#include "dr/mirror/mirror.hpp"
#include "dr/store/state_store.hpp"
#include "dr/stop.hpp"
#include "tool_main.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "Mirror topics from a source (primary) Kafka cluster to a target (standby), partition for partition, "
      "keeping keys, values, headers and timestamps, and record in a SQLite state file where every source "
      "offset landed, so consumer groups can fail over exactly (dr-translate-offsets, dr-failover).\n\n"
      "MirrorMaker 1's flags and .properties files work unchanged. Run it next to the target (read remotely, "
      "write locally). Several processes with the same group.id share the partitions.\n\n"
      "Examples:\n"
      "  # as MirrorMaker 1 would be started\n"
      "  dr-mirror --consumer.config source.properties --producer.config target.properties --whitelist 'orders.*'\n"
      "  # hub-and-spoke: prefix target topics with the source alias\n"
      "  dr-mirror --consumer.config dc1.properties --producer.config hub.properties --include '.*' \\\n"
      "            --source-alias dc1 --target-alias hub --rename '{source}.{topic}'\n"
      "  # copy everything there is now, then exit 0 (resync, drills, tests)\n"
      "  dr-mirror --consumer.config s.properties --producer.config t.properties --include 'orders' --until-caught-up\n",
      "dr-mirror"};
  dr::mirror::MirrorOptions o;
  std::string whitelist, include, abort_on_failure = "true", log_level;
  app.add_option("--consumer.config", o.consumer_config,
                 "Source consumer .properties (bootstrap.servers and group.id required)")->required();
  app.add_option("--producer.config", o.producer_config, "Target producer .properties (bootstrap.servers required)")->required();
  app.add_option("--whitelist", whitelist, "Regex of topics to mirror (MirrorMaker 1; ',' means '|')");
  app.add_option("--include", include, "Same as --whitelist");
  app.add_option("--exclude", o.exclude, "Regex of topics not to mirror");
  app.add_option("--num.streams", o.num_streams, "Consumers in this process (threads), sharing one producer")->default_val(1)->check(dr::tools::integer_in(1, 64));
  app.add_option("--offset.commit.interval.ms", o.commit_interval_ms,
                 "How often the mapping is persisted and source offsets committed (MirrorMaker 1: 60000)")
      ->default_val(1000)->check(dr::tools::integer_in(1, dr::tools::kMaxDurationMs));
  app.add_option("--abort.on.send.failure", abort_on_failure,
                 "true: stop on a permanent delivery failure; false: skip the record and record it in the state file")
      ->check(CLI::IsMember({"true", "false"}))->default_val("true");
  app.add_option("--state", o.state_path, "State file (default: $DR_STATE or ./dr-state.db)")
      ->default_val(dr::store::StateStore::default_path());
  app.add_option("--source-alias", o.source_alias, "Name of the source cluster in the state file and in {source} (default: its cluster id)");
  app.add_option("--target-alias", o.target_alias, "Name of the target cluster in the state file and in {target} (default: its cluster id)");
  app.add_option("--rename", o.rename_template, "Target topic name template: {topic}, {source}, {target}")->default_val("{topic}");
  app.add_option("--groups", o.groups, "Regex of source consumer groups to checkpoint (default: all but the mirror's own)");
  app.add_option("--checkpoint-interval-ms", o.checkpoint_interval_ms, "How often group offsets are checkpointed")
      ->default_val(10000)->check(dr::tools::integer_in(1, dr::tools::kMaxDurationMs));
  app.add_flag("--until-caught-up", o.until_caught_up,
               "Exit 0 once every partition is mirrored up to the end offsets seen at start");
  app.add_flag("--provenance", o.provenance,
               "Stamp each record with the source cluster id (header kafka-dr.source-cluster); never mirror back "
               "records that came from the target (active-active)");
  app.add_option("--replication-factor", o.replication_factor, "For target topics dr-mirror creates (-1: broker default)")
      ->default_val(-1)->check(dr::tools::integer_in(-1, 32767));
  app.add_option("--topic-refresh-ms", o.topic_refresh_ms, "How often new topics and partitions are picked up")
      ->default_val(10000)->check(dr::tools::integer_in(1, dr::tools::kMaxDurationMs));
  app.add_option("--prune-interval-ms", o.prune_interval_ms,
                 "How often mapping rows are dropped whose records the target no longer holds")
      ->default_val(300000)->check(dr::tools::integer_in(1, dr::tools::kMaxDurationMs));
  app.add_option("--unreachable-timeout-ms", o.unreachable_timeout_ms,
                 "Exit non-zero when a cluster stays unreachable this long")
      ->default_val(120000)->check(dr::tools::integer_in(1, dr::tools::kMaxDurationMs));
  app.add_option("--shutdown-timeout-ms", o.shutdown_timeout_ms, "Bounded wait for in-flight records on stop")
      ->default_val(30000)->check(dr::tools::integer_in(1, dr::tools::kMaxDurationMs));
  app.add_option("--instance-id", o.instance_id,
                 "Static group membership identity of this process (default: group.instance.id of the consumer "
                 "config, else <host>.<link>); stream i joins as <id>-<i>. Give each dr-mirror of a link on one "
                 "host its own");
  app.add_option("-X", o.overrides, "Override a client property: -X source.KEY=VALUE or -X target.KEY=VALUE");
  dr::tools::add_log_level(app, log_level);
  // MirrorMaker 1 flags that have no meaning here: accepted, explained.
  bool new_consumer = false;
  std::string message_handler;
  app.add_flag("--new.consumer", new_consumer, "Accepted for MirrorMaker 1 compatibility; no effect")->group("");
  app.add_option("--message.handler", message_handler, "Not supported")->group("");
  app.footer(std::string(dr::tools::kExitCodesHelp) +
             "\nStops cleanly on SIGINT/SIGTERM: in-flight records land, the mapping is persisted, offsets are committed.");

  return dr::tools::run_tool(app, argc, argv, [&] {
    dr::log::set_level(dr::log::parse_level(log_level));
    if (!message_handler.empty()) {
      dr::throw_bad_input("custom Java message handlers are not supported; use --rename for topic renaming",
                          {.flag = "--message.handler"});
    }
    if (!whitelist.empty() && !include.empty() && whitelist != include) {
      dr::throw_bad_input("give --whitelist or --include, not both", {.flag = "--include"});
    }
    o.include = include.empty() ? whitelist : include;
    if (o.include.empty()) dr::throw_bad_input("which topics? e.g. --include 'orders.*' (or --whitelist)", {.flag = "--include"});
    o.abort_on_send_failure = abort_on_failure == "true";
    dr::install_stop_signal_handlers();
    auto summary = dr::mirror::run_mirror(o);
    dr::log::info("dr-mirror {}: {} records mirrored, {} skipped, {} filtered",
                  summary.ending == dr::mirror::MirrorSummary::Ending::caught_up ? "caught up" : "stopped",
                  summary.records_mirrored, summary.records_skipped, summary.records_filtered);
    return dr::exit_ok;
  });
}
