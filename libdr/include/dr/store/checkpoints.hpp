// Consumer group checkpoints: where each source group stood, as read by dr-mirror's checkpointer.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dr/store/state_store.hpp"
#include "dr/types.hpp"

namespace dr::store {

struct CommittedOffset {
  std::string source_topic;
  int32_t partition = 0;
  SourceOffset offset;  // the next record the group would read
};

struct GroupCheckpoint {
  std::string group_id;
  std::string source_topic;
  int32_t partition = 0;
  SourceOffset offset;
  int64_t checkpoint_ms = 0;  // when this offset was first seen
  int64_t read_ms = 0;        // when the group was last read (offset unchanged since checkpoint_ms)
};

// Records one read of a group: a row for every partition whose offset changed since the newest row,
// the read time, and drops rows older than `keep_ms` (never the newest per partition). One
// transaction.
void record_checkpoints(StateStore& store, int64_t link_id, const std::string& group_id, int64_t read_ms,
                        std::span<const CommittedOffset> offsets, int64_t keep_ms = 7LL * 24 * 3600 * 1000);

// The newest checkpoint of every (group, topic, partition) on the link, optionally at or before
// `as_of_ms`, sorted by group, topic, partition.
std::vector<GroupCheckpoint> latest_checkpoints(StateStore& store, int64_t link_id,
                                                std::optional<int64_t> as_of_ms = std::nullopt);

// Number of checkpoint rows of a link (tests, dr-status).
int64_t count_checkpoint_rows(StateStore& store, int64_t link_id);

}  // namespace dr::store
