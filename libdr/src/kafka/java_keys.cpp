// The Java client keys of Kafka 3.9 and what kafka-dr does with each; see config.hpp.
//
// The table lists every ConfigDef key of ProducerConfig, ConsumerConfig and AdminClientConfig of
// kafka-clients 3.9 (tests/data/ListKafkaClientKeys.java prints them), checked against librdkafka
// 2.0.2's CONFIGURATION.md for name, meaning and unit. A key is refused only when it cannot be
// honoured and running without it would behave differently from what the file asks for.
#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "kafka/config_internal.hpp"

namespace dr::kafka {

namespace {

using A = JavaKeyAction;

using Converter = MappedKey (*)(const JavaKeyRule& rule, const std::string& value, const ConfigOrigin& origin);

struct JavaKey {
  JavaKeyRule rule;
  Converter convert = nullptr;  // for converted keys
};

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

MappedKey one(std::string_view key, std::string value) {
  MappedKey m{.handled = true, .entries = {}, .warnings = {}};
  m.entries.emplace_back(std::string(key), std::move(value));
  return m;
}

MappedKey buffer_memory(const JavaKeyRule& rule, const std::string& value, const ConfigOrigin& origin) {
  long long bytes = 0;
  std::string v = trim(value);
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), bytes);
  if (ec != std::errc() || p != v.data() + v.size() || bytes <= 0) {
    throw_config_error(fmt::format("invalid value for '{}': '{}' is not a positive byte count", rule.key, value), origin);
  }
  return one(rule.librdkafka, std::to_string(std::max(1LL, bytes / 1024)));
}

MappedKey socket_buffer(const JavaKeyRule& rule, const std::string& value, const ConfigOrigin&) {
  return one(rule.librdkafka, trim(value) == "-1" ? "0" : value);  // both mean "the OS default"
}

MappedKey offset_reset(const JavaKeyRule& rule, const std::string& value, const ConfigOrigin&) {
  return one(rule.librdkafka, iequals(trim(value), "none") ? "error" : value);
}

MappedKey endpoint_algorithm(const JavaKeyRule& rule, const std::string& value, const ConfigOrigin&) {
  std::string v = trim(value);
  if (v.empty()) v = "none";
  if (iequals(v, "https")) v = "https";
  return one(rule.librdkafka, v);
}

struct AssignorName {
  std::string_view java_class;
  std::string_view librdkafka;
};
constexpr std::array kAssignors{
    AssignorName{"org.apache.kafka.clients.consumer.RangeAssignor", "range"},
    AssignorName{"org.apache.kafka.clients.consumer.RoundRobinAssignor", "roundrobin"},
    AssignorName{"org.apache.kafka.clients.consumer.CooperativeStickyAssignor", "cooperative-sticky"},
    AssignorName{"org.apache.kafka.clients.consumer.StickyAssignor", "cooperative-sticky"},
};

MappedKey assignors(const JavaKeyRule& rule, const std::string& value, const ConfigOrigin& origin) {
  MappedKey m{.handled = true, .entries = {}, .warnings = {}};
  std::string out;
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t comma = value.find(',', pos);
    if (comma == std::string::npos) comma = value.size();
    std::string name = trim(std::string_view(value).substr(pos, comma - pos));
    pos = comma + 1;
    if (name.starts_with("class ")) name = trim(name.substr(6));  // as Java prints a class list
    if (name.empty()) continue;
    std::string mapped = name;
    for (const auto& a : kAssignors) {
      if (name != a.java_class) continue;
      mapped = std::string(a.librdkafka);
      if (a.java_class.ends_with(".StickyAssignor")) {
        m.warnings.emplace_back("StickyAssignor (eager) has no librdkafka equivalent; using cooperative-sticky");
      }
    }
    if (mapped.find('.') != std::string::npos) {
      throw_config_error(fmt::format("{}: unknown assignor class '{}' (use range, roundrobin or cooperative-sticky)",
                                     rule.key, name),
                         origin);
    }
    if (out.find(mapped) == std::string::npos) out += (out.empty() ? "" : ",") + mapped;
  }
  m.entries.emplace_back(std::string(rule.librdkafka), out);
  return m;
}

// A JAAS line such as
//   org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";
MappedKey jaas(const JavaKeyRule& rule, const std::string& value, const ConfigOrigin& origin) {
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t' || value[i] == '\n' || value[i] == '\r')) ++i;
  };
  auto word = [&] {
    size_t start = i;
    while (i < value.size() && value[i] != ' ' && value[i] != '\t' && value[i] != '=' && value[i] != ';') ++i;
    return value.substr(start, i - start);
  };
  skip_ws();
  const std::string login_module = word();
  skip_ws();
  const std::string flag = word();
  if (login_module.empty() || flag.empty()) {
    throw_config_error(fmt::format("{}: expected 'LoginModule required key=\"value\" ...;'", rule.key), origin);
  }
  if (!login_module.ends_with(".PlainLoginModule") && !login_module.ends_with(".ScramLoginModule")) {
    throw_config_error(fmt::format("{}: login module '{}' cannot be mapped; use librdkafka's sasl.kerberos.* or "
                                   "sasl.oauthbearer.* properties instead",
                                   rule.key, login_module),
                       origin);
  }
  MappedKey m{.handled = true, .entries = {}, .warnings = {}};
  for (;;) {
    skip_ws();
    if (i >= value.size() || value[i] == ';') break;
    std::string key = word();
    skip_ws();
    if (key.empty() || i >= value.size() || value[i] != '=') {
      throw_config_error(fmt::format("{}: expected key=\"value\" after the login module", rule.key), origin);
    }
    ++i;
    skip_ws();
    std::string val;
    if (i < value.size() && value[i] == '"') {
      ++i;
      while (i < value.size() && value[i] != '"') {
        if (value[i] == '\\' && i + 1 < value.size()) ++i;
        val += value[i++];
      }
      if (i >= value.size()) throw_config_error(fmt::format("{}: unterminated quoted value", rule.key), origin);
      ++i;
    } else {
      val = word();
    }
    if (key == "username") m.entries.emplace_back("sasl.username", val);
    else if (key == "password") m.entries.emplace_back("sasl.password", val);
    else m.warnings.push_back(fmt::format("{}: ignoring option '{}'", rule.key, key));
  }
  return m;
}

MappedKey kinit_cmd(const JavaKeyRule& rule, const std::string& value, const ConfigOrigin&) {
  if (trim(value).find_first_of(" \t") != std::string::npos) return one(rule.librdkafka, value);  // a command line
  MappedKey m{.handled = true, .entries = {}, .warnings = {}};
  m.warnings.push_back(fmt::format("ignoring '{}={}': Java's value is the path of kinit; librdkafka's is the whole "
                                   "command line (its default runs kinit from PATH with sasl.kerberos.keytab)",
                                   rule.key, value));
  return m;
}

MappedKey cipher_suites(const JavaKeyRule& rule, const std::string& value, const ConfigOrigin& origin) {
  for (std::string_view prefix : {"TLS_", "SSL_"}) {
    if (value.find(prefix) != std::string::npos) {
      throw_config_error(fmt::format("{}: '{}' are Java (IANA) cipher suite names; librdkafka passes the list to "
                                     "OpenSSL, which needs its own names separated by ':' (openssl ciphers -stdname "
                                     "shows both)",
                                     rule.key, value),
                         origin);
    }
  }
  return one(rule.librdkafka, value);
}

// What a key or trust store file holds, judged by its first bytes.
enum class StoreFormat { pkcs12, jks, jceks, pem, other, unreadable };

struct StoreFile {
  StoreFormat format = StoreFormat::other;
  bool has_private_key = false;  // PEM only
  std::string error;             // unreadable only
};

StoreFile read_store(const std::string& path) {
  StoreFile f;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    f.format = StoreFormat::unreadable;
    f.error = std::strerror(errno);
    return f;
  }
  std::string head(8192, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  auto byte = [&](size_t i) { return i < head.size() ? static_cast<unsigned char>(head[i]) : 0x100u; };
  if (byte(0) == 0xFE && byte(1) == 0xED && byte(2) == 0xFE && byte(3) == 0xED) {
    f.format = StoreFormat::jks;
  } else if (byte(0) == 0xCE && byte(1) == 0xCE && byte(2) == 0xCE && byte(3) == 0xCE) {
    f.format = StoreFormat::jceks;
  } else if (byte(0) == 0x30) {
    // PKCS#12 is a DER SEQUENCE whose first element is INTEGER 3 (the PFX version).
    size_t len_bytes = byte(1) <= 0x80 ? 0 : byte(1) & 0x7F;
    size_t at = 2 + len_bytes;
    if (len_bytes <= 4 && byte(at) == 0x02 && byte(at + 1) == 0x01 && byte(at + 2) == 0x03) f.format = StoreFormat::pkcs12;
  } else if (head.find("-----BEGIN ") != std::string::npos) {
    f.format = StoreFormat::pem;
    f.has_private_key = head.find("PRIVATE KEY-----") != std::string::npos;
  }
  return f;
}

// Java's keystore file names (Kafka's docs use .jks; keytool's default is .keystore).
bool named_like_java_store(std::string_view path) {
  std::string lower(path);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower.ends_with(".jks") || lower.ends_with(".keystore") || lower.ends_with(".truststore");
}

constexpr std::string_view kKeystoreWayOut =
    "librdkafka reads PKCS#12 keystores only; convert with keytool -importkeystore -srckeystore FILE "
    "-destkeystore FILE.p12 -deststoretype PKCS12 and point ssl.keystore.location at FILE.p12";

MappedKey keystore_location(const JavaKeyRule& rule, const std::string& value, const ConfigOrigin& origin) {
  const StoreFile f = read_store(value);
  switch (f.format) {
    case StoreFormat::pkcs12: return one("ssl.keystore.location", value);
    case StoreFormat::pem: {
      if (!f.has_private_key) {
        throw_config_error(fmt::format("{}: '{}' is a PEM file without a private key", rule.key, value), origin);
      }
      MappedKey m = one("ssl.certificate.location", value);
      m.entries.emplace_back("ssl.key.location", value);
      return m;
    }
    case StoreFormat::jks:
    case StoreFormat::jceks:
      throw_config_error(fmt::format("{}: '{}' is a Java keystore ({}; Kafka's default ssl.keystore.type is JKS); {}",
                                     rule.key, value, f.format == StoreFormat::jks ? "JKS" : "JCEKS", kKeystoreWayOut),
                         origin);
    case StoreFormat::unreadable:
      throw_config_error(fmt::format("{}: cannot read '{}': {}{}{}", rule.key, value, f.error,
                                     named_like_java_store(value) ? "; and if it is a JKS keystore as its name says, " : "",
                                     named_like_java_store(value) ? kKeystoreWayOut : ""),
                         origin);
    case StoreFormat::other: break;
  }
  throw_config_error(fmt::format("{}: '{}' is not a PKCS#12 keystore (Kafka's default ssl.keystore.type is JKS); {}",
                                 rule.key, value, kKeystoreWayOut),
                     origin);
}

MappedKey keystore_type(const JavaKeyRule& rule, const std::string& value, const ConfigOrigin& origin) {
  const std::string v = trim(value);
  if (iequals(v, "PKCS12") || iequals(v, "PEM")) return MappedKey{.handled = true, .entries = {}, .warnings = {}};
  throw_config_error(fmt::format("{}={}: {}", rule.key, value, kKeystoreWayOut), origin);
}

MappedKey truststore_location(const JavaKeyRule& rule, const std::string& value, const ConfigOrigin& origin) {
  const StoreFile f = read_store(value);
  if (f.format == StoreFormat::pem) return one("ssl.ca.location", value);
  if (f.format == StoreFormat::unreadable && !named_like_java_store(value)) {
    throw_config_error(fmt::format("{}: cannot read '{}': {}", rule.key, value, f.error), origin);
  }
  throw_config_error(fmt::format("{}: librdkafka cannot read Java truststores; export the CA certificate as PEM "
                                 "(keytool -exportcert -rfc) and set ssl.ca.location instead",
                                 rule.key),
                     origin);
}

// Reasons shared by several keys.
constexpr std::string_view kBytes = "kafka-dr copies keys and values as bytes; no (de)serializer runs";
constexpr std::string_view kPlugin = "Java client plug-ins do not exist in librdkafka";
constexpr std::string_view kMetrics = "Java client metrics do not exist in librdkafka";
constexpr std::string_view kPartition = "dr-mirror keeps every record in its source partition";
constexpr std::string_view kJavaSecurity = "a Java security setting with no librdkafka equivalent";
constexpr std::string_view kOauthLogin = "tunes Java's OAuth login, which librdkafka does not have (see sasl.oauthbearer.* in librdkafka)";
constexpr std::string_view kOauthValidate = "validates OAuth tokens in Java's login; librdkafka does not validate the tokens it obtains";
constexpr std::string_view kCredentials =
    "Java code that supplies credentials cannot run in librdkafka; set sasl.username/sasl.password (or "
    "sasl.jaas.config for PLAIN/SCRAM), or librdkafka's sasl.oauthbearer.* keys, instead";
constexpr std::string_view kCompressionLevel =
    "librdkafka has one compression.level for the codec in compression.type: set compression.level instead";

// Sorted by key (a unit test checks), one row per Java key.
constexpr std::array kJavaKeys{
    JavaKey{{"acks", "P", A::same, "acks", "all, -1, 0 or 1; dr-mirror requires all"}},
    JavaKey{{"allow.auto.create.topics", "C", A::same, "allow.auto.create.topics", ""}},
    JavaKey{{"auto.commit.interval.ms", "C", A::same, "auto.commit.interval.ms", ""}},
    JavaKey{{"auto.include.jmx.reporter", "PCA", A::ignored, "", kMetrics}},
    JavaKey{{"auto.offset.reset", "C", A::converted, "auto.offset.reset", "none becomes librdkafka's error"}, offset_reset},
    JavaKey{{"batch.size", "P", A::same, "batch.size", "bytes per batch, as in Java"}},
    JavaKey{{"bootstrap.controllers", "A", A::ignored, "", "kafka-dr's admin requests go to brokers: set bootstrap.servers"}},
    JavaKey{{"bootstrap.servers", "PCA", A::same, "bootstrap.servers", ""}},
    JavaKey{{"buffer.memory", "P", A::converted, "queue.buffering.max.kbytes", "bytes become KiB"}, buffer_memory},
    JavaKey{{"check.crcs", "C", A::same, "check.crcs", ""}},
    JavaKey{{"client.dns.lookup", "PCA", A::ignored, "",
             "librdkafka 2.0.2 has no such setting; it tries every address a name resolves to (Java's default)"}},
    JavaKey{{"client.id", "PCA", A::same, "client.id", ""}},
    JavaKey{{"client.rack", "C", A::same, "client.rack", ""}},
    JavaKey{{"compression.gzip.level", "P", A::ignored, "", kCompressionLevel}},
    JavaKey{{"compression.lz4.level", "P", A::ignored, "", kCompressionLevel}},
    JavaKey{{"compression.type", "P", A::same, "compression.type", ""}},
    JavaKey{{"compression.zstd.level", "P", A::ignored, "", kCompressionLevel}},
    JavaKey{{"connections.max.idle.ms", "PCA", A::same, "connections.max.idle.ms", ""}},
    JavaKey{{"default.api.timeout.ms", "CA", A::ignored, "", "kafka-dr sets its own timeout per operation"}},
    JavaKey{{"delivery.timeout.ms", "P", A::same, "delivery.timeout.ms", "librdkafka's alias of message.timeout.ms"}},
    JavaKey{{"enable.auto.commit", "C", A::same, "enable.auto.commit", "dr-mirror requires false"}},
    JavaKey{{"enable.idempotence", "P", A::same, "enable.idempotence", "kafka-dr's producers default to true, which needs acks=all"}},
    JavaKey{{"enable.metrics.push", "PCA", A::ignored, "", kMetrics}},
    JavaKey{{"exclude.internal.topics", "C", A::ignored, "", "Kafka's internal topics are never mirrored"}},
    JavaKey{{"fetch.max.bytes", "C", A::same, "fetch.max.bytes", ""}},
    JavaKey{{"fetch.max.wait.ms", "C", A::renamed, "fetch.wait.max.ms", ""}},
    JavaKey{{"fetch.min.bytes", "C", A::same, "fetch.min.bytes", ""}},
    JavaKey{{"group.id", "C", A::same, "group.id", ""}},
    JavaKey{{"group.instance.id", "C", A::same, "group.instance.id", ""}},
    JavaKey{{"group.protocol", "C", A::ignored, "", "librdkafka 2.0.2 speaks the classic group protocol only"}},
    JavaKey{{"group.remote.assignor", "C", A::ignored, "", "belongs to the consumer group protocol, which librdkafka 2.0.2 does not speak"}},
    JavaKey{{"heartbeat.interval.ms", "C", A::same, "heartbeat.interval.ms", ""}},
    JavaKey{{"interceptor.classes", "PC", A::ignored, "", kPlugin}},
    JavaKey{{"internal.leave.group.on.close", "C", A::ignored, "", "a Java-internal setting; librdkafka always leaves the group on close"}},
    JavaKey{{"internal.throw.on.fetch.stable.offset.unsupported", "C", A::ignored, "", "a Java-internal setting"}},
    JavaKey{{"isolation.level", "C", A::same, "isolation.level", ""}},
    JavaKey{{"key.deserializer", "C", A::ignored, "", kBytes}},
    JavaKey{{"key.serializer", "P", A::ignored, "", kBytes}},
    JavaKey{{"linger.ms", "P", A::same, "linger.ms", ""}},
    JavaKey{{"max.block.ms", "P", A::ignored, "",
             "librdkafka's produce never blocks; dr-mirror waits for queue space itself and delivery.timeout.ms bounds each record"}},
    JavaKey{{"max.in.flight.requests.per.connection", "P", A::same, "max.in.flight.requests.per.connection",
             "at most 5 with idempotence"}},
    JavaKey{{"max.partition.fetch.bytes", "C", A::same, "max.partition.fetch.bytes", ""}},
    JavaKey{{"max.poll.interval.ms", "C", A::same, "max.poll.interval.ms", ""}},
    JavaKey{{"max.poll.records", "C", A::ignored, "", "librdkafka has no such limit; dr-mirror sizes its own batches"}},
    JavaKey{{"max.request.size", "P", A::renamed, "message.max.bytes", ""}},
    JavaKey{{"metadata.max.age.ms", "PCA", A::same, "metadata.max.age.ms", ""}},
    JavaKey{{"metadata.max.idle.ms", "P", A::ignored, "", "librdkafka has no such setting"}},
    JavaKey{{"metadata.recovery.strategy", "PCA", A::ignored, "",
             "librdkafka 2.0.2 has no re-bootstrap; it keeps the bootstrap servers among the brokers it reconnects to"}},
    JavaKey{{"metric.reporters", "PCA", A::ignored, "", kPlugin}},
    JavaKey{{"metrics.num.samples", "PCA", A::ignored, "", kMetrics}},
    JavaKey{{"metrics.recording.level", "PCA", A::ignored, "", kMetrics}},
    JavaKey{{"metrics.sample.window.ms", "PCA", A::ignored, "", kMetrics}},
    JavaKey{{"partition.assignment.strategy", "C", A::converted, "partition.assignment.strategy",
             "class names become range, roundrobin, cooperative-sticky (StickyAssignor too, with a warning)"},
            assignors},
    JavaKey{{"partitioner.adaptive.partitioning.enable", "P", A::ignored, "", kPartition}},
    JavaKey{{"partitioner.availability.timeout.ms", "P", A::ignored, "", kPartition}},
    JavaKey{{"partitioner.class", "P", A::ignored, "", kPartition}},
    JavaKey{{"partitioner.ignore.keys", "P", A::ignored, "", kPartition}},
    JavaKey{{"receive.buffer.bytes", "PCA", A::converted, "socket.receive.buffer.bytes", "-1 (OS default) becomes 0"}, socket_buffer},
    JavaKey{{"reconnect.backoff.max.ms", "PCA", A::same, "reconnect.backoff.max.ms", ""}},
    JavaKey{{"reconnect.backoff.ms", "PCA", A::same, "reconnect.backoff.ms", ""}},
    JavaKey{{"request.timeout.ms", "PCA", A::same, "request.timeout.ms",
             "librdkafka applies it to produce requests; other requests use socket.timeout.ms"}},
    JavaKey{{"retries", "PA", A::same, "retries", "at least 1 with idempotence"}},
    JavaKey{{"retry.backoff.max.ms", "PCA", A::ignored, "", "librdkafka 2.0.2 retries after a fixed retry.backoff.ms"}},
    JavaKey{{"retry.backoff.ms", "PCA", A::same, "retry.backoff.ms", ""}},
    JavaKey{{"sasl.client.callback.handler.class", "PCA", A::refused, "", kCredentials}},
    JavaKey{{"sasl.jaas.config", "PCA", A::converted, "sasl.username, sasl.password",
             "PLAIN and SCRAM login modules only; any other is refused"},
            jaas},
    JavaKey{{"sasl.kerberos.kinit.cmd", "PCA", A::converted, "sasl.kerberos.kinit.cmd",
             "Java's value is kinit's path and is ignored with a warning; a whole command line passes"},
            kinit_cmd},
    JavaKey{{"sasl.kerberos.min.time.before.relogin", "PCA", A::same, "sasl.kerberos.min.time.before.relogin", ""}},
    JavaKey{{"sasl.kerberos.service.name", "PCA", A::same, "sasl.kerberos.service.name", ""}},
    JavaKey{{"sasl.kerberos.ticket.renew.jitter", "PCA", A::ignored, "",
             "librdkafka renews by running kinit every sasl.kerberos.min.time.before.relogin"}},
    JavaKey{{"sasl.kerberos.ticket.renew.window.factor", "PCA", A::ignored, "",
             "librdkafka renews by running kinit every sasl.kerberos.min.time.before.relogin"}},
    JavaKey{{"sasl.login.callback.handler.class", "PCA", A::refused, "", kCredentials}},
    JavaKey{{"sasl.login.class", "PCA", A::refused, "", kCredentials}},
    JavaKey{{"sasl.login.connect.timeout.ms", "PCA", A::ignored, "", kOauthLogin}},
    JavaKey{{"sasl.login.read.timeout.ms", "PCA", A::ignored, "", kOauthLogin}},
    JavaKey{{"sasl.login.refresh.buffer.seconds", "PCA", A::ignored, "", kOauthLogin}},
    JavaKey{{"sasl.login.refresh.min.period.seconds", "PCA", A::ignored, "", kOauthLogin}},
    JavaKey{{"sasl.login.refresh.window.factor", "PCA", A::ignored, "", kOauthLogin}},
    JavaKey{{"sasl.login.refresh.window.jitter", "PCA", A::ignored, "", kOauthLogin}},
    JavaKey{{"sasl.login.retry.backoff.max.ms", "PCA", A::ignored, "", kOauthLogin}},
    JavaKey{{"sasl.login.retry.backoff.ms", "PCA", A::ignored, "", kOauthLogin}},
    JavaKey{{"sasl.mechanism", "PCA", A::same, "sasl.mechanism", "librdkafka's alias of sasl.mechanisms"}},
    JavaKey{{"sasl.oauthbearer.clock.skew.seconds", "PCA", A::ignored, "", kOauthValidate}},
    JavaKey{{"sasl.oauthbearer.expected.audience", "PCA", A::ignored, "", kOauthValidate}},
    JavaKey{{"sasl.oauthbearer.expected.issuer", "PCA", A::ignored, "", kOauthValidate}},
    JavaKey{{"sasl.oauthbearer.header.urlencode", "PCA", A::ignored, "", kOauthLogin}},
    JavaKey{{"sasl.oauthbearer.jwks.endpoint.refresh.ms", "PCA", A::ignored, "", kOauthValidate}},
    JavaKey{{"sasl.oauthbearer.jwks.endpoint.retry.backoff.max.ms", "PCA", A::ignored, "", kOauthValidate}},
    JavaKey{{"sasl.oauthbearer.jwks.endpoint.retry.backoff.ms", "PCA", A::ignored, "", kOauthValidate}},
    JavaKey{{"sasl.oauthbearer.jwks.endpoint.url", "PCA", A::ignored, "", kOauthValidate}},
    JavaKey{{"sasl.oauthbearer.scope.claim.name", "PCA", A::ignored, "", kOauthValidate}},
    JavaKey{{"sasl.oauthbearer.sub.claim.name", "PCA", A::ignored, "", kOauthValidate}},
    JavaKey{{"sasl.oauthbearer.token.endpoint.url", "PCA", A::same, "sasl.oauthbearer.token.endpoint.url",
             "used with sasl.oauthbearer.method=oidc (needs a librdkafka built with libcurl)"}},
    JavaKey{{"security.protocol", "PCA", A::same, "security.protocol", ""}},
    JavaKey{{"security.providers", "PCA", A::ignored, "", kJavaSecurity}},
    JavaKey{{"send.buffer.bytes", "PCA", A::converted, "socket.send.buffer.bytes", "-1 (OS default) becomes 0"}, socket_buffer},
    JavaKey{{"session.timeout.ms", "C", A::same, "session.timeout.ms", ""}},
    JavaKey{{"socket.connection.setup.timeout.max.ms", "PCA", A::ignored, "",
             "librdkafka's socket.connection.setup.timeout.ms is one fixed timeout per attempt; it does not grow"}},
    JavaKey{{"socket.connection.setup.timeout.ms", "PCA", A::same, "socket.connection.setup.timeout.ms", ""}},
    JavaKey{{"ssl.cipher.suites", "PCA", A::converted, "ssl.cipher.suites",
             "OpenSSL names pass; Java's IANA names (TLS_...) are refused with the way to the OpenSSL names"},
            cipher_suites},
    JavaKey{{"ssl.enabled.protocols", "PCA", A::ignored, "", "librdkafka negotiates the TLS version through OpenSSL"}},
    JavaKey{{"ssl.endpoint.identification.algorithm", "PCA", A::converted, "ssl.endpoint.identification.algorithm",
             "empty becomes none"},
            endpoint_algorithm},
    JavaKey{{"ssl.engine.factory.class", "PCA", A::refused, "",
             "Java code that builds the TLS engine cannot run in librdkafka; configure the ssl.* keys instead"}},
    JavaKey{{"ssl.key.password", "PCA", A::same, "ssl.key.password", ""}},
    JavaKey{{"ssl.keymanager.algorithm", "PCA", A::ignored, "", kJavaSecurity}},
    JavaKey{{"ssl.keystore.certificate.chain", "PCA", A::renamed, "ssl.certificate.pem", ""}},
    JavaKey{{"ssl.keystore.key", "PCA", A::renamed, "ssl.key.pem", ""}},
    JavaKey{{"ssl.keystore.location", "PCA", A::converted, "ssl.keystore.location",
             "the file decides: PKCS#12 passes, PEM becomes ssl.certificate.location and ssl.key.location, "
             "JKS or anything else is refused with the keytool command that converts it"},
            keystore_location},
    JavaKey{{"ssl.keystore.password", "PCA", A::same, "ssl.keystore.password", ""}},
    JavaKey{{"ssl.keystore.type", "PCA", A::converted, "",
             "PKCS12 and PEM are accepted (the file's content decides); JKS and others are refused"},
            keystore_type},
    JavaKey{{"ssl.protocol", "PCA", A::ignored, "", "librdkafka negotiates the TLS version through OpenSSL"}},
    JavaKey{{"ssl.provider", "PCA", A::ignored, "", kJavaSecurity}},
    JavaKey{{"ssl.secure.random.implementation", "PCA", A::ignored, "", kJavaSecurity}},
    JavaKey{{"ssl.trustmanager.algorithm", "PCA", A::ignored, "", kJavaSecurity}},
    JavaKey{{"ssl.truststore.certificates", "PCA", A::renamed, "ssl.ca.pem", ""}},
    JavaKey{{"ssl.truststore.location", "PCA", A::converted, "ssl.ca.location",
             "a PEM file passes; a JKS or PKCS#12 truststore is refused: export the CA as PEM"},
            truststore_location},
    JavaKey{{"ssl.truststore.password", "PCA", A::ignored, "", "a PEM CA file has no password"}},
    JavaKey{{"ssl.truststore.type", "PCA", A::ignored, "", "the file's content decides"}},
    JavaKey{{"transaction.timeout.ms", "P", A::same, "transaction.timeout.ms", ""}},
    JavaKey{{"transactional.id", "P", A::ignored, "",
             "kafka-dr's producers are idempotent, never transactional (MirrorMaker 1 never began a transaction either)"}},
    JavaKey{{"value.deserializer", "C", A::ignored, "", kBytes}},
    JavaKey{{"value.serializer", "P", A::ignored, "", kBytes}},
};

static_assert(std::is_sorted(kJavaKeys.begin(), kJavaKeys.end(),
                             [](const JavaKey& a, const JavaKey& b) { return a.rule.key < b.rule.key; }),
              "kJavaKeys must stay sorted by key");
static_assert(std::all_of(kJavaKeys.begin(), kJavaKeys.end(),
                          [](const JavaKey& k) { return (k.rule.action == A::converted) == (k.convert != nullptr); }),
              "every converted key, and only those, has a converter");

const JavaKey* find_java_key(std::string_view key) {
  auto it = std::lower_bound(kJavaKeys.begin(), kJavaKeys.end(), key,
                             [](const JavaKey& k, std::string_view v) { return k.rule.key < v; });
  return it != kJavaKeys.end() && it->rule.key == key ? &*it : nullptr;
}

}  // namespace

const char* to_string(JavaKeyAction action) noexcept {
  switch (action) {
    case A::same: return "same";
    case A::renamed: return "renamed";
    case A::converted: return "converted";
    case A::ignored: return "ignored";
    case A::refused: return "refused";
  }
  return "?";
}

std::span<const JavaKeyRule> java_key_rules() {
  static const std::vector<JavaKeyRule> rules = [] {
    std::vector<JavaKeyRule> out;
    for (const JavaKey& k : kJavaKeys) out.push_back(k.rule);
    return out;
  }();
  return rules;
}

std::string java_key_table_markdown() {
  std::string out = "| Java key | clients | kafka-dr | librdkafka key | note |\n|---|---|---|---|---|\n";
  for (const JavaKey& k : kJavaKeys) {
    const JavaKeyRule& r = k.rule;
    std::string target;
    if (!r.librdkafka.empty()) {
      size_t pos = 0;
      while (pos <= r.librdkafka.size()) {
        size_t comma = std::min(r.librdkafka.find(", ", pos), r.librdkafka.size());
        target += fmt::format("{}`{}`", target.empty() ? "" : ", ", r.librdkafka.substr(pos, comma - pos));
        pos = comma + 2;
      }
    }
    out += fmt::format("| `{}` | {} | {} | {} | {} |\n", r.key, r.clients, to_string(r.action), target, r.note);
  }
  return out;
}

MappedKey map_java_key(const std::string& key, const std::string& value, const ConfigOrigin& origin) {
  const JavaKey* k = find_java_key(key);
  if (k == nullptr) return {};
  const JavaKeyRule& r = k->rule;
  switch (r.action) {
    case A::same: return {};
    case A::renamed: return one(r.librdkafka, value);
    case A::converted: return k->convert(r, value, origin);
    case A::ignored: {
      MappedKey m{.handled = true, .entries = {}, .warnings = {}};
      m.warnings.push_back(fmt::format("ignoring '{}': {}", key, r.note));
      return m;
    }
    case A::refused: throw_config_error(fmt::format("{}: {}", key, r.note), origin);
  }
  return {};
}

}  // namespace dr::kafka
