// Extending the known-common prefix of a partition by content, where the forward mapping ends a
// little early: records the forward mirror delivered after its last persist, before the fence.
#pragma once

#include <chrono>
#include <vector>

#include "dr/kafka/client.hpp"
#include "dr/resync/inverse_mapping.hpp"

namespace dr::resync {

// Records equal in key, value, headers (order and null values included) and timestamp.
bool same_record(const kafka::Record& a, const kafka::Record& b);

struct TailSide {
  const kafka::ClientConfig* config = nullptr;  // consumer config
  std::string label;
  std::string topic;
  int64_t from = 0;  // first offset to compare
  int64_t end = 0;   // end offset (exclusive)
};

// The longest common prefix of old_side's records [from, end) and new_side's, record by record (the
// n-th record of one against the n-th of the other: offsets without records are passed over on
// both sides). Stops at the first difference or when a side ends. Holds one record of the new side
// at a time.
std::vector<MatchedRecord> match_tail(const TailSide& old_side, const TailSide& new_side, int32_t partition,
                                      std::chrono::milliseconds timeout);

}  // namespace dr::resync
