// Private to libdr/src/kafka: the Java-key mapping behind ClientConfig::set, and the one way config
// errors are raised (escaped, naming the origin).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dr/error.hpp"
#include "dr/kafka/config.hpp"

namespace dr::kafka {

// What a Java client key becomes.
struct MappedKey {
  bool handled = false;  // false: not a Java-only key; pass key and value to librdkafka unchanged
  std::vector<std::pair<std::string, std::string>> entries;  // librdkafka key=value to validate and store
  std::vector<std::string> warnings;
};

// Looks `key` up in the Java key table and applies its rule. Refused keys and untranslatable values
// throw dr::Error(bad_input) naming `origin`.
MappedKey map_java_key(const std::string& key, const std::string& value, const ConfigOrigin& origin);

// dr::Error(bad_input) with the message escaped (it may quote keys and values from the file) and
// the origin's file, line or flag as context.
[[noreturn]] void throw_config_error(std::string_view message, const ConfigOrigin& origin);

}  // namespace dr::kafka
