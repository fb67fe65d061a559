// dr-status: what the state file knows: links, their state and epoch, running mirrors, the mapping.
#include <chrono>
#include <map>

#include <nlohmann/json.hpp>

#include "dr/clock.hpp"
#include "dr/drill/analysis.hpp"
#include "dr/drill/history.hpp"
#include "dr/store/audit.hpp"
#include "dr/store/checkpoints.hpp"
#include "dr/store/links.hpp"
#include "dr/store/mirror_state.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/store/state_store.hpp"
#include "dr/translate/time_input.hpp"
#include "tool_main.hpp"

namespace {


std::string age(int64_t ms) {
  const int64_t d = std::max<int64_t>(0, dr::now_ms() - ms) / 1000;
  if (d < 120) return fmt::format("{}s ago", d);
  if (d < 7200) return fmt::format("{}m ago", d / 60);
  return fmt::format("{}h ago", d / 3600);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "Show what a kafka-dr state file records: every link (mirroring direction) with its clusters, state and "
      "epoch, the dr-mirror processes that heartbeat into it, and how much of each topic the offset mapping "
      "covers. Reads only the state file: works with both clusters down.\n\n"
      "Never writes: it opens the state file read-only (also on a read-only file system), and a missing, "
      "empty, older or newer state file is an error, not something it creates or upgrades.\n\n"
      "Examples:\n"
      "  dr-status --state /var/lib/kafka-dr/dr-state.db\n"
      "  DR_STATE=/var/lib/kafka-dr/dr-state.db dr-status --format json\n",
      "dr-status"};
  std::string state = dr::store::StateStore::default_path();
  std::string format = "text";
  std::string log_level;
  app.add_option("--state", state, "State file (default: $DR_STATE or ./dr-state.db)");
  app.add_option("--format", format, "Output: text or json")->check(CLI::IsMember({"text", "json"}))->default_val("text");
  int64_t drill_max_age_days = 92;
  app.add_option("--drill-max-age-days", drill_max_age_days,
                 "Warn when the last passing dr-drill is older than this many days (a quarter: 92)")
      ->default_val(92)->check(dr::tools::integer_in(1, 3650));
  dr::tools::add_log_level(app, log_level);
  app.footer(dr::tools::kExitCodesHelp);

  return dr::tools::run_tool(app, argc, argv, [&] {
    dr::log::set_level(dr::log::parse_level(log_level));
    auto store = dr::store::StateStore::open(state, {.access = dr::store::Access::read_only});
    auto links = dr::store::list_links(store);
    nlohmann::json out{{"state_file", store.path()}, {"schema_version", store.schema_version()}, {"links", nlohmann::json::array()}};
    std::string text = fmt::format("state file      {}\nschema version  {}\n", store.path(), store.schema_version());
    if (links.empty()) text += "links           none yet (dr-mirror records its link on first start)\n";
    for (const auto& l : links) {
      nlohmann::json jl{{"name", l.name},
                        {"source_cluster_id", l.source_cluster_id},
                        {"source_alias", l.source_alias},
                        {"target_cluster_id", l.target_cluster_id},
                        {"target_alias", l.target_alias},
                        {"state", dr::store::to_string(l.state)},
                        {"state_reason", l.state_reason},
                        {"epoch", l.epoch},
                        {"updated_ms", l.updated_ms},
                        {"mirrors", nlohmann::json::array()},
                        {"topics", nlohmann::json::array()}};
      text += fmt::format("\nlink {}  ({} -> {})\n  state {}, epoch {}{}{}\n", l.name, l.source_cluster_id, l.target_cluster_id,
                          dr::store::to_string(l.state), l.epoch, l.state_reason.empty() ? "" : ": ", l.state_reason);
      auto instances = dr::store::list_instances(store, l.id);
      if (instances.empty()) text += "  mirrors: none has run\n";
      for (const auto& i : instances) {
        jl["mirrors"].push_back({{"instance", i.instance_id}, {"host", i.host}, {"pid", i.pid}, {"status", i.status},
                                 {"heartbeat_ms", i.heartbeat_ms}, {"started_ms", i.started_ms}});
        text += fmt::format("  mirror {} pid {}: {}, last heartbeat {}\n", i.host, i.pid, i.status, age(i.heartbeat_ms));
      }
      auto checkpoints = dr::store::latest_checkpoints(store, l.id);
      std::map<std::string, int64_t> group_read;
      for (const auto& c : checkpoints) group_read[c.group_id] = std::max(group_read[c.group_id], c.read_ms);
      jl["checkpointed_groups"] = nlohmann::json::array();
      for (const auto& [g, read] : group_read) jl["checkpointed_groups"].push_back({{"group", g}, {"read_ms", read}});
      if (group_read.empty()) {
        text += "  checkpoints: none (dr-mirror checkpoints the groups its --groups selects)\n";
      } else {
        int64_t newest = 0;
        for (const auto& [g, read] : group_read) newest = std::max(newest, read);
        text += fmt::format("  checkpoints: {} group(s), newest read {}\n", group_read.size(), age(newest));
      }
      if (auto f = dr::store::last_failover(store, l.id)) {
        jl["last_failover"] = {{"id", f->id}, {"at_ms", f->at_ms.value_or(0)}, {"by", f->os_user}, {"host", f->host},
                               {"started_ms", f->started_ms}, {"outcome", f->outcome}};
        text += fmt::format("  last failover: #{} --at {} by {}@{}, {}, outcome {}\n", f->id,
                            dr::translate::format_time(f->at_ms.value_or(0)), f->os_user,
                            f->host, age(f->started_ms), f->outcome.empty() ? "unfinished" : f->outcome);
      }
      auto topics = dr::store::mapping_summary(store, l.id);
      if (!topics.empty()) {
        text += fmt::format("  {:<40} {:>10} {:>12} {:>10} {:>8} {:>8}  {}\n", "TOPIC", "PARTITIONS", "MAPPED", "RE-COPIED",
                            "ROWS", "SKIPPED", "NEWEST RECORD");
      }
      for (const auto& t : topics) {
        jl["topics"].push_back({{"topic", t.source_topic}, {"partitions", t.partitions}, {"mapped_records", t.mapped_records},
                                {"recopied_records", t.recopied_records}, {"rows", t.rows}, {"skipped_records", t.skipped_records}, {"newest_record_ms", t.last_timestamp_ms}});
        text += fmt::format("  {:<40} {:>10} {:>12} {:>10} {:>8} {:>8}  {}\n", t.source_topic, t.partitions, t.mapped_records,
                            t.recopied_records, t.rows, t.skipped_records, age(t.last_timestamp_ms));
      }
      out["links"].push_back(std::move(jl));
    }
    const auto drills = dr::drill::drill_status(store, drill_max_age_days, dr::now_ms());
    out["drills"] = nlohmann::json::parse(dr::drill::drill_status_json(drills, drill_max_age_days));
    text += "\n" + dr::drill::drill_status_text(store, drills);
    if (drills.overdue) dr::log::warn("{}", drills.warning);
    if (format == "json") fmt::print("{}\n", out.dump(2));
    else fmt::print("{}", text);
    return dr::exit_ok;
  });
}
