// Which source topics dr-mirror copies, and what they are called on the target (private).
#pragma once

#include <regex>
#include <string>

namespace dr::mirror {

// Kafka's internal topics (__consumer_offsets, __transaction_state, ...) and Connect/MirrorMaker 2
// internal topics (*.internal) are never mirrored, whatever the patterns say.
bool is_internal_topic(const std::string& topic);

class TopicSelector {
 public:
  // include/exclude: regexes matched against the whole topic name. As in MirrorMaker 1, ',' in a
  // pattern means '|' and spaces are ignored. Invalid regex: dr::Error(bad_input) naming the flag.
  TopicSelector(const std::string& include, const std::string& exclude);
  bool selected(const std::string& topic) const;

 private:
  std::regex include_;
  std::regex exclude_;
  bool has_exclude_ = false;
};

// Applies a rename template: {topic}, {source}, {target}. Validated by validate_rename_template.
std::string rename_topic(const std::string& tmpl, const std::string& topic, const std::string& source_alias,
                         const std::string& target_alias);
void validate_rename_template(const std::string& tmpl);

}  // namespace dr::mirror
