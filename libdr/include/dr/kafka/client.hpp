// Kafka clients for tools and tests: a producer, a consumer and an admin client.
//
// These are RAII owners of librdkafka handles with a small, typed surface; rdkafka.h stays inside
// libdr. Errors are dr::Error(kind kafka) carrying cluster, topic, partition, offset and the
// librdkafka error name. The mirror's hot path does not use these classes: it works on librdkafka
// messages directly (libdr/src/mirror) to avoid copies.
//
// Thread-safety: Producer::send/flush and Admin calls may be used from several threads;
// a Consumer belongs to one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dr/error.hpp"
#include "dr/kafka/config.hpp"

namespace dr::kafka {

struct Header {
  std::string key;
  std::optional<std::string> value;  // nullopt = null header value
  bool operator==(const Header&) const = default;
};

enum class TimestampType { none, create_time, log_append_time };

struct Record {
  std::string topic;
  int32_t partition = -1;  // -1 on send: librdkafka's partitioner chooses
  int64_t offset = -1;     // set on consumed records
  std::optional<std::string> key;    // nullopt = null key
  std::optional<std::string> value;  // nullopt = null value (a tombstone)
  std::vector<Header> headers;       // order and duplicates kept
  int64_t timestamp_ms = 0;          // 0 on send: now
  TimestampType timestamp_type = TimestampType::none;
};

// Short description of where a client points, for errors and logs ("primary (127.0.0.1:9092)").
std::string describe_cluster(const ClientConfig& config);

class Producer {
 public:
  // Idempotent, acks=all unless the config says otherwise. Needs bootstrap.servers.
  explicit Producer(const ClientConfig& config, std::string label = {});
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues a record (copies its bytes). Blocks while librdkafka's queue is full.
  void send(const Record& record);
  // Waits until every queued record is acknowledged. Throws dr::Error(kafka) for the first record
  // that failed since the last flush, or when the timeout passes with records in flight.
  void flush(std::chrono::milliseconds timeout);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct TopicPartitionOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;  // a real offset, or -2 = beginning, -1 = end
};

class Consumer {
 public:
  // A consumer without a group subscription; assign() chooses what it reads. group.id is optional.
  explicit Consumer(const ClientConfig& config, std::string label = {});
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Offsets: a real offset, -2 beginning, -1 end, -1000 the group's committed offset.
  void assign(const std::vector<TopicPartitionOffset>& partitions);
  // Joins the group (group.id) and lets it assign partitions; a live member of the group.
  void subscribe(const std::vector<std::string>& topics);
  // Next record, or nullopt when none arrived within the timeout. Reaching the end of a partition
  // is not an error. Throws dr::Error(kafka) on consume errors.
  std::optional<Record> poll(std::chrono::milliseconds timeout);
  // The offset of the next record poll() will return from an assigned partition (after the end of
  // a partition: its end offset), or nullopt before the first fetch.
  std::optional<int64_t> position(const std::string& topic, int32_t partition);
  // Commits offsets for group.id synchronously.
  void commit(const std::vector<TopicPartitionOffset>& offsets);
  // Leaves the group and closes within the timeout; the destructor calls it if needed.
  void close(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct PartitionInfo {
  int32_t id = 0;
  int32_t leader = -1;
  int replicas = 0;
};

struct TopicInfo {
  std::string name;
  std::vector<PartitionInfo> partitions;
};

struct Watermarks {
  int64_t low = 0;   // log start offset
  int64_t high = 0;  // end offset (next offset to be written)
};

struct TopicConfigValue {
  std::string value;
  bool set_on_topic = false;  // a topic-level override (not a broker or built-in default)
  bool is_sensitive = false;
};

struct GroupOffset {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = -1;  // the committed offset: the next record the group will read
};

struct GroupDescription {
  std::string state;  // Empty, Stable, PreparingRebalance, CompletingRebalance, Dead, Unknown
  int members = 0;
};

class Admin {
 public:
  // `label` names the cluster in logs and errors ("source cluster 'primary' (127.0.0.1:9092)");
  // empty = derived from the config.
  explicit Admin(const ClientConfig& config, std::string label = {});
  ~Admin();
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;

  // Every later call gives up within about 100 ms once *flag is true (dr::Error(kafka), error
  // "_INTR"), whatever its timeout: a stopping daemon does not wait out a dead cluster. The flag
  // must outlive the Admin. nullptr: never interrupted.
  void interrupt_when(const std::atomic<bool>* flag) noexcept;
  // Sends a metadata request (no topics); throws dr::Error(kafka) if no broker answers in time.
  void ping(std::chrono::milliseconds timeout);
  // The cluster id from the metadata response. Unreachable: dr::Error(kafka).
  std::string cluster_id(std::chrono::milliseconds timeout);
  std::vector<TopicInfo> list_topics(std::chrono::milliseconds timeout);
  // replication_factor -1 = the broker's default. configs: topic configs to set.
  void create_topic(const std::string& name, int partitions, int replication_factor,
                    const std::map<std::string, std::string>& configs, std::chrono::milliseconds timeout);
  void delete_topic(const std::string& name, std::chrono::milliseconds timeout);
  // Deletes a consumer group (it must have no members). A group that does not exist is not an error.
  void delete_group(const std::string& group, std::chrono::milliseconds timeout);
  Watermarks watermarks(const std::string& topic, int32_t partition, std::chrono::milliseconds timeout);
  // The topic's configuration as the broker reports it.
  std::map<std::string, TopicConfigValue> describe_topic_configs(const std::string& topic,
                                                                 std::chrono::milliseconds timeout);
  // Deletes the records of a partition below `before_offset` (-1: up to the end). Returns the new
  // log start offset.
  int64_t delete_records(const std::string& topic, int32_t partition, int64_t before_offset,
                         std::chrono::milliseconds timeout);
  // Grows a topic to `total` partitions.
  void create_partitions(const std::string& topic, int total, std::chrono::milliseconds timeout);
  // Committed offsets of a consumer group (partitions without a commit are left out).
  std::vector<GroupOffset> list_group_offsets(const std::string& group, std::chrono::milliseconds timeout);
  // Committed offsets of many groups, requested in parallel. Groups that fail appear in `errors`.
  std::map<std::string, std::vector<GroupOffset>> list_group_offsets(const std::vector<std::string>& groups,
                                                                     std::chrono::milliseconds timeout,
                                                                     std::map<std::string, std::string>* errors);
  // Ids of every consumer group the cluster knows.
  std::vector<std::string> list_groups(std::chrono::milliseconds timeout);
  // State and member count of groups (a group the cluster does not know is "Dead" with 0 members).
  std::map<std::string, GroupDescription> describe_groups(const std::vector<std::string>& groups,
                                                          std::chrono::milliseconds timeout);
  // Commits offsets for many groups, in parallel (one request per group). Returns the errors by
  // group (empty: all committed). The groups must have no active members.
  std::map<std::string, std::string> alter_group_offsets(const std::map<std::string, std::vector<GroupOffset>>& offsets,
                                                         std::chrono::milliseconds timeout);
  // For each partition, the first offset whose timestamp is at or after `timestamp_ms`, or -1 when
  // every record is older (the caller then uses the end offset).
  std::vector<int64_t> offsets_for_times(const std::string& topic, const std::vector<int32_t>& partitions,
                                         int64_t timestamp_ms, std::chrono::milliseconds timeout);
  const std::string& label() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dr::kafka
