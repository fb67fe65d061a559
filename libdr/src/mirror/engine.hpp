// Private to libdr/src/mirror: the mirror's Engine (configs, state, run loop, stop path, topic sync,
// housekeeping) and its Streams (one consumer each: consume, produce, persist and commit,
// rebalance). dr/mirror/mirror.hpp holds the public contract.
//
//   engine.cpp       configs, state file, producer, run loop, stop path, liveness, fence
//   stream.cpp       consumer loop, produce, persist_and_commit, rebalance
//   topic_sync.cpp   source topic selection -> target topics, --until-caught-up end offsets
//   housekeeping.cpp group checkpoints, mapping prune, progress log
//   resume.cpp       on assignment: resume after what the durable mapping has on the target
//   membership.cpp   static group membership: identity, collision check, leaving on stop
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "dr/error.hpp"
#include "dr/kafka/client.hpp"
#include "dr/mirror/mirror.hpp"
#include "dr/store/links.hpp"
#include "dr/store/mirror_state.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/store/state_store.hpp"
#include "kafka/client_common.hpp"
#include "mirror/fetch_waker.hpp"
#include "mirror/partition_tracker.hpp"
#include "mirror/topic_selection.hpp"

namespace dr::mirror::detail {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

constexpr auto kAdminTimeout = 15s;
// Bounds of the stop path, so that a dead cluster cannot hold a stopping mirror.
constexpr auto kCommitTimeout = 10s;  // one offset commit (a dead coordinator never answers)
constexpr auto kCloseTimeout = 10s;   // leaving the group
constexpr auto kFencedStopWait = 1s;  // fenced: how long records already sent may still land

class Engine;

struct StreamContext : kafka::ClientContext {
  class Stream* stream = nullptr;
};

// One consumer of the mirror's group and the partitions it owns.
class Stream {
 public:
  Stream(Engine& engine, int index) : engine_(engine), index_(index) { context_.stream = this; }
  ~Stream();
  void start() { thread_ = std::thread([this] { run(); }); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  void release_trackers();  // after the producer let go of every record

  void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts);

 private:
  void run();
  void loop();
  void handle(rd_kafka_message_t* m);
  void produce(PartitionTracker& tracker, rd_kafka_message_t* m, int64_t timestamp_ms, rd_kafka_headers_t* headers,
               InFlight* slot);
  PartitionTracker* tracker_for(const rd_kafka_message_t* m);
  void persist_and_commit(const std::vector<PartitionTracker*>& trackers, bool commit);
  void wait_drained(const std::vector<PartitionTracker*>& trackers);
  std::vector<PartitionTracker*> all_trackers();
  std::vector<std::pair<std::string, int32_t>> assigned() const;
  void update_subscription();
  void resume_from_mapping(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* parts);  // resume.cpp
  void leave_group();  // membership.cpp

  Engine& engine_;
  const int index_;
  StreamContext context_;
  kafka::KafkaHandle consumer_;
  std::unique_ptr<FetchWaker> waker_;  // stopped before the consumer closes
  std::thread thread_;
  std::map<std::pair<std::string, int32_t>, std::unique_ptr<PartitionTracker>> trackers_;
  std::vector<std::unique_ptr<PartitionTracker>> retired_;  // revoked with records still in flight
  const rd_kafka_topic_t* cached_rkt_ = nullptr;
  int32_t cached_partition_ = -1;
  PartitionTracker* cached_tracker_ = nullptr;
  uint64_t subscription_version_ = 0;
};

class Engine {
 public:
  explicit Engine(const MirrorOptions& options);
  ~Engine();
  MirrorSummary run();

  // Shared with streams.
  const MirrorOptions& opt;
  kafka::ClientConfig source_config{kafka::ClientRole::consumer};
  kafka::ClientConfig target_config{kafka::ClientRole::producer};
  std::string source_label, target_label;
  std::string source_id, target_id;
  std::string group_id;
  std::string member_identity;  // static membership: stream i is "<member_identity>-<i>"
  TrackerShared shared;
  std::atomic<bool> stop{false};
  std::atomic<bool> sync_requested{false};
  kafka::ClientContext producer_context;
  kafka::KafkaHandle producer;

  void fail(Error e);
  bool failed() {
    std::lock_guard lock(fatal_mu_);
    return fatal_.has_value();
  }
  std::optional<std::string> target_topic_for(const std::string& source_topic);
  // Subscription the streams should have; returns the version (streams compare theirs).
  uint64_t subscription_version() const { return subscription_version_.load(); }
  std::vector<std::string> subscription();
  // Persists the mapping in one transaction. False when the state file could not be written: the
  // engine then stops, and no stream commits a source offset again (state_unwritable()).
  bool persist(std::span<const store::PartitionMappingUpdate> updates);
  bool state_unwritable() const noexcept { return state_unwritable_.load(); }
  std::vector<store::OffsetSegment> durable_mapping(const std::string& source_topic, int32_t partition);
  // When the stop path must be done waiting for records in flight (max: not stopping). Set once,
  // by the first begin_stop().
  Clock::time_point shutdown_deadline() const { return Clock::time_point(Clock::duration(shutdown_deadline_.load())); }
  void begin_stop(Clock::duration bound);
  // The link was fenced: nothing more is produced and no source offset is committed.
  bool fenced() const noexcept { return fenced_.load(); }

 private:
  void build_configs();
  void refuse_if_fenced();  // from the state file alone, before any cluster is contacted
  std::optional<std::string> wait_for_cluster_id(kafka::Admin& admin);  // nullopt: stopped by a signal
  void open_state();
  // membership.cpp. The check runs in open_state (store_mu_ held) before anything is written.
  void refuse_member_identity_collision(const std::string& host);
  void choose_member_identity();
  void start_producer();
  void stop_producer();
  void stop_pipeline();  // streams drain, persist, commit and leave; then the producer; idempotent
  void sync_topics();
  void capture_end_offsets();
  bool caught_up();
  void check_fence();
  void on_fenced(Error e);
  void check_liveness(kafka::Admin& admin, std::optional<Clock::time_point>& down_since);
  void heartbeat(const char* status);
  void prune_mapping();
  void checkpoint_groups();
  void log_progress();

  std::unique_ptr<kafka::Admin> source_admin_;
  std::unique_ptr<kafka::Admin> target_admin_;
  std::optional<TopicSelector> selector_;
  std::optional<std::regex> groups_;  // --groups; unset: every group but the mirror's own
  std::string source_alias_, target_alias_;
  std::optional<store::StateStore> store_;
  std::mutex store_mu_;
  store::Link link_;
  store::MirrorInstance instance_;

  std::mutex topics_mu_;
  std::map<std::string, std::string> target_names_;  // source topic -> target topic (mirrored now)
  std::vector<std::string> subscription_;
  std::atomic<uint64_t> subscription_version_{0};
  std::set<std::string> refused_topics_;
  std::vector<std::string> selected_topics_;  // every source topic the patterns select, mirrorable or not
  std::set<std::string> checked_timestamp_type_;

  std::map<std::pair<std::string, int32_t>, int64_t> end_offsets_at_start_;
  std::thread producer_poller_;
  std::atomic<bool> producer_poller_stop_{false};
  std::thread fence_watcher_;  // checks the link and heartbeats, independent of slow Kafka calls
  std::vector<std::unique_ptr<Stream>> streams_;
  std::atomic<bool> state_unwritable_{false};
  std::mutex fatal_mu_;
  std::optional<Error> fatal_;
  std::atomic<Clock::rep> shutdown_deadline_{Clock::time_point::max().time_since_epoch().count()};
  std::atomic<bool> fenced_{false};
  uint64_t last_progress_count_ = 0;
  Clock::time_point last_progress_at_ = Clock::now();
};

}  // namespace dr::mirror::detail
