// ClientConfig: Java-key mapping and validation against librdkafka itself.
#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>

#include "dr/error.hpp"
#include "dr/kafka/config.hpp"
#include "dr/log.hpp"
#include "kafka/handles.hpp"

namespace dr::kafka {

namespace {

ErrorContext context_of(const ConfigOrigin& o) { return {.file = o.file, .line = o.line, .flag = o.flag}; }

// Java client keys that mean nothing to a byte-copying librdkafka client: ignored, with a reason.
struct IgnoredKey {
  std::string_view key;
  std::string_view reason;
};
constexpr std::array kIgnoredKeys{
    IgnoredKey{"key.deserializer", "kafka-dr copies keys and values as bytes; no (de)serializer runs"},
    IgnoredKey{"value.deserializer", "kafka-dr copies keys and values as bytes; no (de)serializer runs"},
    IgnoredKey{"key.serializer", "kafka-dr copies keys and values as bytes; no (de)serializer runs"},
    IgnoredKey{"value.serializer", "kafka-dr copies keys and values as bytes; no (de)serializer runs"},
    IgnoredKey{"partitioner.class", "dr-mirror keeps every record in its source partition"},
    IgnoredKey{"interceptor.classes", "Java client plug-ins do not exist in librdkafka"},
    IgnoredKey{"metric.reporters", "Java client plug-ins do not exist in librdkafka"},
    IgnoredKey{"metrics.num.samples", "Java client metrics do not exist in librdkafka"},
    IgnoredKey{"metrics.recording.level", "Java client metrics do not exist in librdkafka"},
    IgnoredKey{"metrics.sample.window.ms", "Java client metrics do not exist in librdkafka"},
    IgnoredKey{"auto.include.jmx.reporter", "Java client metrics do not exist in librdkafka"},
    IgnoredKey{"enable.metrics.push", "Java client metrics do not exist in librdkafka"},
    IgnoredKey{"exclude.internal.topics", "Kafka's internal topics are never mirrored"},
    IgnoredKey{"max.poll.records", "librdkafka has no such limit; dr-mirror sizes its own batches"},
    IgnoredKey{"default.api.timeout.ms", "kafka-dr sets its own timeouts per operation"},
    IgnoredKey{"client.dns.lookup", "not supported by this librdkafka version"},
    IgnoredKey{"ssl.protocol", "librdkafka negotiates the TLS version through OpenSSL"},
    IgnoredKey{"ssl.enabled.protocols", "librdkafka negotiates the TLS version through OpenSSL"},
    IgnoredKey{"ssl.keymanager.algorithm", "a Java security setting with no librdkafka equivalent"},
    IgnoredKey{"ssl.trustmanager.algorithm", "a Java security setting with no librdkafka equivalent"},
    IgnoredKey{"ssl.secure.random.implementation", "a Java security setting with no librdkafka equivalent"},
    IgnoredKey{"ssl.truststore.password", "Java truststores are not used; see ssl.ca.location"},
    IgnoredKey{"ssl.truststore.type", "Java truststores are not used; see ssl.ca.location"},
    IgnoredKey{"security.providers", "a Java security setting with no librdkafka equivalent"},
};

// Java keys with a different librdkafka name and the same meaning.
struct RenamedKey {
  std::string_view java;
  std::string_view librdkafka;
};
constexpr std::array kRenamedKeys{
    RenamedKey{"receive.buffer.bytes", "socket.receive.buffer.bytes"},
    RenamedKey{"send.buffer.bytes", "socket.send.buffer.bytes"},
    RenamedKey{"max.request.size", "message.max.bytes"},
};

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

std::string trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

std::string map_assignors(const std::string& value, const ConfigOrigin& origin, std::vector<ConfigWarning>& warnings) {
  std::string out;
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t comma = value.find(',', pos);
    if (comma == std::string::npos) comma = value.size();
    std::string name = trim(std::string_view(value).substr(pos, comma - pos));
    pos = comma + 1;
    if (name.empty()) continue;
    std::string mapped = name;
    for (const auto& a : kAssignors) {
      if (name == a.java_class) {
        mapped = std::string(a.librdkafka);
        if (a.java_class.ends_with(".StickyAssignor")) {
          warnings.push_back({origin, "StickyAssignor (eager) has no librdkafka equivalent; using cooperative-sticky"});
        }
      }
    }
    if (mapped.find('.') != std::string::npos) {
      throw_bad_input(fmt::format("partition.assignment.strategy: unknown assignor class '{}' (use range, "
                                  "roundrobin or cooperative-sticky)",
                                  name),
                      context_of(origin));
    }
    if (out.find(mapped) == std::string::npos) out += (out.empty() ? "" : ",") + mapped;
  }
  return out;
}

// Extracts key="value" options from a JAAS line such as
//   org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";
struct JaasConfig {
  std::string login_module;
  std::vector<std::pair<std::string, std::string>> options;
};

JaasConfig parse_jaas(const std::string& value, const ConfigOrigin& origin) {
  JaasConfig out;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t' || value[i] == '\n')) ++i;
  };
  auto word = [&] {
    size_t start = i;
    while (i < value.size() && value[i] != ' ' && value[i] != '\t' && value[i] != '=' && value[i] != ';') ++i;
    return value.substr(start, i - start);
  };
  skip_ws();
  out.login_module = word();
  skip_ws();
  std::string flag = word();
  if (out.login_module.empty() || flag.empty()) {
    throw_bad_input("sasl.jaas.config: expected 'LoginModule required key=\"value\" ...;'", context_of(origin));
  }
  for (;;) {
    skip_ws();
    if (i >= value.size() || value[i] == ';') break;
    std::string key = word();
    skip_ws();
    if (key.empty() || i >= value.size() || value[i] != '=') {
      throw_bad_input("sasl.jaas.config: expected key=\"value\" after the login module", context_of(origin));
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
      if (i >= value.size()) throw_bad_input("sasl.jaas.config: unterminated quoted value", context_of(origin));
      ++i;
    } else {
      val = word();
    }
    out.options.emplace_back(key, val);
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

// Validates one librdkafka key=value using librdkafka's own table.
void validate(const std::string& key, const std::string& value, const ConfigOrigin& origin) {
  ConfHandle conf{rd_kafka_conf_new()};
  char errstr[512];
  rd_kafka_conf_res_t res = rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr, sizeof errstr);
  if (res == RD_KAFKA_CONF_UNKNOWN) {
    throw_bad_input(fmt::format("unknown property '{}': neither librdkafka nor kafka-dr's Java-key mapping knows "
                                "it (dr-config --all lists every key librdkafka knows)",
                                key),
                    context_of(origin));
  }
  if (res == RD_KAFKA_CONF_INVALID) {
    std::string why = is_secret_key(key) ? std::string("value rejected") : std::string(errstr);
    throw_bad_input(fmt::format("invalid value for '{}': {}", key, why), context_of(origin));
  }
}

}  // namespace

const char* to_string(ClientRole role) noexcept {
  switch (role) {
    case ClientRole::consumer: return "consumer";
    case ClientRole::producer: return "producer";
    case ClientRole::admin: return "admin";
  }
  return "client";
}

std::string ConfigOrigin::to_string() const {
  if (!file.empty()) return line > 0 ? fmt::format("{}:{}", file, line) : file;
  if (!flag.empty()) return flag;
  return "default";
}

void ClientConfig::apply_file(const std::string& path) {
  for (const Property& p : read_properties_file(path)) {
    set(p.key, p.value, ConfigOrigin{.file = path, .line = p.line, .flag = {}});
  }
}

void ClientConfig::apply_override(std::string_view kv) {
  size_t eq = kv.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw_bad_input(fmt::format("expected key=value, got '{}'", kv), {.flag = "-X"});
  }
  set(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)), ConfigOrigin{.file = {}, .line = 0, .flag = "-X"});
}

void ClientConfig::set(const std::string& key, const std::string& value, const ConfigOrigin& origin) {
  for (const auto& ig : kIgnoredKeys) {
    if (key == ig.key) {
      warnings_.push_back({origin, fmt::format("ignoring '{}': {}", key, ig.reason)});
      return;
    }
  }
  for (const auto& rn : kRenamedKeys) {
    if (key == rn.java) {
      std::string v = value;
      if (rn.librdkafka.starts_with("socket.") && trim(v) == "-1") v = "0";  // both mean "OS default"
      validate(std::string(rn.librdkafka), v, origin);
      store(std::string(rn.librdkafka), v, origin);
      return;
    }
  }
  if (key == "buffer.memory") {
    long long bytes = 0;
    std::string v = trim(value);
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), bytes);
    if (ec != std::errc() || p != v.data() + v.size() || bytes <= 0) {
      throw_bad_input(fmt::format("invalid value for 'buffer.memory': '{}' is not a positive byte count", value),
                      context_of(origin));
    }
    std::string kb = std::to_string(std::max(1LL, bytes / 1024));
    validate("queue.buffering.max.kbytes", kb, origin);
    store("queue.buffering.max.kbytes", kb, origin);
    return;
  }
  if (key == "partition.assignment.strategy") {
    std::string v = map_assignors(value, origin, warnings_);
    validate(key, v, origin);
    store(key, v, origin);
    return;
  }
  if (key == "ssl.endpoint.identification.algorithm") {
    std::string v = trim(value).empty() ? "none" : trim(value);
    if (iequals(v, "https")) v = "https";
    validate(key, v, origin);
    store(key, v, origin);
    return;
  }
  if (key == "ssl.truststore.location") {
    throw_bad_input("ssl.truststore.location: librdkafka cannot read Java truststores; export the CA "
                    "certificate as PEM (keytool -exportcert -rfc) and set ssl.ca.location instead",
                    context_of(origin));
  }
  if (key == "ssl.keystore.type") {
    if (iequals(trim(value), "PKCS12")) return;  // librdkafka's ssl.keystore.location is PKCS#12
    throw_bad_input(fmt::format("ssl.keystore.type={}: librdkafka reads PKCS#12 keystores only; convert with "
                                "keytool -importkeystore -deststoretype PKCS12",
                                value),
                    context_of(origin));
  }
  if (key == "sasl.jaas.config") {
    JaasConfig jaas = parse_jaas(value, origin);
    bool plain_or_scram = jaas.login_module.ends_with(".PlainLoginModule") || jaas.login_module.ends_with(".ScramLoginModule");
    if (!plain_or_scram) {
      throw_bad_input(fmt::format("sasl.jaas.config: login module '{}' cannot be mapped; use librdkafka's "
                                  "sasl.kerberos.* or sasl.oauthbearer.* properties instead",
                                  jaas.login_module),
                      context_of(origin));
    }
    for (const auto& [k, v] : jaas.options) {
      if (k == "username") store("sasl.username", v, origin);
      else if (k == "password") store("sasl.password", v, origin);
      else warnings_.push_back({origin, fmt::format("sasl.jaas.config: ignoring option '{}'", k)});
    }
    return;
  }
  validate(key, value, origin);
  store(key, value, origin);
}

void ClientConfig::set_default(const std::string& key, const std::string& value) {
  ConfigOrigin origin;
  validate(key, value, origin);
  store(key, value, origin);
}

void ClientConfig::store(std::string key, std::string value, const ConfigOrigin& origin) {
  for (ConfigEntry& e : entries_) {
    if (e.key == key) {
      e.value = std::move(value);
      e.origin = origin;
      return;
    }
  }
  entries_.push_back({std::move(key), std::move(value), origin});
}

std::optional<std::string> ClientConfig::get(std::string_view key) const {
  const ConfigEntry* e = find(key);
  if (e == nullptr) return std::nullopt;
  return e->value;
}

const ConfigEntry* ClientConfig::find(std::string_view key) const {
  for (const ConfigEntry& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

void ClientConfig::erase(std::string_view key) {
  std::erase_if(entries_, [&](const ConfigEntry& e) { return e.key == key; });
}

bool is_secret_key(std::string_view key) {
  constexpr std::array needles{"password", "secret", "sasl.jaas.config", "ssl.key.pem", "ssl_key",
                               "sasl.oauthbearer.config", "token"};
  for (std::string_view n : needles) {
    if (key.find(n) != std::string_view::npos) return true;
  }
  return false;
}

ConfHandle make_conf(const ClientConfig& config) {
  ConfHandle conf{rd_kafka_conf_new()};
  char errstr[512];
  for (const ConfigEntry& e : config.entries()) {
    if (rd_kafka_conf_set(conf.get(), e.key.c_str(), e.value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      std::string why = is_secret_key(e.key) ? std::string("value rejected") : std::string(errstr);
      throw_bad_input(fmt::format("cannot set '{}': {}", e.key, why), context_of(e.origin));
    }
  }
  return conf;
}

std::vector<DumpEntry> dump_config(const ClientConfig& config, bool include_defaults) {
  std::vector<DumpEntry> out;
  auto mask = [](const std::string& key, std::string value) {
    return is_secret_key(key) && !value.empty() ? std::string("********") : value;
  };
  if (!include_defaults) {
    for (const ConfigEntry& e : config.entries()) out.push_back({e.key, mask(e.key, e.value), e.origin.to_string()});
    return out;
  }
  ConfHandle conf = make_conf(config);
  auto add_dump = [&](const char** arr, size_t cnt) {
    for (size_t i = 0; i + 1 < cnt; i += 2) {
      std::string key = arr[i];
      const ConfigEntry* set_by = config.find(key);
      out.push_back({key, mask(key, arr[i + 1]), set_by ? set_by->origin.to_string() : std::string()});
    }
  };
  size_t cnt = 0;
  const char** arr = rd_kafka_conf_dump(conf.get(), &cnt);
  add_dump(arr, cnt);
  rd_kafka_conf_dump_free(arr, cnt);
  if (const rd_kafka_topic_conf_t* tc = rd_kafka_conf_get_default_topic_conf(conf.get())) {
    arr = rd_kafka_topic_conf_dump(const_cast<rd_kafka_topic_conf_t*>(tc), &cnt);
    add_dump(arr, cnt);
    rd_kafka_conf_dump_free(arr, cnt);
  }
  // Keys the user set that librdkafka stores elsewhere (aliases) still appear once.
  for (const ConfigEntry& e : config.entries()) {
    bool listed = std::any_of(out.begin(), out.end(), [&](const DumpEntry& d) { return d.key == e.key; });
    if (!listed) out.push_back({e.key, mask(e.key, e.value), e.origin.to_string()});
  }
  return out;
}

}  // namespace dr::kafka
