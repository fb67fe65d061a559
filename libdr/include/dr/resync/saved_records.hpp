// The save directory of dr-resync: the old primary's diverged records, kept before anything is
// deleted, in a format an operator can read without kafka-dr (runbooks/saved-records.md).
//
//   DIR/manifest.json          what was saved: link, cluster ids, resync id, and per partition the
//                              file, record count, first/last offset and timestamp, bytes, sha256
//   DIR/SHA256SUMS             the same checksums, as `sha256sum -c SHA256SUMS` reads them
//   DIR/<topic>-<partition>.jsonl   one record per line, in offset order:
//     {"offset":N,"timestamp_ms":T,"timestamp_type":"create_time","key":B64|null,"value":B64|null,
//      "headers":[{"key":"name","value":B64|null},...]}
//     (B64: standard base64 with padding; null: a null key, value or header value)
//   DIR/replays.json           each finished `dr-resync replay` (cluster id, topic, records, time)
//
// Every file is written to a temporary name, fsynced and renamed into place, then read back and
// checked (count and checksum) before the manifest names it: a partition the manifest lists is on
// disk, whole. Errors: dr::Error(io) for a file that cannot be written; dr::Error(bad_input) naming
// the file (and line) for one that does not match the manifest.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dr/kafka/client.hpp"

namespace dr::resync {

struct SavedPartition {
  std::string topic;
  int32_t partition = 0;
  std::string file;  // name inside the directory
  int64_t records = 0;
  int64_t first_offset = -1, last_offset = -1;
  int64_t first_timestamp_ms = 0, last_timestamp_ms = 0;
  int64_t bytes = 0;  // of the file
  std::string sha256;
  bool operator==(const SavedPartition&) const = default;
};

struct SaveManifest {
  int format_version = 1;
  std::string link;
  std::string old_primary_cluster_id;
  std::string new_primary_cluster_id;
  int64_t resync_id = 0;
  int64_t created_ms = 0;
  std::vector<SavedPartition> partitions;
};

// Saves the old primary's records [from, to) of one partition into `dir` (created if missing) and
// names them in the manifest (header fields from `header`; an existing manifest must be of the same
// link and clusters). A partition the manifest already lists with the same range and whose file
// verifies is returned as it is, without reading Kafka (a rerun). `consumer_config`: the old primary.
SavedPartition save_partition(const kafka::ClientConfig& consumer_config, const std::string& label,
                              const std::string& dir, const SaveManifest& header, const std::string& topic,
                              int32_t partition, int64_t from, int64_t to, std::chrono::milliseconds timeout);

// What save_partition does, with the records from `source` (which calls its sink for each record
// in offset order) instead of from Kafka.
using RecordSource = std::function<void(const std::function<bool(const kafka::Record&)>&)>;
SavedPartition save_records(const std::string& dir, const SaveManifest& header, const std::string& topic,
                            int32_t partition, const RecordSource& source);

// The manifest, or nullopt when `dir` has none. A malformed manifest: dr::Error(bad_input).
std::optional<SaveManifest> read_manifest(const std::string& dir);

// Reads the partition's file back: dr::Error(bad_input) naming the file for a missing file, a
// malformed line (with its number), a wrong count, offsets or checksum.
void verify_saved(const std::string& dir, const SavedPartition& saved);

// Calls `each` for every record of a saved partition, in order (after verify_saved).
void for_each_saved(const std::string& dir, const SavedPartition& saved,
                    const std::function<void(const kafka::Record&)>& each);

// Writes `content` to `path` whole or not at all (temporary name, fsync, rename, fsync of the
// directory), as the manifest is written. dr::Error(io) naming the file.
void write_file_whole(const std::string& path, const std::string& content);

// One record as one line of the format above (no newline), and back.
std::string encode_record(const kafka::Record& record);
kafka::Record decode_record(const std::string& line, const std::string& file, int line_number);

}  // namespace dr::resync
