// What earlier runs of a failover did, read back from the audit rows: the fixed time, the epoch,
// and per group the offsets the newest verifying run committed.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "dr/store/audit.hpp"
#include "dr/store/links.hpp"
#include "dr/store/state_store.hpp"
#include "failover/previous_runs.hpp"

namespace {

dr::store::Link make_link(dr::store::StateStore& store) {
  dr::store::record_cluster(store, "src-id", "src", "s:9092");
  dr::store::record_cluster(store, "tgt-id", "tgt", "t:9092");
  return dr::store::ensure_link(store, "src-id", "tgt-id", "{topic}");
}

nlohmann::json group(const std::string& name, const std::string& status, int64_t offset) {
  return {{"group", name},
          {"status", status},
          {"partitions", nlohmann::json::array({{{"target_topic", "orders"}, {"partition", 0}, {"chosen_offset", offset}}})}};
}

// An audit row as run_failover writes it; an empty `groups` leaves the run unfinished.
void audit(dr::store::StateStore& store, int64_t link_id, int64_t epoch, int64_t at_ms, const std::string& at_text,
           const nlohmann::json& groups) {
  dr::store::AuditRecord r;
  r.link_id = link_id;
  r.kind = "failover";
  r.at_ms = at_ms;
  r.os_user = "op";
  r.host = "h";
  r.arguments = nlohmann::json{{"at", at_text}, {"at_ms", at_ms}, {"link_epoch", epoch}}.dump();
  r.plan = "{}";
  const int64_t id = dr::store::begin_audit(store, r);
  if (!groups.empty()) dr::store::finish_audit(store, id, nlohmann::json{{"groups", groups}}.dump(), "partial");
}

}  // namespace

TEST_CASE("previous runs: the first run fixes the time, the newest verifying run of each group counts") {
  auto store = dr::store::StateStore::open(":memory:");
  const auto link = make_link(store);
  const int64_t epoch = dr::store::fence_link(store, link.id, "test");
  const auto fenced = *dr::store::find_link_by_id(store, link.id);
  CHECK_FALSE(dr::failover::load_previous_failover(store, fenced).has_value());

  audit(store, link.id, epoch - 1, 111, "-1h", nlohmann::json::array({group("old", "verified", 1)}));  // another epoch
  audit(store, link.id, epoch, 1000, "-5m",
        nlohmann::json::array({group("a", "verified", 10), group("b", "skipped_active", 20), group("c", "failed", 30)}));
  audit(store, link.id, epoch, 1000, "-5m", nlohmann::json::array());  // unfinished: its commits are unknown
  audit(store, link.id, epoch, 1000, "-5m", nlohmann::json::array({group("a", "already_done", 10), group("c", "verified", 31)}));

  auto p = dr::failover::load_previous_failover(store, fenced);
  REQUIRE(p.has_value());
  CHECK(p->at_ms == 1000);
  CHECK(p->at_text == "-5m");
  CHECK(p->link_epoch == epoch);
  CHECK(p->verified.size() == 2);
  CHECK(p->verified.at("a").offsets.at({"orders", 0}) == 10);
  CHECK(p->verified.at("c").offsets.at({"orders", 0}) == 31);
  CHECK(p->verified.at("c").audit_id > p->verified.at("a").audit_id);
  CHECK_FALSE(p->verified.count("b"));
  CHECK_FALSE(p->verified.count("old"));
}
