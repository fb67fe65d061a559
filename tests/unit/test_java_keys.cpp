// The Java client keys of Kafka 3.9, key by key: each is mapped, ignored with a warning, or refused
// by name, never "unknown". The fixture lists every ConfigDef key of the Java producer, consumer and
// admin client (tests/data/ListKafkaClientKeys.java).
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "dr/error.hpp"
#include "dr/kafka/config.hpp"

using dr::kafka::ClientConfig;
using dr::kafka::ClientRole;
using dr::kafka::ConfigOrigin;

namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A directory with a PKCS#12 keystore (its DER header is what is checked) and a PEM CA file, and
// the fixture with @DIR@ pointing at it.
struct JavaKeyFixture {
  std::filesystem::path dir;
  std::string path;
  std::vector<dr::kafka::Property> properties;
  JavaKeyFixture() {
    dir = std::filesystem::temp_directory_path() / ("dr-java-keys-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const unsigned char p12[] = {0x30, 0x82, 0x0a, 0x52, 0x02, 0x01, 0x03, 0x30, 0x82, 0x0a, 0x0c};
    std::ofstream(dir / "client.keystore.p12", std::ios::binary).write(reinterpret_cast<const char*>(p12), sizeof p12);
    std::ofstream(dir / "ca.pem") << "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    std::string text = read_text(std::filesystem::path(DR_SOURCE_DIR) / "tests/data/kafka-3.9-client-keys.properties");
    for (size_t at; (at = text.find("@DIR@")) != std::string::npos;) text.replace(at, 5, dir.string());
    path = (dir / "java.properties").string();
    std::ofstream(path) << text;
    properties = dr::kafka::read_properties_file(path);
  }
  ~JavaKeyFixture() { std::filesystem::remove_all(dir); }
};

}  // namespace

TEST_CASE("java keys: no Kafka 3.9 producer, consumer or admin key is unknown") {
  JavaKeyFixture f;
  REQUIRE(f.properties.size() > 100);
  for (const auto& p : f.properties) {
    CAPTURE(p.key);
    ClientConfig c(ClientRole::producer);
    try {
      c.set(p.key, p.value, ConfigOrigin{.file = f.path, .line = p.line, .flag = {}});
    } catch (const dr::Error& e) {
      CHECK(std::string(e.what()).find("unknown property") == std::string::npos);
      CHECK(e.context().line == p.line);
    }
  }
}

TEST_CASE("java keys: MirrorMaker 1's max.block.ms and fetch.max.wait.ms") {
  ClientConfig producer(ClientRole::producer);
  producer.set("max.block.ms", "9223372036854775807", {.file = "p.properties", .line = 3, .flag = {}});
  CHECK(producer.entries().empty());
  REQUIRE(producer.warnings().size() == 1);
  CHECK(producer.warnings()[0].message.find("max.block.ms") != std::string::npos);
  ClientConfig consumer(ClientRole::consumer);
  consumer.set("fetch.max.wait.ms", "250", {.file = "c.properties", .line = 4, .flag = {}});
  CHECK(consumer.get("fetch.wait.max.ms") == "250");
  CHECK_FALSE(consumer.get("fetch.max.wait.ms").has_value());
}

TEST_CASE("java keys: the table covers exactly the Kafka 3.9 client keys") {
  JavaKeyFixture f;
  std::set<std::string> in_file;
  for (const auto& p : f.properties) in_file.insert(p.key);
  std::set<std::string> in_table;
  for (const auto& r : dr::kafka::java_key_rules()) in_table.insert(std::string(r.key));
  CHECK(in_file == in_table);
}

TEST_CASE("java keys: only refused keys, and values librdkafka cannot take, fail, by name and line") {
  JavaKeyFixture f;
  std::set<std::string> failed;
  std::set<std::string> refused;
  for (const auto& r : dr::kafka::java_key_rules()) {
    if (r.action == dr::kafka::JavaKeyAction::refused) refused.insert(std::string(r.key));
  }
  for (const auto& p : f.properties) {
    CAPTURE(p.key);
    ClientConfig c(ClientRole::producer);
    try {
      c.set(p.key, p.value, ConfigOrigin{.file = f.path, .line = p.line, .flag = {}});
    } catch (const dr::Error& e) {
      const std::string what = e.what();
      // OIDC needs a librdkafka built with libcurl; without, librdkafka rejects the value (kafka-dr
      // masks why: the key looks like a secret's).
      if (p.key == "sasl.oauthbearer.token.endpoint.url" && what.find("invalid value for '" + p.key + "'") != std::string::npos) continue;
      CHECK(what.find(f.path + ":" + std::to_string(p.line) + ": " + p.key) == 0);
      failed.insert(p.key);
    }
  }
  std::set<std::string> expected = refused;
  expected.insert("ssl.cipher.suites");  // Java's IANA names: refused with the way to OpenSSL's
  CHECK(failed == expected);
}

TEST_CASE("java keys: the file without its refused keys loads and passes check()") {
  JavaKeyFixture f;
  std::ostringstream kept;
  for (const auto& p : f.properties) {
    bool refused = p.key == "ssl.cipher.suites" || p.key == "sasl.oauthbearer.token.endpoint.url";
    for (const auto& r : dr::kafka::java_key_rules()) refused |= r.key == p.key && r.action == dr::kafka::JavaKeyAction::refused;
    if (!refused) kept << p.key << "=" << p.value << "\n";
  }
  const std::string path = (f.dir / "kept.properties").string();
  std::ofstream(path) << kept.str();
  ClientConfig c(ClientRole::producer);
  c.apply_file(path);
  c.check();
  CHECK(c.get("fetch.wait.max.ms") == "500");
  CHECK(c.get("queue.buffering.max.kbytes") == "32768");
  CHECK(c.get("ssl.keystore.location") == (f.dir / "client.keystore.p12").string());
  CHECK(c.get("ssl.ca.location") == (f.dir / "ca.pem").string());
  CHECK(c.get("sasl.username") == "mirror");
  CHECK(c.get("partition.assignment.strategy") == "range,cooperative-sticky");
  CHECK_FALSE(c.get("max.block.ms").has_value());
  CHECK(c.warnings().size() > 40);
}

TEST_CASE("java keys: the runbook's table is the code's table") {
  const std::string runbook = read_text(std::filesystem::path(DR_SOURCE_DIR) / "runbooks/mirror.md");
  const std::string table = dr::kafka::java_key_table_markdown();
  CHECK_MESSAGE(runbook.find(table) != std::string::npos,
                "runbooks/mirror.md must hold the output of `dr-config --java-keys` verbatim:\n" << table);
}

TEST_CASE("java keys: values that are translated") {
  const ConfigOrigin o{.file = "t.properties", .line = 4, .flag = {}};
  ClientConfig c(ClientRole::consumer);
  c.set("auto.offset.reset", "none", o);
  CHECK(c.get("auto.offset.reset") == "error");
  c.set("auto.offset.reset", "earliest", o);
  CHECK(c.get("auto.offset.reset") == "earliest");
  c.set("partition.assignment.strategy",
        "class org.apache.kafka.clients.consumer.RangeAssignor, class org.apache.kafka.clients.consumer.CooperativeStickyAssignor", o);
  CHECK(c.get("partition.assignment.strategy") == "range,cooperative-sticky");
  c.set("sasl.kerberos.kinit.cmd", "/usr/bin/kinit", o);
  CHECK_FALSE(c.get("sasl.kerberos.kinit.cmd").has_value());
  CHECK(c.warnings().back().message.find("kinit") != std::string::npos);
  c.set("sasl.kerberos.kinit.cmd", "kinit -R -t /etc/kafka.keytab -k kafka/host", o);
  CHECK(c.get("sasl.kerberos.kinit.cmd") == "kinit -R -t /etc/kafka.keytab -k kafka/host");
  c.set("ssl.cipher.suites", "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256", o);
  CHECK(c.get("ssl.cipher.suites") == "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256");
  try {
    c.set("ssl.cipher.suites", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", o);
    FAIL("expected an error");
  } catch (const dr::Error& e) {
    CHECK(std::string(e.what()).find("openssl ciphers -stdname") != std::string::npos);
    CHECK(e.context().line == 4);
  }
  c.set("ssl.keystore.certificate.chain", "-----BEGIN CERTIFICATE-----", o);
  CHECK(c.get("ssl.certificate.pem") == "-----BEGIN CERTIFICATE-----");
  c.set("ssl.truststore.certificates", "-----BEGIN CERTIFICATE-----", o);
  CHECK(c.get("ssl.ca.pem") == "-----BEGIN CERTIFICATE-----");
  for (const char* key : {"sasl.login.callback.handler.class", "sasl.client.callback.handler.class", "sasl.login.class",
                          "ssl.engine.factory.class"}) {
    CAPTURE(key);
    CHECK_THROWS_AS(c.set(key, "com.example.Plugin", o), dr::Error);
  }
}

TEST_CASE("java keys: a PEM truststore is a CA file, a Java truststore is refused") {
  JavaKeyFixture f;
  auto write = [&](const std::string& name, const std::string& bytes) {
    const std::string path = (f.dir / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  };
  const ConfigOrigin o{.file = "client.properties", .line = 9, .flag = {}};
  const std::string jks = write("client.truststore.jks", std::string("\xfe\xed\xfe\xed\x00\x00\x00\x02", 8));
  const std::string ca = write("ca.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  ClientConfig c(ClientRole::consumer);
  c.set("ssl.truststore.location", ca, o);
  CHECK(c.get("ssl.ca.location") == ca);
  for (const std::string& bad : {jks, (f.dir / "missing.truststore.jks").string()}) {
    CAPTURE(bad);
    try {
      c.set("ssl.truststore.location", bad, o);
      FAIL("expected an error");
    } catch (const dr::Error& e) {
      CHECK(e.context().line == 9);
      CHECK(std::string(e.what()).find("keytool -exportcert -rfc") != std::string::npos);
    }
  }
  CHECK_THROWS_AS(c.set("ssl.truststore.location", (f.dir / "missing.pem").string(), o), dr::Error);
  c.set("ssl.keystore.type", "PEM", o);
  c.set("ssl.keystore.type", "pkcs12", o);
  CHECK_THROWS_AS(c.set("ssl.keystore.type", "JKS", o), dr::Error);
  CHECK_THROWS_AS(c.set("ssl.keystore.type", "JCEKS", o), dr::Error);
}

TEST_CASE("java keys: a keystore is judged by its content, whatever ssl.keystore.type says") {
  JavaKeyFixture f;
  auto write = [&](const std::string& name, const std::string& bytes) {
    const std::string path = (f.dir / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  };
  const ConfigOrigin o{.file = "client.properties", .line = 9, .flag = {}};
  const std::string jks = write("client.keystore.jks", std::string("\xfe\xed\xfe\xed\x00\x00\x00\x02", 8));
  const std::string jceks = write("client.jceks", std::string("\xce\xce\xce\xce\x00\x00\x00\x02", 8));
  const std::string pem = write("client.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
                                              "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n");
  const std::string cert_only = write("cert-only.pem", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  const std::string garbage = write("client.p12", "not a keystore");
  const std::string missing_jks = (f.dir / "missing.keystore.jks").string();
  ClientConfig c(ClientRole::consumer);
  for (const std::string& bad : {jks, jceks, garbage, missing_jks}) {
    CAPTURE(bad);
    try {
      c.set("ssl.keystore.location", bad, o);
      FAIL("expected an error");
    } catch (const dr::Error& e) {
      CHECK(e.context().file == "client.properties");
      CHECK(e.context().line == 9);
      CHECK(std::string(e.what()).find("keytool -importkeystore") != std::string::npos);
    }
  }
  CHECK_THROWS_AS(c.set("ssl.keystore.location", (f.dir / "missing.p12").string(), o), dr::Error);
  CHECK_THROWS_AS(c.set("ssl.keystore.location", cert_only, o), dr::Error);  // no private key
  c.set("ssl.keystore.location", pem, o);
  CHECK(c.get("ssl.certificate.location") == pem);
  CHECK(c.get("ssl.key.location") == pem);
  c.set("ssl.keystore.location", (f.dir / "client.keystore.p12").string(), o);
  CHECK(c.get("ssl.keystore.location") == (f.dir / "client.keystore.p12").string());
}
