// dr-resync replay: produce the records a resync saved into a topic the operator chooses, so the
// application owners can decide what to do with them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dr::resync {

struct ReplayOptions {
  std::string from_dir;                // a --save-dir of dr-resync
  std::string config;                  // producer .properties of the cluster to write to
  std::vector<std::string> overrides;  // -X key=value
  std::string topic;                   // must exist, with at least as many partitions as were saved
  bool force = false;                  // replay again into a topic replayed into before
  bool partition_by_key = false;       // let the key choose the partition instead of the saved number
  int64_t timeout_ms = 30000;
};

struct ReplayReport {
  std::string topic;
  std::string cluster_id;
  int files = 0;
  int64_t records = 0;
};

// Verifies every saved file first (nothing is produced if one fails), then produces each record into
// the same partition number of `topic` (or the partition its key hashes to, with partition_by_key),
// with its key, value, headers and timestamp, and records the
// replay in the directory. A second replay into the same topic of the same cluster is
// dr::Error(refused) unless `force`. Errors: bad_input (directory, files, flags, topic missing or
// too few partitions), kafka.
ReplayReport replay_saved(const ReplayOptions& options);

}  // namespace dr::resync
