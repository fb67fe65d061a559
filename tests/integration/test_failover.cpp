// Checkpoints, dr-translate-offsets and dr-failover on real clusters: a group resumes on the
// standby without skipping a record it had not read, with the duplicates the plan predicted.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dr/kafka/client.hpp"
#include "dr/store/audit.hpp"
#include "dr/store/checkpoints.hpp"
#include "dr/store/links.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/store/state_store.hpp"
#include "dr/clock.hpp"
#include "dr/translate/time_input.hpp"
#include "integration/clusters.hpp"
#include "integration/data.hpp"
#include "integration/process.hpp"

using namespace std::chrono_literals;
using dr::kafka::Record;
using dr::test::Cluster;

namespace {

constexpr int kPartitions = 3;

// Records "id-N" with timestamps 10 ms apart, ending an hour ago.
std::vector<Record> make_records(const std::string& topic, int first, int n, int64_t base_ms) {
  std::vector<Record> out;
  for (int i = first; i < first + n; ++i) {
    out.push_back(Record{topic, i % kPartitions, -1, fmt::format("k{}", i), fmt::format("id-{}", i), {}, base_ms + i * 10LL, {}});
  }
  return out;
}

// Reads up to `per_partition` records of each partition from the start as `group`, then commits.
std::set<std::string> consume_and_commit(const Cluster& c, const std::string& group, const std::string& topic, int per_partition) {
  auto config = dr::test::client_config(c, dr::kafka::ClientRole::consumer);
  config.set_default("group.id", group);
  dr::kafka::Consumer consumer(config);
  std::vector<dr::kafka::TopicPartitionOffset> parts;
  for (int32_t p = 0; p < kPartitions; ++p) parts.push_back({topic, p, -2});
  consumer.assign(parts);
  std::map<int32_t, int64_t> next;
  std::set<std::string> seen;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    bool done = true;
    for (int32_t p = 0; p < kPartitions; ++p) done = done && next[p] >= per_partition;
    if (done) break;
    auto r = consumer.poll(200ms);
    if (!r || next[r->partition] >= per_partition) continue;
    seen.insert(*r->value);
    next[r->partition] = r->offset + 1;
  }
  std::vector<dr::kafka::TopicPartitionOffset> commit;
  for (auto& [p, o] : next) commit.push_back({topic, p, o});
  consumer.commit(commit);
  return seen;
}

// Resumes `group` from its committed offsets on the standby and reads to the end.
std::vector<std::string> resume(const Cluster& c, const std::string& group, const std::string& topic) {
  auto config = dr::test::client_config(c, dr::kafka::ClientRole::consumer);
  config.set_default("group.id", group);
  config.set_default("auto.offset.reset", "error");  // a missing commit must not look like success
  std::map<int32_t, int64_t> end;
  for (int32_t p = 0; p < kPartitions; ++p) end[p] = dr::test::end_offset(c, topic, p);
  dr::kafka::Consumer consumer(config);
  std::vector<dr::kafka::TopicPartitionOffset> parts;
  for (int32_t p = 0; p < kPartitions; ++p) parts.push_back({topic, p, -1000});
  consumer.assign(parts);
  std::map<int32_t, int64_t> pos;
  std::vector<std::string> out;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    bool done = true;
    for (int32_t p = 0; p < kPartitions; ++p) done = done && (pos.count(p) ? pos[p] : 0) >= end[p];
    if (done) break;
    auto r = consumer.poll(200ms);
    if (!r) continue;
    pos[r->partition] = r->offset + 1;
    out.push_back(*r->value);
  }
  return out;
}

std::map<std::pair<std::string, int32_t>, int64_t> committed_on(const Cluster& c, const std::string& group) {
  dr::kafka::Admin admin(dr::test::client_config(c, dr::kafka::ClientRole::admin));
  std::map<std::pair<std::string, int32_t>, int64_t> out;
  for (const auto& o : admin.list_group_offsets(group, 10s)) out[{o.topic, o.partition}] = o.offset;
  return out;
}

template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return false;
}

// A primary topic, a mirror that checkpoints, and helpers around the tools.
struct Scenario {
  Cluster primary = dr::test::cluster("primary");
  Cluster standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  std::string topic = dr::test::unique_topic("failover");
  std::string state = dir.path + "/dr-state.db";
  std::string log = dir.path + "/mirror.log";
  std::string standby_config = dir.path + "/standby.properties";
  dr::test::MirrorConfigs cfg;
  int64_t base_ms = dr::now_ms() - 3'600'000;
  std::unique_ptr<dr::test::Background> mirror;

  Scenario() {
    dr::test::create_topic(primary, topic, kPartitions);
    cfg = dr::test::write_mirror_configs(dir.path, primary, standby, topic + "-mirror");
    dr::test::write_file(standby_config, "bootstrap.servers=" + standby.bootstrap + "\n");
  }

  std::vector<std::string> mirror_args() const {
    return {"--consumer.config", cfg.consumer, "--producer.config", cfg.producer, "--include", topic, "--state", state,
            "--source-alias", "primary", "--target-alias", "standby", "--checkpoint-interval-ms", "300",
            "--offset.commit.interval.ms", "300", "--groups", topic + "-.*"};
  }
  void start_mirror() { mirror = std::make_unique<dr::test::Background>("dr-mirror", mirror_args(), log); }

  // Waits until the state file has the group's committed offsets on every partition.
  void wait_for_checkpoint(const std::string& group, const std::map<std::pair<std::string, int32_t>, int64_t>& expected) {
    REQUIRE_MESSAGE(eventually(
                        [&] {
                          auto store = dr::store::StateStore::open(state, {.create_if_missing = false});
                          auto links = dr::store::list_links(store);
                          if (links.empty()) return false;
                          std::map<std::pair<std::string, int32_t>, int64_t> got;
                          for (const auto& c : dr::store::latest_checkpoints(store, links[0].id)) {
                            if (c.group_id == group) got[{c.source_topic, c.partition}] = c.offset.value();
                          }
                          return got == expected;
                        },
                        60s),
                    dr::test::read_file(log));
  }
  void wait_caught_up() {
    REQUIRE_MESSAGE(eventually(
                        [&] {
                          for (int32_t p = 0; p < kPartitions; ++p) {
                            try {
                              if (dr::test::end_offset(standby, topic, p) != dr::test::end_offset(primary, topic, p)) return false;
                            } catch (const dr::Error&) {
                              return false;
                            }
                          }
                          return true;
                        },
                        60s),
                    dr::test::read_file(log));
  }
  // Waits until the state file maps every record the primary holds (the mapping is persisted
  // every commit interval, so it trails the copy a little).
  void wait_mapped() {
    REQUIRE_MESSAGE(eventually(
                        [&] {
                          auto store = dr::store::StateStore::open(state, {.create_if_missing = false});
                          auto links = dr::store::list_links(store);
                          if (links.empty()) return false;
                          for (int32_t p = 0; p < kPartitions; ++p) {
                            int64_t mapped = 0;
                            for (const auto& r : dr::store::load_segments(store, links[0].id, topic, p)) mapped += r.length;
                            if (mapped != dr::test::end_offset(primary, topic, p)) return false;
                          }
                          return true;
                        },
                        60s),
                    dr::test::read_file(log));
  }
  dr::test::RunResult failover(const std::string& at, std::vector<std::string> extra = {}) const {
    std::vector<std::string> args{"--state", state, "--target-config", standby_config, "--at", at, "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return dr::test::run_tool("dr-failover", args);
  }
};

nlohmann::json parse_json(const dr::test::RunResult& r) {
  INFO(r.output);
  return nlohmann::json::parse(r.out);  // stdout holds only the JSON document
}

}  // namespace

TEST_CASE("failover: a group resumes on the standby without skipping, duplicates equal the plan") {
  Scenario s;
  const std::string group = s.topic + "-orders", lagging = s.topic + "-lagging", replay = s.topic + "-replay";
  dr::test::produce(s.primary, make_records(s.topic, 0, 3000, s.base_ms));
  auto read_by_group = consume_and_commit(s.primary, group, s.topic, 400);  // 400 of 1000 per partition
  consume_and_commit(s.primary, lagging, s.topic, 20);                      // far behind
  auto read_by_replay = consume_and_commit(s.primary, replay, s.topic, 900);
  s.start_mirror();
  s.wait_caught_up();
  s.wait_mapped();
  s.wait_for_checkpoint(group, committed_on(s.primary, group));
  s.wait_for_checkpoint(lagging, committed_on(s.primary, lagging));
  s.wait_for_checkpoint(replay, committed_on(s.primary, replay));
  // More traffic, then the primary's data centre goes dark: the mirror dies mid-stream.
  std::thread more([&] { dr::test::produce(s.primary, make_records(s.topic, 3000, 3000, s.base_ms)); });
  std::this_thread::sleep_for(150ms);
  s.mirror->kill9();
  more.join();

  // dr-translate-offsets answers from the state file alone.
  auto tr = dr::test::run_tool("dr-translate-offsets", {"--state", s.state, "--group", group, "--format", "json"});
  INFO(tr.output);
  REQUIRE(tr.exit_code == 0);
  auto translated = parse_json(tr);
  INFO(dr::test::read_file(s.log));
  REQUIRE(translated["results"].size() == kPartitions);
  for (const auto& r : translated["results"]) {
    CHECK(r["precision"] == "exact");
    CHECK(r["offset"] == 400);  // a fresh standby: the same offsets
  }

  // Plan: the groups at the failover time "now"; the replay group at a time inside its data.
  const std::string at = std::to_string(dr::now_ms());
  auto plan = s.failover(at);
  INFO(plan.output);
  REQUIRE(plan.exit_code == 0);
  auto p = parse_json(plan);
  CHECK(p["executed"] == false);
  std::map<std::string, nlohmann::json> by_group;
  for (const auto& g : p["groups"]) by_group[g["group"]] = g;
  REQUIRE(by_group.count(group));
  for (const auto& part : by_group[group]["partitions"]) {
    CHECK(part["translated_offset"] == 400);
    CHECK(part["chosen_offset"] == 400);  // earlier than the time-based offset
    CHECK(part["basis"] == "checkpoint");
    CHECK(part["expected_duplicates"] == 0);
  }
  for (const auto& part : by_group[lagging]["partitions"]) {
    CHECK(part["chosen_offset"] == 20);  // a lagging group is not moved past its checkpoint
    CHECK(part["time_offset"].get<int64_t>() > 20);
  }
  // Nothing changed on a dry run.
  CHECK(committed_on(s.standby, group).empty());

  auto exec = s.failover(at, {"--execute", "--groups", s.topic + "-(orders|lagging)"});
  INFO(exec.output);
  REQUIRE(exec.exit_code == 0);
  auto done = parse_json(exec);
  CHECK(done["outcome"] == "done");
  for (const auto& g : done["groups"]) CHECK(g["status"] == "verified");

  // The group resumes on the standby: every record it had not read that reached the standby is
  // delivered, and exactly the predicted number of records it had read (zero) comes again.
  auto resumed = resume(s.standby, group, s.topic);
  std::set<std::string> on_standby;
  for (int32_t part = 0; part < kPartitions; ++part) {
    for (const auto& r : dr::test::read_partition(s.standby, s.topic, part)) on_standby.insert(*r.value);
  }
  std::set<std::string> resumed_set(resumed.begin(), resumed.end());
  int64_t duplicates = 0;
  for (const auto& v : resumed) duplicates += read_by_group.count(v);
  for (const auto& v : on_standby) {
    if (!read_by_group.count(v)) REQUIRE_MESSAGE(resumed_set.count(v), v << " was skipped");
  }
  CHECK(duplicates == 0);
  MESSAGE("failover: the group read ", read_by_group.size(), " records on the primary, ", resumed.size(),
          " on the standby after failover, ", duplicates, " duplicates (plan: 0); the standby holds ", on_standby.size(),
          " of 6000 records (the rest was lost with the mirror)");
  CHECK(committed_on(s.standby, lagging).at({s.topic, 0}) == 20);
}

TEST_CASE("failover --at a time before the checkpoint: the plan's duplicates are what the group reads again") {
  Scenario s;
  const std::string group = s.topic + "-replay";
  dr::test::produce(s.primary, make_records(s.topic, 0, 3000, s.base_ms));
  auto read = consume_and_commit(s.primary, group, s.topic, 900);
  s.start_mirror();
  s.wait_caught_up();
  s.wait_mapped();
  s.wait_for_checkpoint(group, committed_on(s.primary, group));
  s.mirror->terminate();
  REQUIRE(s.mirror->wait(60s) == 0);
  // Record i has timestamp base + 10 i: --at record 1500's time is offset 500 of each partition.
  const std::string at = std::to_string(s.base_ms + 1500 * 10);
  auto exec = s.failover(at, {"--execute"});
  INFO(exec.output);
  REQUIRE(exec.exit_code == 0);
  auto report = parse_json(exec);
  int64_t expected = 0;
  for (const auto& part : report["groups"][0]["partitions"]) {
    CHECK(part["basis"] == "time");
    CHECK(part["chosen_offset"] == 500);
    expected += part["expected_duplicates"].get<int64_t>();
  }
  CHECK(expected == 3 * 400);
  auto resumed = resume(s.standby, group, s.topic);
  int64_t duplicates = 0;
  for (const auto& v : resumed) duplicates += read.count(v);
  CHECK(duplicates == expected);
  MESSAGE("failover --at an earlier time: plan predicted ", expected, " duplicates, the group read ", duplicates, " again");
  // Running it again with the same arguments gives the same result.
  auto again = s.failover(at, {"--execute"});
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(parse_json(again)["repeated"] == true);
  CHECK(committed_on(s.standby, group).at({s.topic, 1}) == 500);
}

TEST_CASE("interop: dr-translate-offsets CSV fed to Kafka's consumer-group tool commits what dr-failover commits") {
  Scenario s;
  const std::string group = s.topic + "-interop";
  dr::test::produce(s.primary, make_records(s.topic, 0, 1500, s.base_ms));
  consume_and_commit(s.primary, group, s.topic, 123);
  s.start_mirror();
  s.wait_caught_up();
  s.wait_mapped();
  s.wait_for_checkpoint(group, committed_on(s.primary, group));
  s.mirror->terminate();
  REQUIRE(s.mirror->wait(60s) == 0);

  auto csv = dr::test::run_tool("dr-translate-offsets", {"--state", s.state, "--group", group, "--format", "csv"});
  INFO(csv.output);
  REQUIRE(csv.exit_code == 0);
  std::string lines;
  for (const auto& line : {0, 1, 2}) lines += fmt::format("{},{},123\n", s.topic, line);
  const std::string csv_only = csv.out;  // nothing but the CSV on stdout
  CHECK(csv_only == lines);
  const std::string csv_path = s.dir.path + "/reset.csv";
  dr::test::write_file(csv_path, csv_only);

  // Kafka's own tool, from the broker jars the harness already has, on a second group.
  const char* root = std::getenv("DR_SOURCE_DIR");
  const std::string script = std::string(root ? root : DR_DEFAULT_SOURCE_DIR) + "/scripts/kafka-clusters";
  const std::string kafka_group = group + "-kafka-tool";
  const std::string cmd = fmt::format(
      "'{}' run-class org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server {} --group {} "
      "--reset-offsets --from-file '{}' --execute 2>&1",
      script, s.standby.bootstrap, kafka_group, csv_path);
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe)) out.append(buf, n);
  const int rc = pclose(pipe);
  INFO(out);
  REQUIRE(rc == 0);

  auto exec = s.failover(std::to_string(dr::now_ms()), {"--execute"});
  INFO(exec.output);
  REQUIRE(exec.exit_code == 0);
  auto by_tool = committed_on(s.standby, kafka_group);
  auto by_failover = committed_on(s.standby, group);
  CHECK(by_tool.size() == kPartitions);
  CHECK(by_tool == by_failover);
}

TEST_CASE("failover refusals: each with its exit code and message, nothing committed") {
  Scenario s;
  const std::string group = s.topic + "-refusals";
  dr::test::produce(s.primary, make_records(s.topic, 0, 300, s.base_ms));
  consume_and_commit(s.primary, group, s.topic, 50);
  s.start_mirror();
  s.wait_caught_up();
  s.wait_mapped();
  s.wait_for_checkpoint(group, committed_on(s.primary, group));
  const std::string now = std::to_string(dr::now_ms());

  SUBCASE("malformed time: exit 2") {
    auto r = s.failover("2026-11-21T04:03:00");  // no zone
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("without a zone") != std::string::npos);
  }
  SUBCASE("unknown link: exit 2") {
    auto r = s.failover(now, {"--link", "nowhere->nothing"});
    CHECK(r.exit_code == 2);
    CHECK(r.output.find("unknown link 'nowhere->nothing'; the state file has: primary->standby") != std::string::npos);
  }
  SUBCASE("a config that points at the wrong cluster: exit 3") {
    dr::test::write_file(s.standby_config, "bootstrap.servers=" + s.primary.bootstrap + "\n");
    auto r = s.failover(now, {"--execute"});
    CHECK(r.exit_code == 3);
    CHECK(r.output.find("points at cluster " + s.primary.cluster_id) != std::string::npos);
  }
  SUBCASE("a group with live members on the standby is skipped by name; --all-or-nothing refuses") {
    auto config = dr::test::client_config(s.standby, dr::kafka::ClientRole::consumer);
    config.set_default("group.id", group);
    dr::kafka::Consumer live(config);
    live.subscribe({s.topic});
    for (int i = 0; i < 50; ++i) live.poll(100ms);  // join the group
    auto all = s.failover(now, {"--execute", "--all-or-nothing"});
    INFO(all.output);
    CHECK(all.exit_code == 3);
    CHECK(all.output.find("live members on the standby: " + group) != std::string::npos);
    auto some = s.failover(now, {"--execute"});
    INFO(some.output);
    CHECK(some.exit_code == 1);
    CHECK(parse_json(some)["groups"][0]["status"] == "skipped_active");
    live.close();
  }
  SUBCASE("a fenced link: the running mirror stops, a new one refuses, another failover time is refused") {
    auto r = s.failover(now, {"--execute"});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    CHECK(s.mirror->wait(30s) == 3);  // noticed the fence within seconds
    CHECK(dr::test::read_file(s.log).find("was fenced") != std::string::npos);
    auto restart = dr::test::run_tool("dr-mirror", s.mirror_args());
    CHECK(restart.exit_code == 3);
    CHECK(restart.output.find("is failed_over") != std::string::npos);
    const auto before = committed_on(s.standby, group);
    auto other = s.failover(std::to_string(dr::now_ms() - 60'000), {"--execute"});
    CHECK(other.exit_code == 3);
    CHECK(other.output.find("already failed over") != std::string::npos);
    CHECK(committed_on(s.standby, group) == before);
    return;
  }
  CHECK(committed_on(s.standby, group).empty());
}

namespace {

// A live member of `group` on `c` (it joins and stays until close()).
struct LiveMember {
  dr::kafka::Consumer consumer;
  LiveMember(const Cluster& c, const std::string& group, const std::string& topic)
      : consumer([&] {
          auto config = dr::test::client_config(c, dr::kafka::ClientRole::consumer);
          config.set_default("group.id", group);
          config.set_default("enable.auto.commit", "false");
          return config;
        }()) {
    consumer.subscribe({topic});
    for (int i = 0; i < 50; ++i) consumer.poll(100ms);  // join the group
  }
};

std::map<std::string, nlohmann::json> groups_by_name(const nlohmann::json& report) {
  std::map<std::string, nlohmann::json> out;
  for (const auto& g : report["groups"]) out[g["group"].get<std::string>()] = g;
  return out;
}

}  // namespace

TEST_CASE("finishing a partial failover: only the groups not done are moved, a group that moved on is left alone") {
  Scenario s;
  const std::string resumed = s.topic + "-resumed", busy = s.topic + "-busy", late = s.topic + "-late";
  dr::test::produce(s.primary, make_records(s.topic, 0, 1500, s.base_ms));
  consume_and_commit(s.primary, resumed, s.topic, 100);
  consume_and_commit(s.primary, busy, s.topic, 200);
  consume_and_commit(s.primary, late, s.topic, 300);
  s.start_mirror();
  s.wait_caught_up();
  s.wait_mapped();
  for (const auto& g : {resumed, busy, late}) s.wait_for_checkpoint(g, committed_on(s.primary, g));
  s.mirror->terminate();
  REQUIRE(s.mirror->wait(60s) == 0);

  // Two groups already have consumers on the standby: the first run moves only `resumed` (exit 1).
  auto busy_member = std::make_unique<LiveMember>(s.standby, busy, s.topic);
  auto late_member = std::make_unique<LiveMember>(s.standby, late, s.topic);
  const std::string at = std::to_string(dr::now_ms());
  auto first = s.failover(at, {"--execute"});
  INFO(first.output);
  REQUIRE(first.exit_code == 1);
  auto first_groups = groups_by_name(parse_json(first));
  CHECK(first_groups[resumed]["status"] == "verified");
  CHECK(first_groups[busy]["status"] == "skipped_active");
  CHECK(first_groups[late]["status"] == "skipped_active");
  CHECK(committed_on(s.standby, resumed).at({s.topic, 0}) == 100);

  // `resumed` resumes on the standby and commits further: it has moved on since our commit.
  {
    dr::kafka::Admin admin(dr::test::client_config(s.standby, dr::kafka::ClientRole::admin));
    std::vector<dr::kafka::GroupOffset> further;
    for (int32_t p = 0; p < kPartitions; ++p) further.push_back({s.topic, p, 100 + 7 * (p + 1)});
    REQUIRE(admin.alter_group_offsets({{resumed, further}}, 10s).empty());
  }
  const auto resumed_now = committed_on(s.standby, resumed);

  // `busy` is stopped; the original command again moves only `busy`: `resumed` moved on since the
  // failover and is left alone (before: every group re-committed, `resumed` rewound), `late` is
  // still active and skipped again.
  busy_member.reset();
  auto second = s.failover(at, {"--execute"});
  INFO(second.output);
  CHECK(second.exit_code == 1);
  auto second_groups = groups_by_name(parse_json(second));
  CHECK(second_groups[busy]["status"] == "verified");
  CHECK(second_groups[late]["status"] == "skipped_active");
  CHECK(second_groups[resumed]["status"] == "moved_on");
  CHECK(second_groups[resumed]["detail"].get<std::string>().find("moved on since the failover, left alone") != std::string::npos);
  CHECK(committed_on(s.standby, resumed) == resumed_now);
  CHECK(committed_on(s.standby, busy).at({s.topic, 2}) == 200);

  // Finish the last skipped group by name: allowed on the failed-over link, nothing else moves.
  late_member.reset();
  auto one = s.failover(at, {"--execute", "--groups", late});
  INFO(one.output);
  REQUIRE(one.exit_code == 0);  // before: exit 3, "a second failover with other arguments"
  auto one_groups = groups_by_name(parse_json(one));
  CHECK(one_groups.size() == 1);
  CHECK(one_groups[late]["status"] == "verified");
  CHECK(committed_on(s.standby, late).at({s.topic, 1}) == 300);
  CHECK(committed_on(s.standby, resumed) == resumed_now);

  // Once more, as the runbook says to: everything is done, nothing moves, exit 0.
  auto all = s.failover(at, {"--execute"});
  INFO(all.output);
  REQUIRE(all.exit_code == 0);
  auto all_groups = groups_by_name(parse_json(all));
  CHECK(all_groups[late]["status"] == "already_done");
  CHECK(all_groups[busy]["status"] == "already_done");
  CHECK(all_groups[resumed]["status"] == "moved_on");
  CHECK(committed_on(s.standby, resumed) == resumed_now);
  CHECK(committed_on(s.standby, late).at({s.topic, 1}) == 300);
  CHECK(committed_on(s.standby, busy).at({s.topic, 1}) == 200);

  // A different --at is still another failover: refused, nothing moves.
  auto other = s.failover(std::to_string(dr::now_ms() - 60'000), {"--execute", "--groups", late});
  CHECK(other.exit_code == 3);
  CHECK(committed_on(s.standby, late).at({s.topic, 1}) == 300);
}

TEST_CASE("failover --at relative: resolved once, recorded, and a rerun with the same text is the same failover") {
  Scenario s;
  const std::string group = s.topic + "-relative";
  dr::test::produce(s.primary, make_records(s.topic, 0, 600, s.base_ms));
  consume_and_commit(s.primary, group, s.topic, 50);
  s.start_mirror();
  s.wait_caught_up();
  s.wait_mapped();
  s.wait_for_checkpoint(group, committed_on(s.primary, group));
  s.mirror->terminate();
  REQUIRE(s.mirror->wait(60s) == 0);

  auto first = s.failover("-1m", {"--execute"});
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  const int64_t at_ms = parse_json(first)["at_ms"].get<int64_t>();
  std::this_thread::sleep_for(1500ms);  // "-1m" now means a later time
  auto again = s.failover("-1m", {"--execute"});
  INFO(again.output);
  REQUIRE(again.exit_code == 0);  // before: exit 3, "already failed over"
  auto report = parse_json(again);
  CHECK(report["at_ms"].get<int64_t>() == at_ms);
  CHECK(report["repeated"] == true);
  // The recorded time is in the state file's audit rows.
  auto store = dr::store::StateStore::open(s.state, {.create_if_missing = false});
  auto links = dr::store::list_links(store);
  REQUIRE(links.size() == 1);
  auto last = dr::store::last_failover(store, links[0].id);
  REQUIRE(last.has_value());
  CHECK(last->at_ms == at_ms);
  CHECK(nlohmann::json::parse(last->arguments)["at"] == "-1m");
  // Another relative text is another time: refused.
  auto other = s.failover("-2m", {"--execute"});
  CHECK(other.exit_code == 3);
}

TEST_CASE("failover audit row: secrets given on the command line are masked in the state file") {
  Scenario s;
  const std::string group = s.topic + "-secret";
  dr::test::produce(s.primary, make_records(s.topic, 0, 300, s.base_ms));
  consume_and_commit(s.primary, group, s.topic, 10);
  s.start_mirror();
  s.wait_caught_up();
  s.wait_mapped();
  s.wait_for_checkpoint(group, committed_on(s.primary, group));
  s.mirror->terminate();
  REQUIRE(s.mirror->wait(60s) == 0);
  // Three spellings of a secret on the command line; the standby needs none of them (PLAINTEXT).
  auto exec = s.failover(std::to_string(dr::now_ms()), {"--execute", "-X", "sasl.password=hunter2-split", "-Xsasl.password=hunter2-joined",
                                                        "-X", "ssl.key.password=hunter2-key"});
  INFO(exec.output);
  REQUIRE(exec.exit_code == 0);
  CHECK(exec.output.find("hunter2") == std::string::npos);
  auto store = dr::store::StateStore::open(s.state, {.create_if_missing = false});
  auto links = dr::store::list_links(store);
  REQUIRE(links.size() == 1);
  auto last = dr::store::last_failover(store, links[0].id);
  REQUIRE(last.has_value());
  INFO(last->arguments);
  CHECK(last->arguments.find("sasl.password=********") != std::string::npos);
  CHECK(last->arguments.find("ssl.key.password=********") != std::string::npos);
  // Nothing anywhere in the file (WAL included) holds the secrets.
  for (const std::string& file : {s.state, s.state + "-wal"}) {
    const std::string bytes = dr::test::read_file(file);
    CHECK_MESSAGE(bytes.find("hunter2") == std::string::npos, file);
  }
}
