// Test data on real clusters: topics, records, reading partitions back, config files.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dr/kafka/client.hpp"
#include "integration/clusters.hpp"

namespace dr::test {

void create_topic(const Cluster& c, const std::string& topic, int partitions,
                  const std::map<std::string, std::string>& configs = {});
void produce(const Cluster& c, const std::vector<kafka::Record>& records);
// Every record of a partition from its log start to the high watermark at call time.
std::vector<kafka::Record> read_partition(const Cluster& c, const std::string& topic, int32_t partition);
int64_t end_offset(const Cluster& c, const std::string& topic, int32_t partition);

// A fresh directory under the build tree's test area, removed by the destructor.
struct TempDir {
  std::string path;
  TempDir();
  ~TempDir();
};

void write_file(const std::string& path, const std::string& content);
// consumer.properties for the source and producer.properties for the target in `dir`.
struct MirrorConfigs {
  std::string consumer;
  std::string producer;
};
MirrorConfigs write_mirror_configs(const std::string& dir, const Cluster& source, const Cluster& target,
                                   const std::string& group, const std::string& extra_consumer = "");

}  // namespace dr::test
