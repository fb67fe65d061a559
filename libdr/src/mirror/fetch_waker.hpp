// Wakes librdkafka's fetcher when a stream has drained its consumer queue while the source still
// holds records for it (private to the mirror).
//
// Why: librdkafka 2.0.2 stops fetching while the consumer queue holds more than
// queued.max.messages.kbytes, and looks again only when the broker thread wakes up: on a response,
// an operation for it, or after up to a second (fetch.queue.backoff.ms, which shortens that wait,
// came in 2.1). With a queue small enough to bound memory, the mirror drained it in milliseconds and
// then sat idle for the rest of that second: five times slower on the benchmark. Any request queued
// for the leader's broker thread wakes it, and it then decides again whether to fetch. The waker
// sends the cheapest one, a ListOffsets for the latest offset of the lagging partitions, from a
// thread of its own so the stream never waits for the answer. Requests are at least
// `min_interval` apart; when the fetcher was not stuck, one costs a round trip and changes nothing.
//
// Thread-safety: nudge() from the stream thread; the destructor stops and joins the waker thread
// (at most one request timeout later) and must run before the consumer is closed.
#pragma once
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace dr::mirror {

class FetchWaker {
 public:
  FetchWaker(rd_kafka_t* consumer, std::chrono::milliseconds min_interval);
  ~FetchWaker();
  FetchWaker(const FetchWaker&) = delete;
  FetchWaker& operator=(const FetchWaker&) = delete;

  // Partitions whose consumed position is below the high watermark of their last fetch, from the
  // consumer's own cache (no request). Empty when every partition is caught up or not started.
  static std::vector<std::pair<std::string, int32_t>> lagging(rd_kafka_t* consumer,
                                                              const std::vector<std::pair<std::string, int32_t>>& assigned);

  // Asks for a wake-up of the leaders of `partitions`; returns at once. Nudges that arrive while
  // one is pending are merged into it.
  void nudge(std::vector<std::pair<std::string, int32_t>> partitions);

  uint64_t wakeups() const;  // requests sent so far

 private:
  void run();

  rd_kafka_t* const consumer_;
  const std::chrono::milliseconds min_interval_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<std::string, int32_t>> pending_;  // guarded by mu_
  bool stop_ = false;                                       // guarded by mu_
  uint64_t wakeups_ = 0;                                    // guarded by mu_
  std::thread thread_;
};

}  // namespace dr::mirror
