#include "mirror/fetch_waker.hpp"

#include "kafka/handles.hpp"

namespace dr::mirror {

FetchWaker::FetchWaker(rd_kafka_t* consumer, std::chrono::milliseconds min_interval)
    : consumer_(consumer), min_interval_(min_interval), thread_([this] { run(); }) {}

FetchWaker::~FetchWaker() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::vector<std::pair<std::string, int32_t>> FetchWaker::lagging(rd_kafka_t* consumer,
                                                                 const std::vector<std::pair<std::string, int32_t>>& assigned) {
  std::vector<std::pair<std::string, int32_t>> out;
  if (assigned.empty()) return out;
  kafka::PartitionListHandle list{rd_kafka_topic_partition_list_new(static_cast<int>(assigned.size()))};
  for (const auto& [topic, partition] : assigned) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
  if (rd_kafka_position(consumer, list.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& p = list->elems[i];
    if (p.offset < 0) continue;  // nothing consumed yet: no fetch has filled the queue for it
    int64_t low = -1, high = -1;
    if (rd_kafka_get_watermark_offsets(consumer, p.topic, p.partition, &low, &high) != RD_KAFKA_RESP_ERR_NO_ERROR) continue;
    if (high > p.offset) out.emplace_back(p.topic, p.partition);
  }
  return out;
}

void FetchWaker::nudge(std::vector<std::pair<std::string, int32_t>> partitions) {
  if (partitions.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (!pending_.empty()) return;  // one is on its way; it wakes the same broker threads
    pending_ = std::move(partitions);
  }
  cv_.notify_one();
}

uint64_t FetchWaker::wakeups() const {
  std::lock_guard lock(mu_);
  return wakeups_;
}

void FetchWaker::run() {
  auto last = std::chrono::steady_clock::time_point{};
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !pending_.empty(); });
    if (stop_) return;
    // Rate limit: when the fetcher was only slow, not stuck, extra requests help nothing.
    if (cv_.wait_until(lock, last + min_interval_, [this] { return stop_; })) return;
    kafka::PartitionListHandle list{rd_kafka_topic_partition_list_new(static_cast<int>(pending_.size()))};
    for (const auto& [topic, partition] : pending_) {
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset = RD_KAFKA_OFFSET_END;
    }
    ++wakeups_;
    lock.unlock();
    // The answer is not needed: queueing the request on each leader's broker thread is the point.
    (void)rd_kafka_offsets_for_times(consumer_, list.get(), 1000);
    last = std::chrono::steady_clock::now();
    lock.lock();
    pending_.clear();
  }
}

}  // namespace dr::mirror
