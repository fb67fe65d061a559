// dr-failover --planned on real clusters: producers stop, the mirror copies everything, each
// group's current offset moves exactly: nothing lost, nothing read twice (counted by sequence number).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dr/clock.hpp"
#include "dr/kafka/client.hpp"
#include "dr/store/audit.hpp"
#include "dr/store/checkpoints.hpp"
#include "dr/store/links.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/store/state_store.hpp"
#include "integration/clusters.hpp"
#include "integration/data.hpp"
#include "integration/mirrored_link.hpp"
#include "integration/process.hpp"

using namespace std::chrono_literals;
using dr::kafka::Record;
using dr::test::Cluster;

namespace {

using dr::test::read_as;
constexpr int kPartitions = dr::test::MirroredLink::kPartitions;
constexpr int kTrimmed = dr::test::MirroredLink::kTrimmed;

std::vector<Record> sequence(const std::string& topic, int first, int n) { return dr::test::sequence(topic, first, n); }

struct Planned : dr::test::MirroredLink {
  Planned() : MirroredLink("planned") {}
  dr::test::RunResult switchover(std::vector<std::string> extra = {}, const std::string& quiet = "1s") const {
    std::vector<std::string> a{"--state", state, "--link", "primary->standby", "--planned", "--source-config",
                               primary_config, "--target-config", standby_config, "--quiet-period", quiet, "--format",
                               "json"};
    a.insert(a.end(), extra.begin(), extra.end());
    return dr::test::run_tool("dr-failover", a);
  }
  // Nothing of a switchover happened: the link is active, no failover is audited, the target has no
  // offsets for the group. (The state file's bytes change anyway: the running mirror writes to it.)
  void check_nothing_done() const {
    auto store = dr::store::StateStore::open(state, {.create_if_missing = false, .access = dr::store::Access::read_only});
    const auto link = dr::store::list_links(store).at(0);
    CHECK(link.state == dr::store::LinkState::active);
    CHECK(dr::store::list_failovers(store, link.id).empty());
    dr::kafka::Admin admin(dr::test::client_config(standby, dr::kafka::ClientRole::admin));
    CHECK(admin.list_group_offsets(group, 10s).empty());
  }
};

}  // namespace

TEST_CASE("planned switchover: the group resumes on the target with nothing lost and nothing read twice") {
  Planned s;
  auto before = read_as(s.primary, s.group, s.topic, 120);  // part of the data, committed
  REQUIRE(before.size() == 120);
  s.wait_checkpointed();
  dr::test::produce(s.primary, sequence(s.topic, 300, 150));  // more, while the mirror runs; then producers stop
  const auto r = s.switchover({"--execute", "--wait-timeout", "2m"});
  INFO(r.output);
  INFO(dr::test::read_file(s.dir.path + "/mirror.log"));
  REQUIRE(r.exit_code == 0);
  const auto report = nlohmann::json::parse(r.out);
  CHECK(report["planned"] == true);
  CHECK(report["outcome"] == "done");
  for (const auto& g : report["groups"]) {
    for (const auto& p : g["partitions"]) {
      CHECK(p["translation"] == "exact");
      CHECK(p["expected_duplicates"] == 0);
    }
  }
  CHECK(s.mirror->wait(30s) == 3);  // the fenced link's mirror stops by itself

  auto after = read_as(s.standby, s.group, s.topic, 1000);
  std::multiset<std::string> all(before.begin(), before.end());
  all.insert(after.begin(), after.end());
  std::set<std::string> expected;
  for (const auto& rec : sequence(s.topic, 0, 450)) expected.insert(*rec.value);
  // The trimmed records (kTrimmed per partition) were never readable on either side.
  for (int32_t p = 0; p < kPartitions; ++p) {
    for (int i = 0; i < kTrimmed; ++i) expected.erase(fmt::format("seq-{}", i * kPartitions + p));
  }
  std::set<std::string> distinct(all.begin(), all.end());
  CHECK(all.size() == distinct.size());  // duplicates: 0
  CHECK(distinct == expected);           // lost: 0
}

TEST_CASE("planned switchover: refusals change nothing") {
  Planned s;
  read_as(s.primary, s.group, s.topic, 30);
  s.wait_checkpointed();
  // --planned with --at is bad input, before anything is contacted.
  CHECK(s.switchover({"--at", "-5m"}).exit_code == 2);
  // A live member on the source.
  {
    auto config = dr::test::client_config(s.primary, dr::kafka::ClientRole::consumer);
    config.set_default("group.id", s.group);
    dr::kafka::Consumer live(config);
    live.subscribe({s.topic});
    for (int i = 0; i < 50; ++i) live.poll(100ms);
    const auto r = s.switchover({"--execute", "--wait-timeout", "5s"});
    INFO(r.output);
    CHECK(r.exit_code == 3);
    CHECK(r.output.find(s.group) != std::string::npos);
    s.check_nothing_done();
    live.close();
  }
  // Producers that never stop.
  {
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      for (int i = 1000; !stop; ++i) {
        dr::test::produce(s.primary, sequence(s.topic, i, 1));
        std::this_thread::sleep_for(100ms);
      }
    });
    // A quiet period longer than a test producer's slowest write (each is a new producer: up to a
    // second or more on a busy machine), or a slow write would pass for the producers having stopped.
    const auto r = s.switchover({"--execute", "--wait-timeout", "8s"}, "3s");
    stop = true;
    writer.join();
    INFO(r.output);
    CHECK(r.exit_code == 3);
    CHECK(r.output.find("still takes writes") != std::string::npos);
    s.check_nothing_done();
  }
  // No mirror running: the records written now are never copied.
  s.mirror->kill9();
  dr::test::produce(s.primary, sequence(s.topic, 5000, 30));
  const auto r = s.switchover({"--execute", "--wait-timeout", "4s"});
  INFO(r.output);
  CHECK(r.exit_code == 3);
  CHECK(r.output.find("is dr-mirror running") != std::string::npos);
  s.check_nothing_done();
}
