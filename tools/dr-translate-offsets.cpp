// dr-translate-offsets: where on the standby is source offset X, group G, or time T?
#include <memory>

#include <nlohmann/json.hpp>

#include "dr/kafka/client.hpp"
#include "dr/store/state_store.hpp"
#include "dr/clock.hpp"
#include "dr/translate/time_input.hpp"
#include "dr/translate/translator.hpp"
#include "tool_main.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "Translate positions on the primary to positions on the standby, from the offset mapping dr-mirror keeps "
      "in the state file. Works with the primary unreachable. With --target-config it also asks the standby "
      "(its time index for --at, its log start for offsets older than the mapping); without, it answers from the "
      "state file alone and says so. It only reads the state file (read-only, also on a read-only file system).\n\n"
      "Three questions:\n"
      "  --group G            where should group G resume? (its last checkpoint, translated; repeatable, or --groups REGEX)\n"
      "  --topic T --partition P --offset O   where did source offset O land?\n"
      "  --at TIME [--topic T]                first standby offset at or after TIME, per partition\n\n"
      "--format csv prints what kafka-consumer-groups --reset-offsets --from-file reads: topic,partition,offset for "
      "one group, group,topic,partition,offset for several (standby topic names, no header).\n\n"
      "Examples:\n"
      "  dr-translate-offsets --state dr-state.db --group billing\n"
      "  dr-translate-offsets --state dr-state.db --group billing --format csv > billing.csv\n"
      "  kafka-consumer-groups --bootstrap-server standby:9092 --group billing --reset-offsets --from-file billing.csv --execute\n"
      "  dr-translate-offsets --state dr-state.db --topic orders --partition 3 --offset 1200\n"
      "  dr-translate-offsets --state dr-state.db --target-config standby.properties --at 2026-11-21T04:03:00Z\n",
      "dr-translate-offsets"};
  std::string state = dr::store::StateStore::default_path(), link_name, target_config, format = "table", log_level;
  std::vector<std::string> groups, overrides;
  std::string groups_regex, topic, at;
  int32_t partition = -1;
  int64_t offset = -1;
  app.add_option("--state", state, "State file (default: $DR_STATE or ./dr-state.db)");
  app.add_option("--link", link_name, "Link, e.g. primary->standby (default: the only link)");
  app.add_option("--target-config", target_config, "Client .properties of the standby (optional)");
  app.add_option("-X", overrides, "Override a standby client property: -X key=value");
  app.add_option("--group", groups, "A consumer group (repeatable)");
  app.add_option("--groups", groups_regex, "Regex of consumer groups");
  app.add_option("--topic", topic, "Source topic");
  app.add_option("--partition", partition, "Partition (with --offset)")
      ->check(dr::tools::integer_in(0, std::numeric_limits<int32_t>::max()));
  app.add_option("--offset", offset, "Source offset (with --topic and --partition)")
      ->check(dr::tools::integer_in(0, std::numeric_limits<int64_t>::max()));
  app.add_option("--at", at, "Time: ISO-8601 with a zone, epoch ms, or relative (-5m)");
  app.add_option("--format", format, "Output: table, json or csv")->check(CLI::IsMember({"table", "json", "csv"}))->default_val("table");
  dr::tools::add_log_level(app, log_level);
  app.footer(dr::tools::kExitCodesHelp);

  return dr::tools::run_tool(app, argc, argv, [&] {
    dr::log::set_level(dr::log::parse_level(log_level));
    const int modes = (!groups.empty() || !groups_regex.empty()) + (offset >= 0 || partition >= 0) + !at.empty();
    if (modes != 1) dr::throw_bad_input("ask one question: --group/--groups, --topic/--partition/--offset, or --at", {.flag = "--group"});
    if ((offset >= 0) != (partition >= 0) || ((offset >= 0) && topic.empty())) {
      dr::throw_bad_input("--offset needs --topic and --partition", {.flag = "--offset"});
    }
    std::optional<int64_t> at_ms;
    if (!at.empty()) at_ms = dr::translate::parse_time(at, dr::now_ms(), "--at");
    auto store = dr::store::StateStore::open(state, {.access = dr::store::Access::read_only});
    auto link = dr::translate::resolve_link(store, link_name);
    // Every input is checked before the standby is asked anything.
    dr::translate::validate_group_pattern(groups_regex);
    if (offset >= 0) dr::translate::Translator(store, link, nullptr).check_partition(topic, partition);
    std::unique_ptr<dr::kafka::Admin> standby;
    if (!target_config.empty()) {
      dr::kafka::ClientConfig config(dr::kafka::ClientRole::admin);
      config.apply_file(target_config);
      for (const auto& x : overrides) config.apply_override(x);
      standby = std::make_unique<dr::kafka::Admin>(config);
      const std::string id = standby->cluster_id(std::chrono::seconds(30));
      if (id != link.target_cluster_id) {
        dr::throw_refused(fmt::format("{} points at cluster {}, but link {} mirrors into {}", target_config, id, link.name,
                                      link.target_cluster_id),
                          {.file = target_config});
      }
    } else {
      dr::log::info("no --target-config: answering from the state file alone");
    }
    dr::translate::Translator translator(store, link, standby.get());

    nlohmann::json rows = nlohmann::json::array();
    std::vector<std::vector<std::string>> table;
    std::vector<std::string> csv;
    if (!at.empty()) {
      if (const int64_t oldest = translator.oldest_mapped_time(); oldest > 0 && *at_ms < oldest) {
        dr::log::warn("--at {} is before the oldest mirrored record ({})", dr::translate::format_time(*at_ms),
                      dr::translate::format_time(oldest));
      }
      std::vector<std::string> topics = topic.empty() ? translator.mirrored_topics() : std::vector<std::string>{topic};
      for (const auto& t : topics) {
        for (const auto& o : translator.offsets_for_time(t, *at_ms)) {
          rows.push_back({{"source_topic", o.source_topic}, {"topic", o.target_topic}, {"partition", o.partition},
                          {"offset", o.target_offset}, {"from_state_file", o.from_mapping}});
          table.push_back({o.target_topic, std::to_string(o.partition), std::to_string(o.target_offset),
                           o.from_mapping ? "state file (approximate)" : "standby time index"});
          csv.push_back(fmt::format("{},{},{}", o.target_topic, o.partition, o.target_offset));
        }
      }
      if (format == "table") {
        fmt::print("first standby offset at or after {}\n{:<40} {:>9} {:>12}  {}\n", dr::translate::format_time(*at_ms),
                   "TOPIC (standby)", "PARTITION", "OFFSET", "SOURCE");
        for (const auto& r : table) fmt::print("{:<40} {:>9} {:>12}  {}\n", r[0], r[1], r[2], r[3]);
      }
    } else {
      std::vector<dr::translate::TranslatedOffset> results;
      if (offset >= 0) {
        results.push_back(translator.translate(topic, partition, dr::SourceOffset(offset)));
      } else {
        if (!groups_regex.empty()) {
          for (const auto& g : translator.checkpointed_groups(groups_regex)) groups.push_back(g);
        }
        results = translator.translate_groups(groups);
        for (const auto& g : groups) {
          bool found = std::any_of(results.begin(), results.end(), [&](const auto& r) { return r.group == g; });
          if (!found) dr::log::warn("group {} has no checkpoint on link {}", g, link.name);
        }
        if (results.empty()) dr::throw_bad_input("no checkpoint for the group(s) asked about", {.flag = "--group"});
      }
      std::set<std::string> distinct;
      for (const auto& r : results) distinct.insert(r.group);
      const bool several = distinct.size() > 1;
      for (const auto& r : results) {
        const auto& t = r.translation;
        rows.push_back({{"group", r.group}, {"source_topic", r.source_topic}, {"topic", r.target_topic},
                        {"partition", r.partition}, {"source_offset", r.source_offset}, {"offset", t.target.value()},
                        {"precision", dr::translate::to_string(t.precision)}, {"unmirrored_records", t.unmirrored},
                        {"checkpoint_time", r.checkpoint_ms ? dr::translate::format_time(r.checkpoint_ms) : ""}});
        csv.push_back(several ? fmt::format("{},{},{},{}", r.group, r.target_topic, r.partition, t.target.value())
                              : fmt::format("{},{},{}", r.target_topic, r.partition, t.target.value()));
        if (t.precision == dr::translate::Precision::beyond_mirrored) {
          dr::log::warn("{}{}/{}: {} record(s) read on the primary never reached the standby", r.group.empty() ? "" : r.group + ": ",
                        r.source_topic, r.partition, t.unmirrored);
        }
      }
      if (format == "table") {
        fmt::print("{:<24} {:<32} {:>4} {:>12} {:>12}  {:<16} {:>10}  {}\n", "GROUP", "TOPIC (standby)", "PART", "SOURCE",
                   "STANDBY", "PRECISION", "UNMIRRORED", "CHECKPOINT");
        for (const auto& r : results) {
          fmt::print("{:<24} {:<32} {:>4} {:>12} {:>12}  {:<16} {:>10}  {}\n", r.group.empty() ? "-" : r.group, r.target_topic,
                     r.partition, r.source_offset, r.translation.target.value(), dr::translate::to_string(r.translation.precision),
                     r.translation.unmirrored, r.checkpoint_ms ? dr::translate::format_time(r.checkpoint_ms) : "-");
        }
      }
    }
    if (format == "json") fmt::print("{}\n", nlohmann::json{{"link", link.name}, {"results", rows}}.dump(2));
    if (format == "csv") {
      for (const auto& line : csv) fmt::print("{}\n", line);
    }
    return dr::exit_ok;
  });
}
