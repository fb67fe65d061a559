// dr-drill run against the real test clusters, as an operator runs it: the injected faults make the
// drill fail with the reason (exit 4), and the refusals happen before anything is created (exit 3).
// The passing drill with production traffic beside it is tests/runbooks/test_drill_runbook.sh; the
// --local rehearsal is the ctest `drill.local`.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dr/kafka/client.hpp"
#include "integration/clusters.hpp"
#include "integration/process.hpp"

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct DrillRun {
  dr::test::RunResult result;
  json report;  // report.json (null when none was written)
  std::string work_dir;
};

class DrillFixture {
 public:
  DrillFixture() {
    char tmpl[] = "/tmp/dr-drill-test-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir_ = tmpl;
    write_properties("primary", dr::test::cluster("primary"));
    write_properties("standby", dr::test::cluster("standby"));
    canary_ = dr::test::unique_topic("drill-canary");
  }
  ~DrillFixture() { std::filesystem::remove_all(dir_); }

  std::string properties(const std::string& name) const { return dir_ + "/" + name + ".properties"; }
  const std::string& canary() const { return canary_; }
  std::string state() const { return dir_ + "/dr-state.db"; }

  // `fault` is the DR_DRILL_FAULT test hook ("" for none).
  // `standby`: the properties file given as --standby-config.
  DrillRun run(const std::string& fault, std::vector<std::string> extra = {}, const std::string& name = "drill",
               const std::string& standby = "standby") {
    DrillRun out;
    out.work_dir = work_dir(name);
    auto args = arguments(name, standby);
    args.insert(args.end(), extra.begin(), extra.end());
    if (fault.empty()) {
      unsetenv("DR_DRILL_FAULT");
    } else {
      setenv("DR_DRILL_FAULT", fault.c_str(), 1);
    }
    out.result = dr::test::run_tool("dr-drill", args, 240s);
    unsetenv("DR_DRILL_FAULT");
    out.report = report(name);
    return out;
  }

  std::string work_dir(const std::string& name) const { return dir_ + "/" + name; }
  std::vector<std::string> arguments(const std::string& name, const std::string& standby = "standby") const {
    return {"run", "--primary-config", properties("primary"), "--standby-config", properties(standby), "--state", state(),
            "--work-dir", work_dir(name), "--canary-topic", canary_, "--canary-group", canary_ + "-group", "--warmup", "4s",
            "--timeout-ms", "20000", "--format", "json"};
  }
  // The drill's report.json (null when none was written).
  json report(const std::string& name) const {
    const auto path = work_dir(name) + "/report.json";
    return std::filesystem::exists(path) ? json::parse(dr::test::read_file(path)) : json();
  }

 private:
  void write_properties(const std::string& name, const dr::test::Cluster& c) {
    std::ofstream(properties(name)) << "bootstrap.servers=" << c.bootstrap << "\n";
  }
  std::string dir_;
  std::string canary_;
};

bool topic_exists(const std::string& cluster, const std::string& topic) {
  dr::kafka::Admin admin(dr::test::client_config(dr::test::cluster(cluster), dr::kafka::ClientRole::admin), cluster);
  for (const auto& t : admin.list_topics(10s))
    if (t.name == topic) return true;
  return false;
}

std::string reasons(const json& report) {
  std::string out;
  for (const auto& r : report.at("reasons")) out += r.get<std::string>() + "\n";
  return out;
}

// A failed drill still cleans up: its canary topic is gone from both clusters.
void check_cleaned_up(const DrillFixture& f) {
  CHECK_FALSE(topic_exists("primary", f.canary()));
  CHECK_FALSE(topic_exists("standby", f.canary()));
}

}  // namespace

TEST_CASE("drill fault: a canary mirror that lags beyond the RPO objective fails the drill, saying so") {
  DrillFixture f;
  auto d = f.run("mirror-lag", {"--rpo-objective", "1s"});
  INFO(d.result.output);
  CHECK(d.result.exit_code == 4);
  REQUIRE(d.report.is_object());
  CHECK(d.report.at("verdict") == "failed");
  CHECK(d.report.at("rpo_records").get<int64_t>() > 0);
  CHECK(d.report.at("rpo_ms").get<int64_t>() > 1000);
  CHECK(d.report.at("lost").get<int64_t>() == 0);  // late is not lost: the failover still resumes correctly
  CHECK(reasons(d.report).find("exceeds the objective 1.0 s") != std::string::npos);
  CHECK(d.result.out.find("\"verdict\": \"failed\"") != std::string::npos);
  check_cleaned_up(f);
}

TEST_CASE("drill fault: a standby that refuses the canary group's commit fails the drill at that step") {
  DrillFixture f;
  auto d = f.run("standby-busy");
  INFO(d.result.output);
  CHECK(d.result.exit_code == 4);
  REQUIRE(d.report.is_object());
  CHECK(d.report.at("verdict") == "failed");
  const auto why = reasons(d.report);
  CHECK(why.find("step 'offsets committed on the standby (dr-failover --execute)' failed") != std::string::npos);
  CHECK(d.report.at("rto_ms").get<int64_t>() == -1);
  bool commit_failed = false;
  for (const auto& s : d.report.at("steps"))
    if (s.at("name") == "commit") commit_failed = !s.at("ok").get<bool>();
  CHECK(commit_failed);
  check_cleaned_up(f);
}

TEST_CASE("drill fault: a canary record deleted on the standby before the group reaches it is reported lost") {
  DrillFixture f;
  auto d = f.run("delete-on-standby");
  INFO(d.result.output);
  CHECK(d.result.exit_code == 4);
  REQUIRE(d.report.is_object());
  CHECK(d.report.at("verdict") == "failed");
  CHECK(d.report.at("lost").get<int64_t>() > 0);
  const auto why = reasons(d.report);
  CHECK(why.find("were never read by the canary group: partition ") != std::string::npos);
  // The lost records are listed by partition and standby offset, in the JSON and the Markdown report.
  int64_t listed = 0;
  for (const auto& p : d.report.at("partition_results")) listed += static_cast<int64_t>(p.at("lost").size());
  CHECK(listed == d.report.at("lost").get<int64_t>());
  CHECK(dr::test::read_file(d.work_dir + "/report.md").find("## Lost records") != std::string::npos);
  check_cleaned_up(f);
}

TEST_CASE("drill refusals: the same cluster twice, and a canary topic the drill did not create, change nothing") {
  DrillFixture f;
  {
    auto d = f.run("", {}, "same", "primary");
    INFO(d.result.output);
    CHECK(d.result.exit_code == 3);
    CHECK(d.result.output.find("reach the same cluster") != std::string::npos);
    CHECK_FALSE(topic_exists("primary", f.canary()));
  }
  {
    // Someone's topic with the canary's name: the drill must not use (or delete) it.
    dr::kafka::Admin admin(dr::test::client_config(dr::test::cluster("primary"), dr::kafka::ClientRole::admin), "primary");
    admin.create_topic(f.canary(), 1, 1, {}, 20s);
    auto d = f.run("", {}, "foreign");
    INFO(d.result.output);
    CHECK(d.result.exit_code == 3);
    CHECK(d.result.output.find("no drill in this state file created it") != std::string::npos);
    CHECK(topic_exists("primary", f.canary()));
    CHECK_FALSE(topic_exists("standby", f.canary()));
    admin.delete_topic(f.canary(), 20s);
  }
}

TEST_CASE("drill interrupted: SIGTERM during the warm-up stops the drill, which cleans up and is recorded as failed") {
  DrillFixture f;
  auto args = f.arguments("interrupted");
  *(std::find(args.begin(), args.end(), "--warmup") + 1) = "60s";  // SIGTERM arrives well inside it
  dr::test::Background drill("dr-drill", args, f.work_dir("interrupted") + ".log");
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!topic_exists("primary", f.canary()) && drill.running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
  }
  REQUIRE(topic_exists("primary", f.canary()));
  std::this_thread::sleep_for(3s);  // the canary mirror is up and copying
  drill.terminate();
  const int code = drill.wait(90s);
  INFO(dr::test::read_file(f.work_dir("interrupted") + ".log"));
  CHECK(code == 4);
  const json report = f.report("interrupted");
  REQUIRE(report.is_object());
  CHECK(report.at("verdict") == "failed");
  CHECK(reasons(report).find("interrupted by SIGTERM") != std::string::npos);
  CHECK(report.at("disaster_ms").get<int64_t>() == 0);  // it stopped before the disaster
  // The canary dr-mirror it started is gone, and so is the canary topic.
  std::string mirror_pid;
  for (const auto& s : report.at("steps")) {
    const auto detail = s.at("detail").get<std::string>();
    if (const auto at = detail.find("dr-mirror pid "); at != std::string::npos) {
      mirror_pid = detail.substr(at + 14, detail.find(' ', at + 14) - at - 14);
    }
  }
  REQUIRE_FALSE(mirror_pid.empty());
  CHECK_FALSE(std::filesystem::exists("/proc/" + mirror_pid));
  check_cleaned_up(f);
  const auto history = dr::test::run_tool("dr-drill", {"history", "--state", f.state(), "--format", "json"});
  CHECK(history.out.find("\"verdict\": \"failed\"") != std::string::npos);
}
