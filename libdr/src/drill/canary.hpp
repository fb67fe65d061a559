// The drill's canary: a producer writing sequence-numbered records at a steady rate, a consumer
// group reading them (on the primary, then on the standby after the failover), a sampler, and a
// scan of a canary topic. Each runs on a thread of its own and stops within a bounded time.
// Canary records: key "p<partition>", value "<seq>" (decimal, per partition from 0), header
// "kafka-dr.drill" = the drill id, CreateTime = when sent.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dr/drill/analysis.hpp"
#include "dr/drill/report.hpp"
#include "dr/kafka/config.hpp"

namespace dr::drill {

// Parses a canary record's value; nullopt for anything else.
std::optional<int64_t> parse_seq(const std::optional<std::string>& value);

class CanaryProducer {
 public:
  CanaryProducer(const kafka::ClientConfig& config, std::string topic, int32_t partitions, int64_t rate_per_s,
                 std::string drill_id);
  ~CanaryProducer();
  void start();
  void stop();                       // bounded: flushes for at most 10 s
  int64_t acknowledged() const { return acknowledged_.load(); }
  std::string error() const;         // the first failure, empty if none

 private:
  void run();
  kafka::ClientConfig config_;
  std::string topic_, drill_id_;
  int32_t partitions_;
  int64_t rate_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> acknowledged_{0};
  mutable std::mutex mu_;
  std::string error_;
  std::thread thread_;
};

class CanaryConsumer {
 public:
  // `end_offsets`: when set, the consumer stops by itself once its position reached them on every
  // partition (the standby side). `commit_every_ms`: synchronous commit of what it read.
  CanaryConsumer(const kafka::ClientConfig& config, std::string label, std::string topic, std::string group,
                 int64_t commit_every_ms);
  ~CanaryConsumer();
  void start(std::vector<int64_t> end_offsets = {});
  // Abrupt stop (the disaster): no final commit; leaves the group. Bounded.
  void stop();
  bool finished() const { return finished_.load(); }  // reached end_offsets, or failed
  int64_t count() const { return count_.load(); }
  std::optional<int64_t> first_read_ms() const;
  std::vector<CanaryRead> reads() const;
  std::string error() const;

 private:
  void run(std::vector<int64_t> end_offsets);
  kafka::ClientConfig config_;
  std::string label_, topic_, group_;
  int64_t commit_every_ms_;
  std::atomic<bool> stop_{false}, finished_{false};
  std::atomic<int64_t> count_{0};
  mutable std::mutex mu_;
  std::vector<CanaryRead> reads_;
  std::string error_;
  std::thread thread_;
};

// Every canary record of `topic` on a cluster (all partitions, log start to end). Bounded.
std::vector<CanaryRecord> scan_canary(const kafka::ClientConfig& config, const std::string& label, const std::string& topic,
                                      int32_t partitions, std::chrono::milliseconds timeout);

// Sum of the end offsets of a topic's partitions; -1 when it cannot be read (e.g. no topic yet).
int64_t total_end_offset(const kafka::ClientConfig& config, const std::string& topic, int32_t partitions);

}  // namespace dr::drill
