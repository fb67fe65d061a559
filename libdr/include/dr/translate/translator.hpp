// Answers "where on the standby is source offset X / group G / time T?" from the state file, and
// from the standby itself where it can be asked (its time index and log start offsets). Never
// talks to the primary, so it works when the primary is gone.
//
// Thread-safety: one Translator per thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dr/kafka/client.hpp"
#include "dr/store/links.hpp"
#include "dr/store/state_store.hpp"
#include "dr/translate/translate.hpp"

namespace dr::translate {

struct TranslatedOffset {
  std::string group;         // empty for a plain offset or time query
  std::string source_topic;
  std::string target_topic;
  int32_t partition = 0;
  int64_t source_offset = -1;  // -1 for time queries
  int64_t checkpoint_ms = 0;   // group queries: when the offset was checkpointed
  int64_t read_ms = 0;         // group queries: when the group was last read
  OffsetTranslation translation;
};

struct TimeOffset {
  std::string source_topic;
  std::string target_topic;
  int32_t partition = 0;
  int64_t target_offset = 0;  // first record at or after the time; the end offset if none
  bool from_mapping = false;  // the target could not be asked: approximated from the state file
};

class Translator {
 public:
  // `target`: an admin client of the link's target cluster, or nullptr (state file only).
  Translator(store::StateStore& store, store::Link link, kafka::Admin* target);

  const store::Link& link() const noexcept { return link_; }
  bool has_target() const noexcept { return target_ != nullptr; }

  // Source topic -> target topic, from the state file; dr::Error(bad_input) if not mirrored.
  std::string target_topic(const std::string& source_topic);
  std::vector<std::string> mirrored_topics();

  // dr::Error(bad_input) naming topic and partition unless the state file records the topic as
  // mirrored with that partition.
  void check_partition(const std::string& source_topic, int32_t partition);
  // Where one source offset landed. dr::Error(bad_input) naming the topic and partition for a topic
  // that is not mirrored, a partition the topic does not have (the state file records each topic's
  // partition count), or a negative offset.
  TranslatedOffset translate(const std::string& source_topic, int32_t partition, SourceOffset offset);
  // The newest checkpoint of every group matching, translated. as_of_ms: checkpoints at or before.
  std::vector<TranslatedOffset> translate_groups(const std::vector<std::string>& groups,
                                                 std::optional<int64_t> as_of_ms = std::nullopt);
  // Checkpointed groups whose id matches `pattern` as a whole (empty: all). An invalid pattern is
  // dr::Error(bad_input) naming --groups.
  std::vector<std::string> checkpointed_groups(const std::string& pattern = {});
  // First target offset at or after `at_ms` for every partition of a mirrored topic.
  std::vector<TimeOffset> offsets_for_time(const std::string& source_topic, int64_t at_ms);
  // The oldest record time the mapping knows of, over all topics (0 if none).
  int64_t oldest_mapped_time();

 private:
  // translate() without the partition check: checkpoints name partitions the mirror saw.
  TranslatedOffset translate_known(const std::string& source_topic, int32_t partition, SourceOffset offset);
  std::optional<TargetOffset> log_start(const std::string& target_topic, int32_t partition);
  const std::vector<store::OffsetSegment>& rows(const std::string& source_topic, int32_t partition);

  store::StateStore& store_;
  store::Link link_;
  kafka::Admin* target_;
  std::map<std::string, std::pair<std::string, int>> topics_;  // source -> (target, partitions)
  std::map<std::pair<std::string, int32_t>, std::vector<store::OffsetSegment>> rows_;
};

// Checks a --groups regex without a state file or a cluster: dr::Error(bad_input) naming --groups.
void validate_group_pattern(const std::string& pattern);

// Finds a link by name, or the only link when `name` is empty. dr::Error(bad_input) naming the
// links the state file has.
store::Link resolve_link(store::StateStore& store, const std::string& name);

}  // namespace dr::translate
