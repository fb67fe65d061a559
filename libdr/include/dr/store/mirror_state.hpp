// What dr-mirror records besides the offset mapping: the topic name map and heartbeats.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dr/store/state_store.hpp"

namespace dr::store {

struct TopicMapping {
  std::string source_topic;
  std::string target_topic;
  int partitions = 0;
};

void record_topic(StateStore& store, int64_t link_id, const TopicMapping& mapping);
std::optional<TopicMapping> find_topic(StateStore& store, int64_t link_id, const std::string& source_topic);
std::vector<TopicMapping> list_topics(StateStore& store, int64_t link_id);

struct MirrorInstance {
  std::string instance_id;  // host:pid:started_ms
  int64_t link_id = 0;
  int64_t link_epoch = 0;
  std::string host;
  int64_t pid = 0;
  int64_t started_ms = 0;
  int64_t heartbeat_ms = 0;
  std::string status;  // starting, running, stopped, failed
};

// Inserts or updates the instance row (heartbeat_ms = now).
void heartbeat(StateStore& store, const MirrorInstance& instance);
std::vector<MirrorInstance> list_instances(StateStore& store, int64_t link_id);

}  // namespace dr::store
