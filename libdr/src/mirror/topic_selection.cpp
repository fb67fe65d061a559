#include "mirror/topic_selection.hpp"

#include <fmt/format.h>

#include "dr/error.hpp"

namespace dr::mirror {

namespace {

std::string mirrormaker_pattern(const std::string& p) {
  std::string out;
  for (char c : p) {
    if (c == ',') out += '|';
    else if (c != ' ') out += c;
  }
  return out;
}

std::regex compile(const std::string& pattern, const char* flag) {
  try {
    return std::regex(mirrormaker_pattern(pattern), std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    throw_bad_input(fmt::format("invalid regular expression '{}': {}", pattern, e.what()), {.flag = flag});
  }
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) s.replace(pos, from.size(), to);
}

}  // namespace

bool is_internal_topic(const std::string& topic) {
  return topic.starts_with("__") || topic.ends_with(".internal");
}

TopicSelector::TopicSelector(const std::string& include, const std::string& exclude)
    : include_(compile(include, "--whitelist/--include")), has_exclude_(!exclude.empty()) {
  if (include.empty()) throw_bad_input("a topic pattern is required, e.g. --include '.*'", {.flag = "--whitelist/--include"});
  if (has_exclude_) exclude_ = compile(exclude, "--exclude");
}

bool TopicSelector::selected(const std::string& topic) const {
  if (is_internal_topic(topic)) return false;
  if (!std::regex_match(topic, include_)) return false;
  return !(has_exclude_ && std::regex_match(topic, exclude_));
}

std::string rename_topic(const std::string& tmpl, const std::string& topic, const std::string& source_alias,
                         const std::string& target_alias) {
  std::string out = tmpl;
  replace_all(out, "{topic}", topic);
  replace_all(out, "{source}", source_alias);
  replace_all(out, "{target}", target_alias);
  return out;
}

void validate_rename_template(const std::string& tmpl) {
  if (tmpl.find("{topic}") == std::string::npos) {
    throw_bad_input(fmt::format("rename template '{}' must contain {{topic}}", tmpl), {.flag = "--rename"});
  }
  std::string probe = rename_topic(tmpl, "t", "s", "d");
  for (char c : probe) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      throw_bad_input(fmt::format("rename template '{}' makes invalid topic names (allowed: letters, digits, '.', '_', '-')", tmpl),
                      {.flag = "--rename"});
    }
  }
}

}  // namespace dr::mirror
