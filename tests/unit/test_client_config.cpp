#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "dr/error.hpp"
#include "dr/kafka/client.hpp"
#include "dr/kafka/config.hpp"

using dr::kafka::ClientConfig;
using dr::kafka::ClientRole;
using dr::kafka::ConfigOrigin;

namespace {

struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& content) {
    static int n = 0;
    path = std::filesystem::temp_directory_path() / ("dr-config-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".properties");
    std::ofstream(path) << content;
  }
  ~TempFile() { std::filesystem::remove(path); }
};

const ConfigOrigin kTest{.file = "t.properties", .line = 7, .flag = {}};

bool has_warning_about(const ClientConfig& c, std::string_view word) {
  for (const auto& w : c.warnings()) {
    if (w.message.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("config: librdkafka keys pass through and later settings win") {
  TempFile f("bootstrap.servers=a:9092\nlinger.ms=5\nlinger.ms=10\n");
  ClientConfig c(ClientRole::producer);
  c.apply_file(f.path.string());
  CHECK(c.get("bootstrap.servers") == "a:9092");
  CHECK(c.get("linger.ms") == "10");
  c.apply_override("linger.ms=50");
  CHECK(c.get("linger.ms") == "50");
  CHECK(c.find("linger.ms")->origin.to_string() == "-X");
  CHECK(c.find("bootstrap.servers")->origin.to_string() == f.path.string() + ":1");
}

TEST_CASE("config: an unknown key is bad input naming file and line") {
  TempFile f("bootstrap.servers=a:9092\n\nno.such.property=1\n");
  ClientConfig c(ClientRole::consumer);
  try {
    c.apply_file(f.path.string());
    FAIL("expected an error");
  } catch (const dr::Error& e) {
    CHECK(e.kind() == dr::ErrorKind::bad_input);
    CHECK(e.context().file == f.path.string());
    CHECK(e.context().line == 3);
    CHECK(std::string(e.what()).find("no.such.property") != std::string::npos);
  }
}

TEST_CASE("config: an invalid value is bad input, -X errors name the flag") {
  ClientConfig c(ClientRole::producer);
  CHECK_THROWS_AS(c.set("acks", "sometimes", kTest), dr::Error);
  try {
    c.apply_override("linger.ms=forever");
    FAIL("expected an error");
  } catch (const dr::Error& e) {
    CHECK(e.context().flag == "-X");
    CHECK(std::string(e.what()).find("linger.ms") != std::string::npos);
  }
  CHECK_THROWS_AS(c.apply_override("novalue"), dr::Error);
  CHECK_THROWS_AS(c.apply_override("=x"), dr::Error);
}

TEST_CASE("config: Java (de)serializers and plug-ins are ignored with a warning") {
  ClientConfig c(ClientRole::consumer);
  c.set("key.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer", kTest);
  c.set("value.deserializer", "org.apache.kafka.common.serialization.ByteArrayDeserializer", kTest);
  c.set("interceptor.classes", "com.example.Interceptor", kTest);
  CHECK(c.entries().empty());
  REQUIRE(c.warnings().size() == 3);
  CHECK(c.warnings()[0].origin.line == 7);
  CHECK(has_warning_about(c, "key.deserializer"));
}

TEST_CASE("config: Java assignor class names map to librdkafka names") {
  ClientConfig c(ClientRole::consumer);
  c.set("partition.assignment.strategy", "org.apache.kafka.clients.consumer.RangeAssignor", kTest);
  CHECK(c.get("partition.assignment.strategy") == "range");
  c.set("partition.assignment.strategy", "org.apache.kafka.clients.consumer.CooperativeStickyAssignor", kTest);
  CHECK(c.get("partition.assignment.strategy") == "cooperative-sticky");
  c.set("partition.assignment.strategy",
        "org.apache.kafka.clients.consumer.RangeAssignor, org.apache.kafka.clients.consumer.RoundRobinAssignor", kTest);
  CHECK(c.get("partition.assignment.strategy") == "range,roundrobin");
  c.set("partition.assignment.strategy", "org.apache.kafka.clients.consumer.StickyAssignor", kTest);
  CHECK(c.get("partition.assignment.strategy") == "cooperative-sticky");
  CHECK(has_warning_about(c, "StickyAssignor"));
  CHECK_THROWS_AS(c.set("partition.assignment.strategy", "com.example.MyAssignor", kTest), dr::Error);
}

TEST_CASE("config: renamed Java keys") {
  ClientConfig c(ClientRole::producer);
  c.set("receive.buffer.bytes", "-1", kTest);
  CHECK(c.get("socket.receive.buffer.bytes") == "0");
  c.set("send.buffer.bytes", "131072", kTest);
  CHECK(c.get("socket.send.buffer.bytes") == "131072");
  c.set("max.request.size", "2097152", kTest);
  CHECK(c.get("message.max.bytes") == "2097152");
  c.set("buffer.memory", "33554432", kTest);
  CHECK(c.get("queue.buffering.max.kbytes") == "32768");
  CHECK_THROWS_AS(c.set("buffer.memory", "lots", kTest), dr::Error);
  c.set("ssl.endpoint.identification.algorithm", "", kTest);
  CHECK(c.get("ssl.endpoint.identification.algorithm") == "none");
  CHECK_FALSE(c.get("receive.buffer.bytes").has_value());
}

TEST_CASE("config: sasl.jaas.config for PLAIN and SCRAM becomes sasl.username/sasl.password") {
  ClientConfig c(ClientRole::consumer);
  c.set("sasl.jaas.config",
        "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"mirror\" password=\"s3c\\\"ret\";",
        kTest);
  CHECK(c.get("sasl.username") == "mirror");
  CHECK(c.get("sasl.password") == "s3c\"ret");
  CHECK_THROWS_AS(c.set("sasl.jaas.config", "com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true;", kTest),
                  dr::Error);
  CHECK_THROWS_AS(c.set("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"x", kTest),
                  dr::Error);
}

TEST_CASE("config: Java truststores and JKS keystores are refused with a way out") {
  ClientConfig c(ClientRole::consumer);
  try {
    c.set("ssl.truststore.location", "/etc/kafka/truststore.jks", kTest);
    FAIL("expected an error");
  } catch (const dr::Error& e) {
    CHECK(std::string(e.what()).find("ssl.ca.location") != std::string::npos);
    CHECK(e.context().line == 7);
  }
  CHECK_THROWS_AS(c.set("ssl.keystore.type", "JKS", kTest), dr::Error);
  c.set("ssl.keystore.type", "PKCS12", kTest);
  CHECK(c.entries().empty());
}

TEST_CASE("config: a keystore that is not PKCS#12, with no ssl.keystore.type, is refused naming FILE:LINE") {
  TempFile keystore(std::string("\xfe\xed\xfe\xed\x00\x00\x00\x02", 8));  // JKS magic
  TempFile f("security.protocol=SSL\nssl.keystore.location=" + keystore.path.string() + "\nssl.keystore.password=x\n");
  ClientConfig c(ClientRole::consumer);
  try {
    c.apply_file(f.path.string());
    FAIL("expected an error");
  } catch (const dr::Error& e) {
    CHECK(e.kind() == dr::ErrorKind::bad_input);
    CHECK(e.context().file == f.path.string());
    CHECK(e.context().line == 2);
    CHECK(std::string(e.what()).find("JKS") != std::string::npos);
    CHECK(std::string(e.what()).find("keytool -importkeystore") != std::string::npos);
  }
}

TEST_CASE("config: check() refuses idempotence without acks=all, naming the acks line") {
  TempFile f("bootstrap.servers=a:9092\nacks=1\nenable.idempotence=true\n");
  for (ClientRole role : {ClientRole::producer, ClientRole::consumer, ClientRole::admin}) {
    ClientConfig c(role);
    c.apply_file(f.path.string());  // each line is fine on its own
    try {
      c.check();
      FAIL("expected an error");
    } catch (const dr::Error& e) {
      CHECK(e.context().line == 2);
      CHECK(std::string(e.what()).find("enable.idempotence=true (" + f.path.string() + ":3) needs acks=all") !=
            std::string::npos);
    }
  }
  ClientConfig producer(ClientRole::producer);  // kafka-dr's producers default to idempotence
  producer.set("acks", "1", kTest);
  CHECK_THROWS_AS(producer.check(), dr::Error);
  producer.set("enable.idempotence", "false", kTest);
  producer.check();
  ClientConfig consumer(ClientRole::consumer);
  consumer.set("acks", "1", kTest);
  consumer.check();
  ClientConfig all(ClientRole::producer);
  all.set("acks", "all", kTest);
  all.set("enable.idempotence", "true", kTest);
  all.check();
  all.set("request.required.acks", "-1", kTest);
  all.check();
  all.set("max.in.flight.requests.per.connection", "6", kTest);
  CHECK_THROWS_AS(all.check(), dr::Error);
  all.set("max.in.flight.requests.per.connection", "5", kTest);
  all.set("retries", "0", kTest);
  CHECK_THROWS_AS(all.check(), dr::Error);
}

TEST_CASE("config: check() refuses settings librdkafka orders at start, naming both") {
  const ConfigOrigin line3{.file = "c.properties", .line = 3, .flag = {}};
  const ConfigOrigin line4{.file = "c.properties", .line = 4, .flag = {}};
  auto refusal = [](const ClientConfig& c) -> std::string {
    try {
      c.check();
    } catch (const dr::Error& e) {
      return e.what();
    }
    return {};
  };
  ClientConfig consumer(ClientRole::consumer);
  consumer.set("session.timeout.ms", "300001", line3);  // above librdkafka's max.poll.interval.ms default
  CHECK(refusal(consumer).find("c.properties:3: session.timeout.ms=300001 (c.properties:3) must be at most "
                               "max.poll.interval.ms=300000 (librdkafka's default)") == 0);
  consumer.set("max.poll.interval.ms", "400000", line4);
  CHECK(refusal(consumer).empty());
  consumer.set("fetch.max.bytes", "500000", line3);  // below message.max.bytes' default: dr-mirror lowers that
  CHECK(refusal(consumer).empty());
  consumer.set("message.max.bytes", "600000", line4);
  CHECK(refusal(consumer).find("c.properties:3: message.max.bytes=600000 (c.properties:4) must be at most fetch.max.bytes") == 0);
  ClientConfig admin(ClientRole::admin);  // kafka-dr's admin client is a consumer-type handle
  admin.set("session.timeout.ms", "300001", line3);
  CHECK_FALSE(refusal(admin).empty());

  ClientConfig producer(ClientRole::producer);
  producer.set("session.timeout.ms", "300001", line3);  // a consumer setting: not the producer's concern
  CHECK(refusal(producer).empty());
  producer.set("linger.ms", "100", line3);
  producer.set("delivery.timeout.ms", "100", line4);
  CHECK(refusal(producer).find("c.properties:4: linger.ms=100 (c.properties:3) must be below delivery.timeout.ms=100") == 0);
  producer.set("delivery.timeout.ms", "0", line4);  // 0: no timeout
  CHECK(refusal(producer).empty());
}

TEST_CASE("config: check() runs when a client is built, and a keystore needs its password") {
  TempFile keystore(std::string("\x30\x82\x01\x00\x02\x01\x03", 7));  // PKCS#12 header
  ClientConfig c(ClientRole::consumer);
  c.set("ssl.keystore.location", keystore.path.string(), kTest);
  CHECK_THROWS_AS(c.check(), dr::Error);
  CHECK_THROWS_AS(dr::kafka::dump_config(c, true), dr::Error);  // make_conf checks
  c.set("ssl.keystore.password", "secret", kTest);
  c.check();
}

TEST_CASE("config: control bytes are escaped") {
  using dr::kafka::escape_control_bytes;
  CHECK(escape_control_bytes("plain text: a=b, caf\xc3\xa9 \xe2\x82\xac") == "plain text: a=b, caf\xc3\xa9 \xe2\x82\xac");
  CHECK(escape_control_bytes("\x1b[2J\r\n\t") == "\\x1b[2J\\x0d\\x0a\\x09");
  CHECK(escape_control_bytes(std::string("a\0b", 3)) == "a\\x00b");
  CHECK(escape_control_bytes("\x7f") == "\\x7f");
  CHECK(escape_control_bytes("\xc2\x9b" "1m") == "\\xc2\\x9b" "1m");  // C1 CSI as UTF-8
  CHECK(escape_control_bytes("\x9b" "1m\xff") == "\\x9b" "1m\\xff");  // not UTF-8
  CHECK(escape_control_bytes("\xe2\x82") == "\\xe2\\x82");        // truncated sequence
}

TEST_CASE("config: errors and warnings echo keys, values and paths escaped") {
  ClientConfig c(ClientRole::consumer);
  auto message_of = [&](const std::string& key, const std::string& value, const ConfigOrigin& origin) {
    try {
      c.set(key, value, origin);
    } catch (const dr::Error& e) {
      return std::string(e.what());
    }
    FAIL("expected an error for " << key);
    return std::string();
  };
  auto clean = [](const std::string& s) {
    return std::none_of(s.begin(), s.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; });
  };
  std::string m = message_of("no.such\x1b[2Jkey", "1", kTest);
  CHECK(clean(m));
  CHECK(m.find("no.such\\x1b[2Jkey") != std::string::npos);
  m = message_of("linger.ms", "5\x1b]0;t\x07", kTest);
  CHECK(clean(m));
  m = message_of("no.such.key", "1", ConfigOrigin{.file = "dir\x1b/c.properties", .line = 2, .flag = {}});
  CHECK(clean(m));
  CHECK(m.find("dir\\x1b/c.properties:2: ") == 0);
  m = message_of("bootstrap.servers", std::string("a:9092\0evil", 11), kTest);  // a NUL would cut it short
  CHECK(clean(m));
  CHECK(m.find("NUL") != std::string::npos);
  CHECK_THROWS_AS(c.apply_override("no.such\rkey=1"), dr::Error);
  c.set("sasl.jaas.config",
        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"p\" x\x1b[2J=\"1\";", kTest);
  REQUIRE_FALSE(c.warnings().empty());
  CHECK(clean(c.warnings().back().message));
  CHECK(c.warnings().back().message.find("x\\x1b[2J") != std::string::npos);
}

TEST_CASE("config: a client without bootstrap.servers names the config files") {
  TempFile f("group.id=g\n");
  ClientConfig c(ClientRole::admin);
  c.apply_file(f.path.string());
  CHECK(c.files() == std::vector<std::string>{f.path.string()});
  try {
    dr::kafka::Admin admin(c);
    FAIL("expected an error");
  } catch (const dr::Error& e) {
    CHECK(e.kind() == dr::ErrorKind::bad_input);
    CHECK(e.context().file == f.path.string());
    CHECK(std::string(e.what()).find("bootstrap.servers") != std::string::npos);
  }
}

TEST_CASE("config: secrets are masked in dumps, with and without defaults") {
  ClientConfig c(ClientRole::consumer);
  c.set("bootstrap.servers", "a:9092", kTest);
  c.set("sasl.password", "hunter2", kTest);
  c.set("ssl.key.password", "hunter3", kTest);
  for (bool all : {false, true}) {
    auto dump = dr::kafka::dump_config(c, all);
    bool saw_password = false;
    for (const auto& e : dump) {
      CHECK(e.value.find("hunter") == std::string::npos);
      if (e.key == "sasl.password") {
        saw_password = true;
        CHECK(e.value == "********");
        CHECK(e.origin == "t.properties:7");
      }
    }
    CHECK(saw_password);
    if (all) CHECK(dump.size() > 50);  // librdkafka's defaults are listed too
  }
  CHECK(dr::kafka::is_secret_key("sasl.oauthbearer.client.secret"));
  CHECK_FALSE(dr::kafka::is_secret_key("bootstrap.servers"));
}
