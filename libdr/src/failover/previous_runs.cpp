#include "failover/previous_runs.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dr/error.hpp"
#include "dr/store/audit.hpp"

namespace dr::failover {

namespace {

nlohmann::json parse(const std::string& text, const store::AuditRecord& row, const char* what, const std::string& path) {
  if (text.empty()) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw_bad_input(fmt::format("audit row #{} has unreadable {} ({})", row.id, what, e.what()), {.file = path});
  }
}

}  // namespace

std::optional<PreviousFailover> load_previous_failover(store::StateStore& store, const store::Link& link) {
  std::optional<PreviousFailover> out;
  for (const store::AuditRecord& row : store::list_failovers(store, link.id)) {
    const nlohmann::json args = parse(row.arguments, row, "arguments", store.path());
    const int64_t epoch = args.value("link_epoch", link.epoch);
    if (epoch != link.epoch || !row.at_ms) continue;
    if (!out) {
      out.emplace();
      out->first_audit_id = row.id;
      out->link_epoch = epoch;
      out->at_ms = *row.at_ms;
      out->at_text = args.value("at", std::string());
      out->groups_pattern = row.groups_pattern;
      out->os_user = row.os_user;
      out->host = row.host;
    }
    // A run that did not finish has no result: what it committed is unknown, so it counts as not done.
    const nlohmann::json result = parse(row.result, row, "result", store.path());
    if (!result.contains("groups")) continue;
    try {
      for (const auto& g : result.at("groups")) {
        if (g.value("status", std::string()) != "verified") continue;
        CommittedGroup c;
        c.audit_id = row.id;
        for (const auto& p : g.at("partitions")) {
          c.offsets[{p.at("target_topic").get<std::string>(), p.at("partition").get<int32_t>()}] =
              p.at("chosen_offset").get<int64_t>();
        }
        out->verified[g.at("group").get<std::string>()] = std::move(c);
      }
    } catch (const nlohmann::json::exception& e) {
      throw_bad_input(fmt::format("audit row #{} has an unreadable result ({})", row.id, e.what()), {.file = store.path()});
    }
  }
  return out;
}

}  // namespace dr::failover
