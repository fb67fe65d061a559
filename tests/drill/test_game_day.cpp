// dr-drill run --scope groups (the game day) on the real test clusters: real groups over a real
// link. The dry run and the refusals change nothing; the unplanned game day kills the link's
// dr-mirror and fails the group over, and what it reports (RPO, lost, duplicates) is checked against
// what the group then really reads on the standby. The planned game day is runbook.game-day.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "dr/kafka/client.hpp"
#include "dr/store/links.hpp"
#include "dr/store/state_store.hpp"
#include "integration/mirrored_link.hpp"

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct GameDay : dr::test::MirroredLink {
  GameDay() : MirroredLink("gameday") {}

  dr::test::RunResult drill(const std::string& mode, std::vector<std::string> extra = {}) const {
    std::vector<std::string> args = {"run", "--scope", "groups", "--groups", "^" + group + "$", "--mode", mode,
                                     "--primary-config", primary_config, "--standby-config", standby_config, "--state",
                                     state, "--work-dir", dir.path + "/game-day-" + mode, "--format", "json",
                                     "--quiet-period", "1s", "--timeout-ms", "20000"};
    args.insert(args.end(), extra.begin(), extra.end());
    return dr::test::run_tool("dr-drill", args, 180s);
  }
  std::string standby_id() const {
    dr::kafka::Admin admin(dr::test::client_config(standby, dr::kafka::ClientRole::admin));
    return admin.cluster_id(10s);
  }
  dr::store::Link link() const {
    auto store = dr::store::StateStore::open(state, {.create_if_missing = false, .access = dr::store::Access::read_only});
    return dr::store::list_links(store).at(0);
  }
  bool standby_has_offsets() const {
    dr::kafka::Admin admin(dr::test::client_config(standby, dr::kafka::ClientRole::admin));
    return !admin.list_group_offsets(group, 10s).empty();
  }
};

}  // namespace

TEST_CASE("game day: the dry run shows the plan, and the refusals change nothing") {
  GameDay g;
  dr::test::read_as(g.primary, g.group, g.topic, 90);
  g.wait_checkpointed();

  const auto plan = g.drill("unplanned");
  INFO(plan.output);
  REQUIRE(plan.exit_code == 0);
  const auto report = json::parse(plan.out);
  CHECK(report.at("dry_run") == true);
  CHECK(report.at("link") == "primary->standby");
  CHECK_FALSE(report.at("partition_results").empty());  // the partitions the group has committed
  for (const auto& p : report.at("partition_results")) CHECK(p.at("group") == g.group);

  const auto no_confirm = g.drill("unplanned", {"--execute"});
  CHECK(no_confirm.exit_code == 2);
  CHECK(no_confirm.output.find("--confirm") != std::string::npos);
  const auto wrong = g.drill("unplanned", {"--execute", "--confirm", "not-the-standby"});
  CHECK(wrong.exit_code == 3);
  CHECK(wrong.output.find("is not the standby's cluster id") != std::string::npos);
  const auto bad_regex = g.drill("planned", {"--groups", "("});
  CHECK(bad_regex.exit_code == 2);
  CHECK(bad_regex.output.find("--groups") != std::string::npos);

  // Nothing happened: the link is active, the mirror runs, the standby has no offsets of the group.
  CHECK(g.link().state == dr::store::LinkState::active);
  CHECK(g.mirror->running());
  CHECK_FALSE(g.standby_has_offsets());
}

TEST_CASE("game day, unplanned: the link's mirror is killed, the RPO is counted, and the group loses nothing") {
  GameDay g;
  const auto before = dr::test::read_as(g.primary, g.group, g.topic, 120);
  REQUIRE(before.size() == 120);
  g.wait_checkpointed();
  // The mirror stalls, then 45 more records arrive: at the disaster they are on the primary only.
  REQUIRE(::kill(g.mirror->pid(), SIGSTOP) == 0);
  dr::test::produce(g.primary, dr::test::sequence(g.topic, 300, 45));

  const auto r = g.drill("unplanned", {"--execute", "--confirm", g.standby_id(), "--rpo-objective", "10m"});
  INFO(r.output);
  INFO(dr::test::read_file(g.mirror_log()));
  CHECK(r.exit_code == 0);
  const auto report = json::parse(r.out);
  CHECK(report.at("verdict") == "passed");
  CHECK(report.at("scope") == "groups");
  CHECK(report.at("rpo_records").get<int64_t>() == 45);
  CHECK(report.at("rpo_ms").get<int64_t>() > 0);
  CHECK(report.at("rto_commit_ms").get<int64_t>() > 0);
  CHECK(report.at("lost").get<int64_t>() == 0);
  CHECK(report.at("duplicates") == report.at("expected_duplicates"));
  CHECK(g.mirror->wait(10s) == -1);  // killed with SIGKILL by the drill
  CHECK(g.link().state == dr::store::LinkState::failed_over);

  // What the group really reads on the standby: everything mirrored it had not read, and as many
  // records twice as the report said.
  const auto after = dr::test::read_as(g.standby, g.group, g.topic, 1000);
  std::multiset<std::string> all(before.begin(), before.end());
  all.insert(after.begin(), after.end());
  std::set<std::string> distinct(all.begin(), all.end());
  CHECK(static_cast<int64_t>(all.size() - distinct.size()) == report.at("duplicates").get<int64_t>());
  for (int i = 0; i < 300; ++i) {
    const bool trimmed = i / dr::test::MirroredLink::kPartitions < dr::test::MirroredLink::kTrimmed;
    if (!trimmed) CHECK_MESSAGE(distinct.count("seq-" + std::to_string(i)) == 1, "seq-", i, " never read");
  }
  // The report files and the history row.
  CHECK(std::filesystem::exists(g.dir.path + "/game-day-unplanned/report.html"));
  const auto history = dr::test::run_tool("dr-drill", {"history", "--state", g.state, "--format", "json"});
  CHECK(history.out.find("\"scope\": \"groups\"") != std::string::npos);
}
