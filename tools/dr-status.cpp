// dr-status: what the state file knows: schema, links, their state and epoch.
#include <nlohmann/json.hpp>

#include "dr/store/links.hpp"
#include "dr/store/state_store.hpp"
#include "tool_main.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "Show what a kafka-dr state file records: its schema version and every link (mirroring direction) "
      "with its clusters, state and epoch. Opening an older state file upgrades it; a file written by a "
      "newer kafka-dr is refused and left untouched.\n\n"
      "Examples:\n"
      "  dr-status --state /var/lib/kafka-dr/dr-state.db\n"
      "  DR_STATE=/var/lib/kafka-dr/dr-state.db dr-status --format json\n",
      "dr-status"};
  std::string state = dr::store::StateStore::default_path();
  std::string format = "text";
  std::string log_level;
  app.add_option("--state", state, "State file (default: $DR_STATE or ./dr-state.db)");
  app.add_option("--format", format, "Output: text or json")->check(CLI::IsMember({"text", "json"}))->default_val("text");
  dr::tools::add_log_level(app, log_level);
  app.footer(dr::tools::kExitCodesHelp);

  return dr::tools::run_tool(app, argc, argv, [&] {
    dr::log::set_level(dr::log::parse_level(log_level));
    auto store = dr::store::StateStore::open(state, {.create_if_missing = false});
    auto links = dr::store::list_links(store);
    if (format == "json") {
      nlohmann::json out{{"state_file", store.path()}, {"schema_version", store.schema_version()}, {"links", nlohmann::json::array()}};
      for (const auto& l : links) {
        out["links"].push_back({{"name", l.name},
                                {"source_cluster_id", l.source_cluster_id},
                                {"source_alias", l.source_alias},
                                {"target_cluster_id", l.target_cluster_id},
                                {"target_alias", l.target_alias},
                                {"state", dr::store::to_string(l.state)},
                                {"epoch", l.epoch},
                                {"updated_ms", l.updated_ms}});
      }
      fmt::print("{}\n", out.dump(2));
      return dr::exit_ok;
    }
    fmt::print("state file      {}\nschema version  {}\n", store.path(), store.schema_version());
    if (links.empty()) {
      fmt::print("links           none yet (dr-mirror records its link on first start)\n");
      return dr::exit_ok;
    }
    fmt::print("\n{:<30} {:<24} {:<24} {:<12} {}\n", "LINK", "SOURCE", "TARGET", "STATE", "EPOCH");
    for (const auto& l : links) {
      fmt::print("{:<30} {:<24} {:<24} {:<12} {}\n", l.name, l.source_alias, l.target_alias, dr::store::to_string(l.state), l.epoch);
    }
    return dr::exit_ok;
  });
}
