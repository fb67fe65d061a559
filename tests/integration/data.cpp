#include "integration/data.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>

namespace dr::test {

using namespace std::chrono_literals;

void create_topic(const Cluster& c, const std::string& topic, int partitions, const std::map<std::string, std::string>& configs) {
  kafka::Admin admin(client_config(c, kafka::ClientRole::admin));
  admin.create_topic(topic, partitions, -1, configs, 30s);
}

void produce(const Cluster& c, const std::vector<kafka::Record>& records) {
  auto config = client_config(c, kafka::ClientRole::producer);
  config.set_default("linger.ms", "20");
  kafka::Producer producer(config);
  for (const auto& r : records) producer.send(r);
  producer.flush(120s);
}

int64_t end_offset(const Cluster& c, const std::string& topic, int32_t partition) {
  kafka::Admin admin(client_config(c, kafka::ClientRole::admin));
  return admin.watermarks(topic, partition, 10s).high;
}

std::vector<kafka::Record> read_partition(const Cluster& c, const std::string& topic, int32_t partition) {
  kafka::Admin admin(client_config(c, kafka::ClientRole::admin));
  const auto w = admin.watermarks(topic, partition, 10s);
  std::vector<kafka::Record> out;
  if (w.high <= w.low) return out;
  auto config = client_config(c, kafka::ClientRole::consumer);
  config.set_default("isolation.level", "read_uncommitted");
  kafka::Consumer consumer(config);
  consumer.assign({{topic, partition, w.low}});
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = consumer.poll(200ms);
    if (!r) continue;
    out.push_back(std::move(*r));
    if (out.back().offset >= w.high - 1) return out;
  }
  throw std::runtime_error(fmt::format("timed out reading {}/{} up to offset {}", topic, partition, w.high));
}

TempDir::TempDir() {
  static int n = 0;
  auto base = std::filesystem::temp_directory_path() / fmt::format("dr-it-{}-{}", ::getpid(), ++n);
  std::filesystem::remove_all(base);
  std::filesystem::create_directories(base);
  path = base.string();
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

MirrorConfigs write_mirror_configs(const std::string& dir, const Cluster& source, const Cluster& target,
                                   const std::string& group, const std::string& extra_consumer) {
  MirrorConfigs m{dir + "/consumer.properties", dir + "/producer.properties"};
  write_file(m.consumer, fmt::format("# source: the primary\nbootstrap.servers={}\ngroup.id={}\n"
                                     "key.deserializer=org.apache.kafka.common.serialization.ByteArrayDeserializer\n{}",
                                     source.bootstrap, group, extra_consumer));
  write_file(m.producer, fmt::format("# target: the standby\nbootstrap.servers={}\n"
                                     "value.serializer=org.apache.kafka.common.serialization.ByteArraySerializer\n",
                                     target.bootstrap));
  return m;
}

}  // namespace dr::test
