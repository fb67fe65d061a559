// A production-like link on the test clusters, shared by the tests that fail groups over it
// (dr-failover --planned, the dr-drill game day): a topic of kPartitions partitions on the primary
// with sequence-numbered records (the first kTrimmed of each partition deleted, so source and
// target offsets differ), a dr-mirror running in the background with its state file, and a group.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dr/kafka/client.hpp"
#include "integration/clusters.hpp"
#include "integration/data.hpp"
#include "integration/process.hpp"

namespace dr::test {

// Records "seq-<i>" (key "k<i>") for i in [first, first + n), record i on partition i % partitions.
std::vector<kafka::Record> sequence(const std::string& topic, int first, int n, int partitions = 3);

// Reads as `group` (subscribed: a live member) until `n` records arrived or nothing comes for 6 s,
// commits what it read, and leaves the group. The values read, in order.
std::vector<std::string> read_as(const Cluster& c, const std::string& group, const std::string& topic, size_t n);

struct MirroredLink {
  static constexpr int kPartitions = 3;
  static constexpr int kTrimmed = 7;

  Cluster primary = cluster("primary");
  Cluster standby = cluster("standby");
  TempDir dir;
  std::string topic;
  std::string group;
  std::string state;
  std::string primary_config;
  std::string standby_config;
  std::unique_ptr<Background> mirror;

  // Creates the topic with 300 records, starts dr-mirror (link "primary->standby", checkpointing
  // `group`) and waits until it has copied them.
  explicit MirroredLink(const std::string& prefix);
  // Until dr-mirror's checkpointer has recorded the group.
  void wait_checkpointed() const;
  // Until the mapping reaches the primary's end offsets on every partition.
  void wait_mapped() const;
  std::string mirror_log() const { return dir.path + "/mirror.log"; }
};

}  // namespace dr::test
