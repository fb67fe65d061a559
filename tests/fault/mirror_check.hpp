// What the fault tests check after a mirror survived a fault: every source record is on the target,
// byte for byte and in order, and every mapping row in the state file is true.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dr/kafka/client.hpp"
#include "integration/clusters.hpp"

namespace dr::test {

// Records id first_id..first_id+n-1 spread over `partitions`: key "k<id % 1000>", value "id-<id>|..."
// (unique), a header "id", and a source timestamp an hour ago.
std::vector<kafka::Record> make_stream_records(const std::string& topic, int n, int first_id, int partitions);

// Sum of the end offsets of the topic's partitions; 0 if the topic does not exist (yet).
int64_t total_end_offsets(const Cluster& c, const std::string& topic, int partitions);
// Sum of a group's committed offsets.
int64_t committed_total(const Cluster& c, const std::string& group);

struct MirrorVerdict {
  int64_t source_records = 0;
  int64_t duplicates = 0;  // target records beyond one copy of each source record
  size_t max_rows = 0;     // most mapping rows of any partition
};

// Fails the test unless every source record is on the target in its partition with the same key,
// value, headers and timestamp, the first copies appear in source order, and every mapping row in
// `state` names a target offset that holds the mapped record, covering every source offset.
MirrorVerdict verify_mirrored(const Cluster& source, const Cluster& target, const std::string& topic, int partitions,
                              const std::string& state);

}  // namespace dr::test
