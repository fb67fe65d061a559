#include "drill/canary.hpp"

#include <charconv>
#include <chrono>

#include <fmt/format.h>

#include "dr/clock.hpp"
#include "dr/error.hpp"
#include "dr/kafka/client.hpp"
#include "dr/log.hpp"
#include "dr/resync/record_range.hpp"

namespace dr::drill {

using namespace std::chrono_literals;

std::optional<int64_t> parse_seq(const std::optional<std::string>& value) {
  if (!value || value->empty()) return std::nullopt;
  int64_t seq = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), seq);
  if (ec != std::errc() || end != value->data() + value->size() || seq < 0) return std::nullopt;
  return seq;
}

CanaryProducer::CanaryProducer(const kafka::ClientConfig& config, std::string topic, int32_t partitions, int64_t rate_per_s,
                               std::string drill_id)
    : config_(config), topic_(std::move(topic)), drill_id_(std::move(drill_id)), partitions_(partitions), rate_(rate_per_s) {}

CanaryProducer::~CanaryProducer() { stop(); }

void CanaryProducer::start() { thread_ = std::thread([this] { run(); }); }

void CanaryProducer::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::string CanaryProducer::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

void CanaryProducer::run() {
  try {
    kafka::ClientConfig c = config_;
    c.set_default("linger.ms", "5");
    kafka::Producer producer(c, "canary producer");
    std::vector<int64_t> next_seq(static_cast<size_t>(partitions_), 0);
    const auto tick = 100ms;
    const int64_t per_tick = std::max<int64_t>(1, rate_ / 10);
    auto due = std::chrono::steady_clock::now();
    int64_t sent = 0;
    while (!stop_) {
      for (int64_t i = 0; i < per_tick; ++i) {
        const auto p = static_cast<int32_t>(sent++ % partitions_);
        kafka::Record r;
        r.topic = topic_;
        r.partition = p;
        r.key = fmt::format("p{}", p);
        r.value = std::to_string(next_seq[static_cast<size_t>(p)]++);
        r.headers.push_back({"kafka-dr.drill", drill_id_});
        r.timestamp_ms = now_ms();
        producer.send(r);
      }
      producer.flush(10s);  // acknowledged: counts only what the primary has
      acknowledged_ += per_tick;
      due += tick;
      std::this_thread::sleep_until(due);
    }
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    error_ = e.what();
  }
}

CanaryConsumer::CanaryConsumer(const kafka::ClientConfig& config, std::string label, std::string topic, std::string group,
                               int64_t commit_every_ms)
    : config_(config), label_(std::move(label)), topic_(std::move(topic)), group_(std::move(group)),
      commit_every_ms_(commit_every_ms) {}

CanaryConsumer::~CanaryConsumer() { stop(); }

void CanaryConsumer::start(std::vector<int64_t> end_offsets) {
  thread_ = std::thread([this, ends = std::move(end_offsets)] { run(ends); });
}

void CanaryConsumer::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::optional<int64_t> CanaryConsumer::first_read_ms() const {
  std::lock_guard lock(mu_);
  if (reads_.empty()) return std::nullopt;
  return reads_.front().at_ms;
}

std::vector<CanaryRead> CanaryConsumer::reads() const {
  std::lock_guard lock(mu_);
  return reads_;
}

std::string CanaryConsumer::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

void CanaryConsumer::run(std::vector<int64_t> end_offsets) {
  try {
    kafka::ClientConfig c = config_;
    c.set_default("group.id", group_);
    c.set_default("auto.offset.reset", "earliest");
    c.set_default("enable.auto.commit", "false");
    kafka::Consumer consumer(c, label_);
    consumer.subscribe({topic_});
    std::map<int32_t, int64_t> positions;  // next offset to commit, per partition
    auto last_commit = std::chrono::steady_clock::now();
    auto commit = [&] {
      std::vector<kafka::TopicPartitionOffset> offsets;
      for (const auto& [p, o] : positions) offsets.push_back({topic_, p, o});
      if (!offsets.empty()) consumer.commit(offsets);
      last_commit = std::chrono::steady_clock::now();
    };
    auto reached_end = [&] {
      if (end_offsets.empty()) return false;
      for (size_t p = 0; p < end_offsets.size(); ++p) {
        if (end_offsets[p] == 0) continue;
        auto pos = consumer.position(topic_, static_cast<int32_t>(p));
        if (!pos || *pos < end_offsets[p]) return false;
      }
      return true;
    };
    while (!stop_) {
      if (auto r = consumer.poll(100ms)) {
        if (auto seq = parse_seq(r->value)) {
          std::lock_guard lock(mu_);
          reads_.push_back({r->partition, r->offset, *seq, now_ms()});
        }
        ++count_;
        positions[r->partition] = r->offset + 1;
      }
      if (std::chrono::steady_clock::now() - last_commit >= std::chrono::milliseconds(commit_every_ms_)) commit();
      if (reached_end()) {
        commit();
        break;
      }
    }
    consumer.close(5s);  // an abrupt stop commits nothing more
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    error_ = e.what();
  }
  finished_ = true;
}

std::vector<CanaryRecord> scan_canary(const kafka::ClientConfig& config, const std::string& label, const std::string& topic,
                                      int32_t partitions, std::chrono::milliseconds timeout) {
  kafka::ClientConfig c = config;
  c.erase("group.id");
  kafka::Admin admin(c, label);
  std::vector<CanaryRecord> out;
  for (int32_t p = 0; p < partitions; ++p) {
    const auto w = admin.watermarks(topic, p, timeout);
    resync::read_range(c, label, topic, p, w.low, w.high, timeout, [&](const kafka::Record& r) {
      if (auto seq = parse_seq(r.value)) out.push_back({p, r.offset, *seq, r.timestamp_ms});
      return true;
    });
  }
  return out;
}

int64_t total_end_offset(const kafka::ClientConfig& config, const std::string& topic, int32_t partitions) {
  try {
    kafka::ClientConfig c = config;
    c.erase("group.id");
    kafka::Admin admin(c, "lag sampler");
    int64_t total = 0;
    for (int32_t p = 0; p < partitions; ++p) total += admin.watermarks(topic, p, 2s).high;
    return total;
  } catch (const Error&) {
    return -1;
  }
}

}  // namespace dr::drill
