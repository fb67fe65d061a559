// ClientConfig: validation against librdkafka itself, checks across keys, escaping for messages.
// The Java-key table is in java_keys.cpp.
#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <initializer_list>

#include <fmt/format.h>

#include "dr/error.hpp"
#include "dr/kafka/config.hpp"
#include "dr/log.hpp"
#include "kafka/handles.hpp"
#include "kafka/config_internal.hpp"

namespace dr::kafka {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string trim_blanks(std::string_view s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(" \t") - b + 1));
}

bool is_integer(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// Validates one librdkafka key=value using librdkafka's own table.
void validate(const std::string& key, const std::string& value, const ConfigOrigin& origin) {
  ConfHandle conf{rd_kafka_conf_new()};
  char errstr[512];
  rd_kafka_conf_res_t res = rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), errstr, sizeof errstr);
  if (res == RD_KAFKA_CONF_UNKNOWN) {
    throw_config_error(fmt::format("unknown property '{}': neither librdkafka nor kafka-dr's Java-key mapping knows "
                                   "it (dr-config --all lists every key librdkafka knows)",
                                   key),
                       origin);
  }
  if (res == RD_KAFKA_CONF_INVALID) {
    std::string why = is_secret_key(key) ? std::string("value rejected") : std::string(errstr);
    throw_config_error(fmt::format("invalid value for '{}': {}", key, why), origin);
  }
  // librdkafka reads integers with strtol and drops what follows the digits: "45s" would be 45 ms.
  // Java refuses such values, and so does kafka-dr: a number must be all digits.
  char stored[64];
  size_t size = sizeof stored;
  res = rd_kafka_conf_get(conf.get(), key.c_str(), stored, &size);
  if (res == RD_KAFKA_CONF_UNKNOWN) {  // a topic-level key, kept in the default topic config
    const rd_kafka_topic_conf_t* topic_conf = rd_kafka_conf_get_default_topic_conf(conf.get());
    size = sizeof stored;
    if (topic_conf != nullptr) res = rd_kafka_topic_conf_get(topic_conf, key.c_str(), stored, &size);
  }
  if (res != RD_KAFKA_CONF_OK || !is_integer(stored) || is_secret_key(key)) return;
  const std::string given = trim_blanks(value);
  if (!is_integer(given) && given.find_first_of("0123456789") != std::string::npos) {
    throw_config_error(fmt::format("invalid value for '{}': '{}' is not a whole number (librdkafka would read {})",
                                   key, value, stored),
                       origin);
  }
}

}  // namespace

std::string escape_control_bytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  auto escape = [&](unsigned char c) { out += fmt::format("\\x{:02x}", c); };
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) escape(c);
      else out += static_cast<char>(c);
      ++i;
      continue;
    }
    // Keep a well-formed UTF-8 sequence unless it encodes a C1 control (U+0080..U+009F).
    size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    bool ok = len > 0 && i + len <= text.size();
    for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (ok && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) < 0xA0) ok = false;
    if (!ok) {
      escape(c);
      ++i;
      continue;
    }
    out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

void throw_config_error(std::string_view message, const ConfigOrigin& origin) {
  throw_bad_input(escape_control_bytes(message), {.file = escape_control_bytes(origin.file),
                                                  .line = origin.line,
                                                  .flag = escape_control_bytes(origin.flag)});
}

const char* to_string(ClientRole role) noexcept {
  switch (role) {
    case ClientRole::consumer: return "consumer";
    case ClientRole::producer: return "producer";
    case ClientRole::admin: return "admin";
  }
  return "client";
}

std::string ConfigOrigin::to_string() const {
  if (!file.empty()) return escape_control_bytes(line > 0 ? fmt::format("{}:{}", file, line) : file);
  if (!flag.empty()) return flag;
  return "default";
}

void ClientConfig::apply_file(const std::string& path) {
  files_.push_back(path);
  for (const Property& p : read_properties_file(path)) {
    set(p.key, p.value, ConfigOrigin{.file = path, .line = p.line, .flag = {}});
  }
}

void ClientConfig::apply_override(std::string_view kv) {
  size_t eq = kv.find('=');
  if (eq == 0) {
    // What follows '=' may be a secret whose key was lost: never echo it.
    throw_config_error("expected key=value, got '=...' (the key before '=' is missing)", ConfigOrigin{.file = {}, .line = 0, .flag = "-X"});
  }
  if (eq == std::string_view::npos) {
    throw_config_error(fmt::format("expected key=value, got '{}'", kv), ConfigOrigin{.file = {}, .line = 0, .flag = "-X"});
  }
  set(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)), ConfigOrigin{.file = {}, .line = 0, .flag = "-X"});
}

void ClientConfig::set(const std::string& key, const std::string& value, const ConfigOrigin& origin) {
  // librdkafka takes C strings: a NUL would silently cut the key or value short.
  if (key.find('\0') != std::string::npos || value.find('\0') != std::string::npos) {
    throw_config_error(fmt::format("'{}': a NUL byte in the {} (librdkafka would read only what comes before it)",
                                   is_secret_key(key) ? key : key + "=" + value,
                                   key.find('\0') != std::string::npos ? "key" : "value"),
                       origin);
  }
  MappedKey mapped = map_java_key(key, value, origin);
  for (const std::string& w : mapped.warnings) warnings_.push_back({origin, escape_control_bytes(w)});
  if (!mapped.handled) mapped.entries.emplace_back(key, value);
  for (const auto& [k, v] : mapped.entries) validate(k, v, origin);
  for (auto& [k, v] : mapped.entries) store(std::move(k), std::move(v), origin);
}

void ClientConfig::check() const {
  // Several librdkafka names for one setting: the file may use any of them.
  auto find_any = [this](std::initializer_list<std::string_view> keys) -> const ConfigEntry* {
    for (std::string_view k : keys) {
      if (const ConfigEntry* e = find(k)) return e;
    }
    return nullptr;
  };
  auto number = [](const ConfigEntry* e) {
    long long n = 0;
    auto [p, ec] = std::from_chars(e->value.data(), e->value.data() + e->value.size(), n);
    return ec == std::errc() ? std::optional<long long>(n) : std::nullopt;
  };
  const ConfigEntry* idempotence = find("enable.idempotence");
  const bool idempotent = idempotence ? iequals(idempotence->value, "true") || idempotence->value == "1"
                                      : role_ == ClientRole::producer;
  if (idempotent) {
    const std::string why =
        idempotence ? fmt::format("enable.idempotence=true ({}) needs", idempotence->origin.to_string())
                    : std::string("kafka-dr's producers are idempotent (enable.idempotence defaults to true), which needs");
    if (const ConfigEntry* acks = find_any({"acks", "request.required.acks"});
        acks && acks->value != "all" && acks->value != "-1") {
      throw_config_error(fmt::format("{}={}: {} acks=all", acks->key, acks->value, why), acks->origin);
    }
    if (const ConfigEntry* inflight = find_any({"max.in.flight.requests.per.connection", "max.in.flight"});
        inflight && number(inflight).value_or(0) > 5) {
      throw_config_error(fmt::format("{}={}: {} at most 5", inflight->key, inflight->value, why), inflight->origin);
    }
    if (const ConfigEntry* retries = find_any({"retries", "message.send.max.retries"});
        retries && number(retries) == 0) {
      throw_config_error(fmt::format("{}={}: {} at least 1", retries->key, retries->value, why), retries->origin);
    }
  }
  // Settings librdkafka orders when it creates a client; unset ones have librdkafka 2.0.2's default.
  struct Ordered {
    bool consumer_type;  // a consumer-type handle (kafka-dr's consumers and admin clients), else a producer
    std::array<std::string_view, 2> low;  // names of one setting (aliases)
    long long low_default;
    bool low_must_be_set;  // checked only when `low` is set (dr-mirror sizes message.max.bytes itself)
    std::array<std::string_view, 2> high;
    long long high_default;
    bool strictly;         // low < high, else low <= high
    bool high_zero_is_unbounded;
  };
  static constexpr std::array kOrdered{
      Ordered{true, {"session.timeout.ms", ""}, 45000, false, {"max.poll.interval.ms", ""}, 300000, false, false},
      Ordered{true, {"message.max.bytes", ""}, 1000000, true, {"fetch.max.bytes", ""}, 52428800, false, false},
      Ordered{false, {"linger.ms", "queue.buffering.max.ms"}, 5, false, {"delivery.timeout.ms", "message.timeout.ms"}, 300000,
              true, true},
  };
  for (const Ordered& rule : kOrdered) {
    if (rule.consumer_type != (role_ != ClientRole::producer)) continue;
    const ConfigEntry* low = find_any({rule.low[0], rule.low[1]});
    const ConfigEntry* high = find_any({rule.high[0], rule.high[1]});
    if ((low == nullptr && high == nullptr) || (rule.low_must_be_set && low == nullptr)) continue;
    const long long lo = low ? number(low).value_or(rule.low_default) : rule.low_default;
    const long long hi = high ? number(high).value_or(rule.high_default) : rule.high_default;
    if ((rule.high_zero_is_unbounded && hi == 0) || (rule.strictly ? lo < hi : lo <= hi)) continue;
    auto describe = [](const ConfigEntry* e, std::string_view name, long long value) {
      return e ? fmt::format("{}={} ({})", e->key, e->value, e->origin.to_string())
               : fmt::format("{}={} (librdkafka's default)", name, value);
    };
    throw_config_error(fmt::format("{} must be {} {}: librdkafka would refuse to start the client",
                                   describe(low, rule.low[0], lo), rule.strictly ? "below" : "at most",
                                   describe(high, rule.high[0], hi)),
                       (high ? high : low)->origin);
  }
  if (const ConfigEntry* keystore = find("ssl.keystore.location"); keystore && !find("ssl.keystore.password")) {
    throw_config_error("ssl.keystore.location needs ssl.keystore.password (librdkafka refuses a keystore without one)",
                       keystore->origin);
  }
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
  config.check();
  ConfHandle conf{rd_kafka_conf_new()};
  char errstr[512];
  for (const ConfigEntry& e : config.entries()) {
    if (rd_kafka_conf_set(conf.get(), e.key.c_str(), e.value.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      std::string why = is_secret_key(e.key) ? std::string("value rejected") : std::string(errstr);
      throw_config_error(fmt::format("cannot set '{}': {}", e.key, why), e.origin);
    }
  }
  return conf;
}

std::string mask_secret(std::string_view key, std::string_view value) {
  return is_secret_key(key) && !value.empty() ? std::string("********") : std::string(value);
}

std::vector<DumpEntry> dump_config(const ClientConfig& config, bool include_defaults) {
  std::vector<DumpEntry> out;
  auto mask = [](const std::string& key, const std::string& value) { return mask_secret(key, value); };
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
