// Kafka client configuration: Java-style .properties files, -X overrides, Java-key mapping.
//
// Operators migrating from MirrorMaker bring their consumer.properties and producer.properties.
// ClientConfig reads them, maps the Java client's keys to librdkafka's (one table, java_key_rules(),
// covering every producer, consumer and admin key of Kafka 3.9), ignores keys that make no sense for
// a byte-copying mirror (with a warning), and rejects keys librdkafka does not know, and settings
// that would silently behave differently, with a dr::Error (kind bad_input) that names the file and
// line, or the -X flag. Keys and values from files and flags appear in errors and warnings only
// through escape_control_bytes().
//
// Thread-safety: a ClientConfig is a value; use one per thread or treat it as immutable once built.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dr::kafka {

// One key=value from a .properties file, after escapes and continuations are resolved.
struct Property {
  std::string key;
  std::string value;
  int line = 0;  // 1-based line where the (logical) line starts
};

// Parses .properties text as java.util.Properties does (comments with # or !, separators '=',
// ':' or whitespace, backslash escapes including \uXXXX, line continuations), with two stricter
// rules that catch real mistakes: a key with no separator and no value, and an empty key, are
// malformed. `source` names the input in errors. Throws dr::Error(bad_input) with file and line.
std::vector<Property> parse_properties(std::string_view text, const std::string& source);

// Reads and parses a .properties file. Unreadable file: dr::Error(bad_input) naming the path.
std::vector<Property> read_properties_file(const std::string& path);

enum class ClientRole { consumer, producer, admin };
const char* to_string(ClientRole role) noexcept;

// Where a setting came from: "FILE:LINE", "-X", or "default" (set by kafka-dr itself).
struct ConfigOrigin {
  std::string file;  // empty for -X and defaults
  int line = 0;
  std::string flag;  // "-X" for overrides
  std::string to_string() const;
};

struct ConfigEntry {
  std::string key;    // librdkafka key (after mapping)
  std::string value;  // librdkafka value (after mapping)
  ConfigOrigin origin;
};

struct ConfigWarning {
  ConfigOrigin origin;
  std::string message;
};

class ClientConfig {
 public:
  explicit ClientConfig(ClientRole role) : role_(role) {}

  // Applies every property of a .properties file, in order (later lines win, as in Java).
  void apply_file(const std::string& path);
  // Applies one "-X key=value" override. Malformed (no '='): dr::Error(bad_input, flag "-X").
  void apply_override(std::string_view key_equals_value);
  // Sets one key. Java client keys are mapped; ignored keys add a warning; keys librdkafka does
  // not know, and invalid values, throw dr::Error(bad_input) naming `origin`.
  void set(const std::string& key, const std::string& value, const ConfigOrigin& origin);
  // Sets a key kafka-dr itself needs (origin "default"), replacing any earlier value.
  void set_default(const std::string& key, const std::string& value);
  // Checks what no single key shows: combinations librdkafka would refuse only when a client is
  // created (enable.idempotence, which kafka-dr's producers default to, with acks other than all,
  // max.in.flight above 5 or retries=0; session.timeout.ms above max.poll.interval.ms;
  // message.max.bytes above fetch.max.bytes; linger.ms not below delivery.timeout.ms;
  // ssl.keystore.location without ssl.keystore.password).
  // Throws dr::Error(bad_input) naming the offending setting's origin. Call it once every file and
  // override is applied; creating a client (make_conf) calls it too.
  void check() const;

  std::optional<std::string> get(std::string_view key) const;
  const ConfigEntry* find(std::string_view key) const;
  void erase(std::string_view key);
  ClientRole role() const noexcept { return role_; }
  const std::vector<ConfigEntry>& entries() const noexcept { return entries_; }
  const std::vector<ConfigWarning>& warnings() const noexcept { return warnings_; }
  // The files applied, in order; errors about a missing key name them.
  const std::vector<std::string>& files() const noexcept { return files_; }

 private:
  void store(std::string key, std::string value, const ConfigOrigin& origin);

  ClientRole role_;
  std::vector<std::string> files_;
  std::vector<ConfigEntry> entries_;
  std::vector<ConfigWarning> warnings_;
};

// What kafka-dr does with a key of Kafka's Java clients (producer, consumer, admin).
enum class JavaKeyAction {
  same,       // librdkafka has the key under the same name, with the same meaning and unit
  renamed,    // librdkafka has it under another name (`librdkafka`), same meaning and unit
  converted,  // the value is translated (units, class names, files); `note` says how
  ignored,    // means nothing to kafka-dr's clients: skipped with a warning saying why
  refused,    // cannot be honoured and would change behaviour: bad input naming FILE:LINE
};
const char* to_string(JavaKeyAction action) noexcept;

struct JavaKeyRule {
  std::string_view key;         // the Java client's key
  std::string_view clients;     // which Java clients have it: "P", "C", "A" combined, e.g. "PCA"
  JavaKeyAction action;
  std::string_view librdkafka;  // librdkafka key(s) it becomes; empty when ignored or refused
  std::string_view note;        // why, or how the value is translated
};

// The mapping of every key of Kafka 3.9's Java producer, consumer and admin client, sorted by key.
// Keys not in it are librdkafka's own and pass through as they are.
std::span<const JavaKeyRule> java_key_rules();
// The same table as Markdown (runbooks/mirror.md holds a copy; a unit test keeps them equal).
std::string java_key_table_markdown();

// Makes a key or value from a file or flag safe to echo: control bytes (C0, DEL, C1 and invalid
// UTF-8) become \xNN; printable text, UTF-8 included, is kept.
std::string escape_control_bytes(std::string_view text);

// True for keys whose values must never be printed (passwords, private keys, tokens, JAAS).
bool is_secret_key(std::string_view key);

// The one masking rule, used by the config dump and wherever arguments are recorded or logged
// (dr/kafka/command_line.hpp): "********" for a non-empty value of a secret key, else the value.
std::string mask_secret(std::string_view key, std::string_view value);

// One line of a config dump: value masked if secret; `set` says whether the user set it.
struct DumpEntry {
  std::string key;
  std::string value;
  std::string origin;  // empty for librdkafka defaults
};

// The effective configuration as librdkafka sees it, secrets masked as "********".
// include_defaults=false lists only what the user (or kafka-dr) set.
std::vector<DumpEntry> dump_config(const ClientConfig& config, bool include_defaults);

}  // namespace dr::kafka
