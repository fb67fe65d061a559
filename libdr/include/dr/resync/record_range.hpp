// Reading a bounded range of one partition's records (dr-resync: the old primary's diverged tail,
// the new primary's copy of it).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "dr/kafka/client.hpp"

namespace dr::resync {

// Calls `each` for the records of `topic`/`partition` with offsets in [from, to), in offset order
// (offsets without a record, from compaction or transaction markers, are passed over). `config` is
// a consumer config; `label` names the cluster in errors. Returns false from `each` to stop early.
// Bounded: dr::Error(kafka) naming cluster, topic and partition when no record arrives and the
// position does not move for `timeout`.
void read_range(const kafka::ClientConfig& config, const std::string& label, const std::string& topic, int32_t partition,
                int64_t from, int64_t to, std::chrono::milliseconds timeout,
                const std::function<bool(const kafka::Record&)>& each);

}  // namespace dr::resync
