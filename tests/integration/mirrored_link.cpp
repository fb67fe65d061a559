#include "integration/mirrored_link.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "dr/error.hpp"
#include "dr/store/checkpoints.hpp"
#include "dr/store/links.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/store/state_store.hpp"

using namespace std::chrono_literals;

namespace dr::test {

std::vector<kafka::Record> sequence(const std::string& topic, int first, int n, int partitions) {
  std::vector<kafka::Record> out;
  for (int i = first; i < first + n; ++i) {
    out.push_back(kafka::Record{topic, i % partitions, -1, fmt::format("k{}", i), fmt::format("seq-{}", i), {}, 0, {}});
  }
  return out;
}

std::vector<std::string> read_as(const Cluster& c, const std::string& group, const std::string& topic, size_t n) {
  auto config = client_config(c, kafka::ClientRole::consumer);
  config.set_default("group.id", group);
  config.set_default("auto.offset.reset", "earliest");
  kafka::Consumer consumer(config);
  consumer.subscribe({topic});
  std::vector<std::string> out;
  std::map<int32_t, int64_t> next;
  auto idle_since = std::chrono::steady_clock::now();
  while (out.size() < n && std::chrono::steady_clock::now() - idle_since < 6s) {
    auto r = consumer.poll(200ms);
    if (!r) continue;
    idle_since = std::chrono::steady_clock::now();
    out.push_back(*r->value);
    next[r->partition] = r->offset + 1;
  }
  std::vector<kafka::TopicPartitionOffset> commit;
  for (auto& [p, o] : next) commit.push_back({topic, p, o});
  if (!commit.empty()) consumer.commit(commit);
  consumer.close();
  return out;
}

MirroredLink::MirroredLink(const std::string& prefix)
    : topic(unique_topic(prefix)), group(topic + "-app"), state(dir.path + "/dr-state.db"),
      primary_config(dir.path + "/primary.properties"), standby_config(dir.path + "/standby.properties") {
  write_file(primary_config, "bootstrap.servers=" + primary.bootstrap + "\n");
  write_file(standby_config, "bootstrap.servers=" + standby.bootstrap + "\n");
  create_topic(primary, topic, kPartitions);
  produce(primary, sequence(topic, 0, 300));
  kafka::Admin admin(client_config(primary, kafka::ClientRole::admin));
  for (int32_t p = 0; p < kPartitions; ++p) admin.delete_records(topic, p, kTrimmed, 10s);
  const auto cfg = write_mirror_configs(dir.path, primary, standby, topic + "-mirror");
  mirror = std::make_unique<Background>(
      "dr-mirror",
      std::vector<std::string>{"--consumer.config", cfg.consumer, "--producer.config", cfg.producer, "--include", topic,
                               "--state", state, "--source-alias", "primary", "--target-alias", "standby",
                               "--offset.commit.interval.ms", "300", "--checkpoint-interval-ms", "300", "--groups", group},
      mirror_log());
  wait_mapped();
}

void MirroredLink::wait_mapped() const {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  for (bool ready = false; !ready;) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, read_file(mirror_log()));
    std::this_thread::sleep_for(300ms);
    try {
      auto store = store::StateStore::open(state, {.create_if_missing = false, .access = store::Access::read_only});
      const auto links = store::list_links(store);
      ready = !links.empty();
      for (int32_t p = 0; ready && p < kPartitions; ++p) {
        int64_t end = 0;
        for (const auto& r : store::load_segments(store, links[0].id, topic, p)) end = std::max(end, r.source_end().value());
        ready = end == end_offset(primary, topic, p);
      }
    } catch (const Error&) {
    }
  }
}

void MirroredLink::wait_checkpointed() const {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline, read_file(mirror_log()));
    try {
      auto store = store::StateStore::open(state, {.create_if_missing = false, .access = store::Access::read_only});
      const auto links = store::list_links(store);
      for (const auto& c : store::latest_checkpoints(store, links.at(0).id)) {
        if (c.group_id == group) return;
      }
    } catch (const Error&) {
    }
    std::this_thread::sleep_for(200ms);
  }
}

}  // namespace dr::test
