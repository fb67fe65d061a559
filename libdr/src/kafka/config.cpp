// ClientConfig: validation against librdkafka itself.
// The Java-key table is in java_keys.cpp.
#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>

#include "dr/error.hpp"
#include "dr/kafka/config.hpp"
#include "dr/log.hpp"
#include "kafka/handles.hpp"
#include "kafka/config_internal.hpp"

namespace dr::kafka {

namespace {

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
}

}  // namespace

void throw_config_error(std::string_view message, const ConfigOrigin& origin) {
  throw_bad_input(std::string(message), {.file = origin.file, .line = origin.line, .flag = origin.flag});
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
    throw_config_error(fmt::format("expected key=value, got '{}'", kv), ConfigOrigin{.file = {}, .line = 0, .flag = "-X"});
  }
  set(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)), ConfigOrigin{.file = {}, .line = 0, .flag = "-X"});
}

void ClientConfig::set(const std::string& key, const std::string& value, const ConfigOrigin& origin) {
  MappedKey mapped = map_java_key(key, value, origin);
  for (const std::string& w : mapped.warnings) warnings_.push_back({origin, w});
  if (!mapped.handled) mapped.entries.emplace_back(key, value);
  for (const auto& [k, v] : mapped.entries) validate(k, v, origin);
  for (auto& [k, v] : mapped.entries) store(std::move(k), std::move(v), origin);
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
      throw_config_error(fmt::format("cannot set '{}': {}", e.key, why), e.origin);
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
