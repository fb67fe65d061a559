#include "dr/kafka/command_line.hpp"

#include <string_view>

#include "dr/kafka/config.hpp"

namespace dr::kafka {

namespace {

// "key=value" (after any "-X" or leading dashes) with the value masked if the key is secret.
std::string mask_assignment(std::string_view prefix, std::string_view rest) {
  const size_t eq = rest.find('=');
  if (eq == std::string_view::npos) return std::string(prefix) + std::string(rest);
  const std::string_view key = rest.substr(0, eq);
  return std::string(prefix) + std::string(key) + "=" + mask_secret(key, rest.substr(eq + 1));
}

}  // namespace

std::vector<std::string> mask_arguments(const std::vector<std::string>& argv) {
  std::vector<std::string> out;
  out.reserve(argv.size());
  std::string secret_flag;  // the previous entry was "--<secret key>": this one is its value
  for (const std::string& arg : argv) {
    const std::string_view a = arg;
    if (!secret_flag.empty()) {
      out.push_back(mask_secret(secret_flag, a));
      secret_flag.clear();
      continue;
    }
    if (a.starts_with("-X") && a.size() > 2) {
      out.push_back(mask_assignment("-X", a.substr(2)));
    } else if (a.starts_with("-")) {
      const size_t dashes = a.find_first_not_of('-');
      const std::string_view name = dashes == std::string_view::npos ? std::string_view() : a.substr(dashes);
      if (name.find('=') != std::string_view::npos) {
        out.push_back(mask_assignment(a.substr(0, dashes), name));
      } else {
        if (!name.empty() && is_secret_key(name)) secret_flag = std::string(name);
        out.push_back(arg);
      }
    } else {
      out.push_back(mask_assignment({}, a));  // "key=value" after -X, or any other bare assignment
    }
  }
  return out;
}

std::string masked_command_line(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& arg : mask_arguments(argv)) {
    if (!out.empty()) out += ' ';
    if (arg.empty() || arg.find_first_of(" \t'\"\\$`") != std::string::npos) {
      out += '\'';
      for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    } else {
      out += arg;
    }
  }
  return out;
}

}  // namespace dr::kafka
