// FetchWaker on a real cluster: which partitions count as lagging, and that a nudge reaches the broker.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "dr/kafka/client.hpp"
#include "integration/clusters.hpp"
#include "integration/data.hpp"
#include "kafka/client_common.hpp"
#include "mirror/fetch_waker.hpp"

using namespace std::chrono_literals;
using dr::mirror::FetchWaker;

TEST_CASE("fetch waker: a partition lags while consumed records trail its high watermark, and a nudge sends one request") {
  const auto c = dr::test::cluster("primary");
  const std::string topic = dr::test::unique_topic("waker");
  dr::test::create_topic(c, topic, 2);
  std::vector<dr::kafka::Record> records;
  for (int i = 0; i < 2000; ++i) {
    dr::kafka::Record r;
    r.topic = topic;
    r.partition = 0;  // partition 1 stays empty
    r.value = std::string(512, 'v');
    records.push_back(std::move(r));
  }
  dr::test::produce(c, records);

  auto config = dr::test::client_config(c, dr::kafka::ClientRole::consumer);
  config.set_default("group.id", dr::test::unique_topic("waker-group"));
  config.set_default("queued.max.messages.kbytes", "64");  // a queue far smaller than the partition
  config.set_default("fetch.max.bytes", "65536");
  config.set_default("message.max.bytes", "65536");
  dr::kafka::ClientContext context;
  auto consumer = dr::kafka::make_client(RD_KAFKA_CONSUMER, config, context);
  rd_kafka_poll_set_consumer(consumer.get());
  dr::kafka::PartitionListHandle assignment{rd_kafka_topic_partition_list_new(2)};
  for (int32_t p : {0, 1}) rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  REQUIRE(rd_kafka_assign(consumer.get(), assignment.get()) == RD_KAFKA_RESP_ERR_NO_ERROR);
  const std::vector<std::pair<std::string, int32_t>> assigned{{topic, 0}, {topic, 1}};

  CHECK(FetchWaker::lagging(consumer.get(), assigned).empty());  // nothing consumed yet

  int consumed = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (consumed < 10 && std::chrono::steady_clock::now() < deadline) {
    dr::kafka::MessageHandle m{rd_kafka_consumer_poll(consumer.get(), 200)};
    if (m && !m->err) ++consumed;
  }
  REQUIRE(consumed == 10);
  const auto lagging = FetchWaker::lagging(consumer.get(), assigned);
  REQUIRE(lagging.size() == 1);  // the empty partition never lags
  CHECK(lagging[0] == std::make_pair(topic, int32_t{0}));

  {
    FetchWaker waker(consumer.get(), 1ms);
    waker.nudge(lagging);
    waker.nudge(lagging);  // merged into the first, or sent after it: never lost, never more than asked
    const auto wait_until = std::chrono::steady_clock::now() + 10s;
    while (waker.wakeups() == 0 && std::chrono::steady_clock::now() < wait_until) std::this_thread::sleep_for(5ms);
    CHECK(waker.wakeups() >= 1);
    CHECK(waker.wakeups() <= 2);
  }

  while (consumed < 2000 && std::chrono::steady_clock::now() < deadline) {
    dr::kafka::MessageHandle m{rd_kafka_consumer_poll(consumer.get(), 200)};
    if (m && !m->err) ++consumed;
  }
  REQUIRE(consumed == 2000);
  CHECK(FetchWaker::lagging(consumer.get(), assigned).empty());  // caught up
  rd_kafka_consumer_close(consumer.get());
}
