// The tools on a real SASL_SSL listener (SCRAM-SHA-512 over TLS, a CA made by openssl), as
// scripts/kafka-clusters start --sasl-ssl sets it up: mirror, translate and failover work; a wrong
// password fails at once and says "authentication failed"; the password appears in no output and
// not in the state file. The tests' own set-up and checks use the plaintext listener.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <nlohmann/json.hpp>

#include "dr/clock.hpp"
#include "dr/kafka/client.hpp"
#include "integration/clusters.hpp"
#include "integration/data.hpp"
#include "integration/process.hpp"

using namespace std::chrono_literals;
using dr::test::Cluster;

namespace {

constexpr int kPartitions = 3;

// SCRAM-SHA-512, except where librdkafka cannot do it: before 2.6.1 its SCRAM client-final message
// repeats the client nonce, which Kafka 4 rejects (librdkafka#4895; Debian 12 ships 2.0.2). There
// the listener's PLAIN mechanism (same users) carries the tools' SASL_SSL traffic, and the test
// checks that SCRAM is refused as "authentication failed" rather than anything vaguer.
bool scram_works_with(const std::string& kafka_version) {
  return kafka_version.starts_with("3.") || rd_kafka_version() >= 0x020601ff;
}

std::string mechanism() { return scram_works_with(dr::test::kafka_version("primary")) ? "SCRAM-SHA-512" : "PLAIN"; }

// A MirrorMaker-style client file for the SASL_SSL listener, written the way Java clients have it
// (sasl.jaas.config), plus the CA as librdkafka reads it.
std::string sasl_properties(const dr::test::SaslSslListener& l, const std::string& password, const std::string& extra = "",
                            const std::string& mech = mechanism()) {
  const char* module = mech == "PLAIN" ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                                       : "org.apache.kafka.common.security.scram.ScramLoginModule";
  return fmt::format(
      "bootstrap.servers={}\nsecurity.protocol=SASL_SSL\nsasl.mechanism={}\n"
      "sasl.jaas.config={} required username=\"{}\" password=\"{}\";\n"
      "ssl.ca.location={}\n{}",
      l.bootstrap, mech, module, l.user, password, l.ca_location, extra);
}

std::map<int32_t, int64_t> committed_on(const Cluster& c, const std::string& group) {
  dr::kafka::Admin admin(dr::test::client_config(c, dr::kafka::ClientRole::admin));
  std::map<int32_t, int64_t> out;
  for (const auto& o : admin.list_group_offsets(group, 10s)) out[o.partition] = o.offset;
  return out;
}

// Every byte of every file under `dir` that the test did not write itself (the state file, its
// -wal and -shm, logs), checked for `secret`.
void check_no_secret_in_files(const std::string& dir, const std::string& secret, const std::vector<std::string>& ours) {
  int checked = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string path = entry.path().string();
    if (std::find(ours.begin(), ours.end(), path) != ours.end()) continue;
    CAPTURE(path);
    CHECK(dr::test::read_file(path).find(secret) == std::string::npos);
    ++checked;
  }
  CHECK(checked >= 1);  // at least the state file
}

}  // namespace

TEST_CASE("SASL_SSL with SCRAM-SHA-512: dr-mirror, dr-translate-offsets and dr-failover work, and no secret reaches any output or the state file") {
  const Cluster primary = dr::test::cluster("primary");
  const Cluster standby = dr::test::cluster("standby");
  const auto primary_sasl = dr::test::sasl_ssl_listener("primary");
  const auto standby_sasl = dr::test::sasl_ssl_listener("standby");
  dr::test::TempDir dir;
  const std::string topic = dr::test::unique_topic("sasl");
  const std::string group = topic + "-app";
  const std::string state = dir.path + "/dr-state.db";
  dr::test::create_topic(primary, topic, kPartitions);
  std::vector<dr::kafka::Record> records;
  const int64_t base_ms = dr::now_ms() - 3'600'000;
  for (int i = 0; i < 3000; ++i) {
    records.push_back({topic, i % kPartitions, -1, fmt::format("k{}", i), fmt::format("id-{}", i), {}, base_ms + i * 10LL, {}});
  }
  dr::test::produce(primary, records);
  {  // the application's group read 400 records of each partition on the primary
    dr::kafka::Admin admin(dr::test::client_config(primary, dr::kafka::ClientRole::admin));
    std::vector<dr::kafka::GroupOffset> offsets;
    for (int32_t p = 0; p < kPartitions; ++p) offsets.push_back({topic, p, 400});
    REQUIRE(admin.alter_group_offsets({{group, offsets}}, 30s).empty());
  }

  const std::string consumer_file = dir.path + "/consumer.properties", producer_file = dir.path + "/producer.properties";
  const std::string standby_file = dir.path + "/standby.properties";
  dr::test::write_file(consumer_file, sasl_properties(primary_sasl, primary_sasl.password, "group.id=" + topic + "-mirror\n"));
  dr::test::write_file(producer_file, sasl_properties(standby_sasl, standby_sasl.password));
  dr::test::write_file(standby_file, sasl_properties(standby_sasl, standby_sasl.password));
  std::vector<dr::test::RunResult> outputs;
  MESSAGE("SASL_SSL on Kafka ", dr::test::kafka_version("primary"), " with librdkafka ", rd_kafka_version_str(), ": ", mechanism());
  const std::string scram_file = dir.path + "/scram.properties";
  if (mechanism() != "SCRAM-SHA-512") {  // the known incompatibility says what it is
    dr::test::write_file(scram_file, sasl_properties(standby_sasl, standby_sasl.password, "", "SCRAM-SHA-512"));
    auto r = dr::test::run_tool("dr-config", {"--config", scram_file, "--ping"});
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("authentication failed") != std::string::npos);
    outputs.push_back(r);
  }

  // dr-mirror copies everything and checkpoints the group, talking SASL_SSL to both clusters.
  auto mirror = dr::test::run_tool("dr-mirror",
                                   {"--consumer.config", consumer_file, "--producer.config", producer_file, "--include", topic,
                                    "--state", state, "--source-alias", "primary", "--target-alias", "standby", "--groups",
                                    topic + "-app", "--until-caught-up", "--offset.commit.interval.ms", "300"},
                                   300s);
  outputs.push_back(mirror);
  INFO(mirror.output);
  REQUIRE(mirror.exit_code == 0);
  for (int32_t p = 0; p < kPartitions; ++p) CHECK(dr::test::end_offset(standby, topic, p) == 1000);

  // dr-translate-offsets: the group from the state file, and a time looked up on the standby.
  auto tr = dr::test::run_tool("dr-translate-offsets",
                               {"--state", state, "--target-config", standby_file, "--group", group, "--format", "json"});
  outputs.push_back(tr);
  INFO(tr.output);
  REQUIRE(tr.exit_code == 0);
  auto translated = nlohmann::json::parse(tr.out);
  REQUIRE(translated["results"].size() == kPartitions);
  for (const auto& r : translated["results"]) CHECK(r["offset"] == 400);
  auto tr_at = dr::test::run_tool("dr-translate-offsets", {"--state", state, "--target-config", standby_file, "--topic", topic,
                                                           "--at", std::to_string(base_ms + 1500 * 10), "--format", "json"});
  outputs.push_back(tr_at);
  INFO(tr_at.output);
  CHECK(tr_at.exit_code == 0);

  // A wrong password: dr-failover and dr-translate-offsets stop at once and say why.
  const std::string wrong = "wrong-" + standby_sasl.password.substr(0, 8);
  const std::string wrong_file = dir.path + "/wrong.properties";
  dr::test::write_file(wrong_file, sasl_properties(standby_sasl, wrong));
  for (const std::string tool : {"dr-failover", "dr-translate-offsets"}) {
    CAPTURE(tool);
    std::vector<std::string> args{"--state", state, "--target-config", wrong_file, "--at", std::to_string(dr::now_ms())};
    if (tool == "dr-translate-offsets") args.insert(args.end(), {"--topic", topic});
    const auto t0 = std::chrono::steady_clock::now();
    auto r = dr::test::run_tool(tool, args);
    const auto took = std::chrono::steady_clock::now() - t0;
    INFO(r.output);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("authentication failed") != std::string::npos);
    CHECK(r.output.find(standby_sasl.bootstrap) != std::string::npos);  // names the cluster
    CHECK(r.output.find(wrong) == std::string::npos);
    CHECK(took < 20s);  // not the whole request timeout (30 s) of an unreachable cluster
    outputs.push_back(r);
  }

  // dr-failover plans and executes through SASL_SSL; the group resumes at 400 on the standby.
  auto fo = dr::test::run_tool("dr-failover", {"--state", state, "--target-config", standby_file, "--at",
                                               std::to_string(dr::now_ms()), "--execute", "--format", "json"});
  outputs.push_back(fo);
  INFO(fo.output);
  REQUIRE(fo.exit_code == 0);
  CHECK(nlohmann::json::parse(fo.out)["outcome"] == "done");
  auto on_standby = committed_on(standby, group);
  REQUIRE(on_standby.size() == kPartitions);
  for (const auto& [p, offset] : on_standby) CHECK(offset == 400);
  // dr-status reads the state file; shown here only to check its output too.
  outputs.push_back(dr::test::run_tool("dr-status", {"--state", state}));

  for (const auto& r : outputs) {
    CHECK(r.output.find(primary_sasl.password) == std::string::npos);
    CHECK(r.out.find(primary_sasl.password) == std::string::npos);
    CHECK(r.output.find(standby_sasl.password) == std::string::npos);
  }
  for (const auto& secret : {primary_sasl.password, standby_sasl.password}) {
    check_no_secret_in_files(dir.path, secret, {consumer_file, producer_file, standby_file, wrong_file, scram_file});
  }
}

TEST_CASE("SASL_SSL: dr-mirror with a wrong password exits 1 at once saying authentication failed, not after the unreachable timeout") {
  const Cluster primary = dr::test::cluster("primary");
  const auto primary_sasl = dr::test::sasl_ssl_listener("primary");
  const auto standby_sasl = dr::test::sasl_ssl_listener("standby");
  dr::test::TempDir dir;
  const std::string topic = dr::test::unique_topic("sasl-wrong");
  dr::test::create_topic(primary, topic, 1);
  const std::string wrong = "not-" + primary_sasl.password;
  const std::string consumer_file = dir.path + "/consumer.properties", producer_file = dir.path + "/producer.properties";
  dr::test::write_file(consumer_file, sasl_properties(primary_sasl, wrong, "group.id=" + topic + "-mirror\n"));
  dr::test::write_file(producer_file, sasl_properties(standby_sasl, standby_sasl.password));
  const auto t0 = std::chrono::steady_clock::now();
  auto r = dr::test::run_tool("dr-mirror",
                              {"--consumer.config", consumer_file, "--producer.config", producer_file, "--include", topic, "--state",
                               dir.path + "/dr-state.db", "--unreachable-timeout-ms", "120000"},
                              180s);
  const auto took = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0);
  INFO(r.output);
  MESSAGE("dr-mirror with a wrong SASL password exited ", r.exit_code, " after ", took.count(), " s");
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("authentication failed") != std::string::npos);
  CHECK(r.output.find("source cluster") != std::string::npos);
  CHECK(r.output.find(primary_sasl.bootstrap) != std::string::npos);
  CHECK(r.output.find("unreachable") == std::string::npos);  // not reported as an outage
  CHECK(r.output.find(wrong) == std::string::npos);
  CHECK(took < 20s);  // a generous bound: the outage path takes the whole 120 s
}

TEST_CASE("SASL_SSL: a principal the ACLs deny reading the topic stops dr-mirror at once with exit 1 saying not authorized") {
  const Cluster primary = dr::test::cluster("primary");
  const auto primary_sasl = dr::test::sasl_ssl_listener("primary");
  const auto standby_sasl = dr::test::sasl_ssl_listener("standby");
  dr::test::TempDir dir;
  const std::string topic = dr::test::unique_topic("sasl-denied");
  dr::test::create_topic(primary, topic, 1);
  dr::test::produce(primary, {{topic, 0, -1, std::string("k"), std::string("v"), {}, dr::now_ms(), {}}});
  // The denied user may see the topic but not read it. (AclCommand moved to the tools in Kafka 4.)
  const std::string acl_class =
      dr::test::kafka_version("primary").starts_with("3.") ? "kafka.admin.AclCommand" : "org.apache.kafka.tools.AclCommand";
  const std::string acl_base = fmt::format("--bootstrap-server {} --add --topic {} --force", primary.bootstrap, topic);
  dr::test::run_kafka_class(acl_class, acl_base + " --allow-principal User:" + primary_sasl.denied_user + " --operation Describe");
  dr::test::run_kafka_class(acl_class, acl_base + " --deny-principal User:" + primary_sasl.denied_user + " --operation Read");

  dr::test::SaslSslListener denied = primary_sasl;
  denied.user = primary_sasl.denied_user;
  const std::string consumer_file = dir.path + "/consumer.properties", producer_file = dir.path + "/producer.properties";
  dr::test::write_file(consumer_file, sasl_properties(denied, denied.password, "group.id=" + topic + "-mirror\n"));
  dr::test::write_file(producer_file, sasl_properties(standby_sasl, standby_sasl.password));
  const auto t0 = std::chrono::steady_clock::now();
  auto r = dr::test::run_tool("dr-mirror",
                              {"--consumer.config", consumer_file, "--producer.config", producer_file, "--include", topic, "--state",
                               dir.path + "/dr-state.db", "--until-caught-up", "--unreachable-timeout-ms", "120000"},
                              180s);
  const auto took = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0);
  INFO(r.output);
  MESSAGE("dr-mirror as a principal denied Read exited ", r.exit_code, " after ", took.count(), " s");
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("not authorized") != std::string::npos);
  CHECK(r.output.find(primary_sasl.bootstrap) != std::string::npos);
  CHECK(took < 60s);
}
