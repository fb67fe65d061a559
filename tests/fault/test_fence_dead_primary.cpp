// Fences and stops while the primary is gone (issue 9, items 6 and 7), on real clusters: the primary
// broker is frozen with SIGSTOP (no answer, no connection reset: the hardest case for every wait)
// and thawed by the test, so the shared clusters stay usable.
//
// The time limits below are correctness bounds (a stop that waits for a dead cluster), far above
// what the mirror needs; they are not speed measurements.
#include <doctest/doctest.h>

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "dr/store/audit.hpp"
#include "dr/store/links.hpp"
#include "dr/store/state_store.hpp"
#include "integration/clusters.hpp"
#include "integration/data.hpp"
#include "integration/process.hpp"

using namespace std::chrono_literals;
using dr::kafka::Record;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kPartitions = 3;

// SIGSTOP to a cluster's broker; SIGCONT when thawed or destroyed.
class FrozenBroker {
 public:
  explicit FrozenBroker(const std::string& name) {
    const char* dir = std::getenv("KAFKA_DR_CLUSTERS_DIR");
    REQUIRE(dir != nullptr);
    std::ifstream in(fmt::format("{}/{}/kafka.pid", dir, name));
    in >> pid_;
    REQUIRE_MESSAGE(pid_ > 1, "no broker pid for cluster " << name);
    REQUIRE(::kill(pid_, SIGSTOP) == 0);
  }
  ~FrozenBroker() { thaw(); }
  FrozenBroker(const FrozenBroker&) = delete;
  FrozenBroker& operator=(const FrozenBroker&) = delete;
  void thaw() {
    if (pid_ > 1) ::kill(pid_, SIGCONT);
    pid_ = -1;
  }

 private:
  pid_t pid_ = -1;
};

std::vector<Record> make_records(const std::string& topic, int per_partition, int first_id, size_t size = 20) {
  std::vector<Record> out;
  for (int i = 0; i < per_partition; ++i) {
    for (int32_t p = 0; p < kPartitions; ++p) {
      const int id = first_id + i * kPartitions + p;
      out.push_back(Record{topic, p, -1, fmt::format("k{}", id), fmt::format("id-{}|{}", id, std::string(size, 'v')), {}, 0, {}});
    }
  }
  return out;
}

int64_t total_end_offsets(const dr::test::Cluster& c, const std::string& topic) {
  int64_t sum = 0;
  for (int32_t p = 0; p < kPartitions; ++p) sum += dr::test::end_offset(c, topic, p);
  return sum;
}

template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    try {
      if (pred()) return true;
    } catch (const dr::Error&) {
      // not there yet
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

void fence(const std::string& state, const std::string& reason) {
  auto store = dr::store::StateStore::open(state, {.create_if_missing = false});
  const auto links = dr::store::list_links(store);
  REQUIRE(links.size() == 1);
  dr::store::fence_link(store, links[0].id, reason);
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Setup {
  dr::test::Cluster primary = dr::test::cluster("primary");
  dr::test::Cluster standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  std::string topic;
  dr::test::MirrorConfigs cfg;
  std::string state, log;

  explicit Setup(const std::string& prefix) : topic(dr::test::unique_topic(prefix)) {
    dr::test::create_topic(primary, topic, kPartitions);
    cfg = dr::test::write_mirror_configs(dir.path, primary, standby, topic + "-mirror");
    state = dir.path + "/dr-state.db";
    log = dir.path + "/mirror.log";
  }
  std::vector<std::string> args(std::vector<std::string> extra = {}) const {
    std::vector<std::string> a{"--consumer.config", cfg.consumer, "--producer.config", cfg.producer, "--include", topic,
                               "--state", state, "--offset.commit.interval.ms", "200", "--source-alias", "primary",
                               "--target-alias", "standby", "--unreachable-timeout-ms", "60000"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

}  // namespace

TEST_CASE("a fenced mirror whose primary is gone exits 3 within seconds and sends nothing queued after the fence") {
  Setup s("fence-dead-primary");
  dr::test::produce(s.primary, make_records(s.topic, 100, 0));
  // One record per produce request and one request in flight: at most kPartitions records can be
  // on their way to the target when the fence is seen; everything else waits in the producer queue.
  dr::test::Background mirror(
      "dr-mirror",
      s.args({"-X", "target.batch.num.messages=1", "-X", "target.max.in.flight.requests.per.connection=1"}), s.log);
  REQUIRE_MESSAGE(eventually([&] { return total_end_offsets(s.standby, s.topic) == 300; }, 60s), dr::test::read_file(s.log));

  // The standby stops answering: the mirror keeps consuming, and its producer queue fills.
  int64_t before_fence = 0;
  {
    FrozenBroker standby("standby");
    dr::test::produce(s.primary, make_records(s.topic, 2000, 300, 200));
    std::this_thread::sleep_for(3s);  // the mirror fetches them and queues them for the frozen standby
    FrozenBroker primary("primary");  // the primary is gone too
    fence(s.state, "test: failover while the primary is down");
    const auto fenced_at = Clock::now();
    std::this_thread::sleep_for(3s);  // the mirror notices the fence (it checks every 2 s)
    standby.thaw();                   // the standby answers again: only what was in flight may land
    const int code = mirror.wait(20s);
    const double took = seconds_since(fenced_at);
    INFO(dr::test::read_file(s.log));
    MESSAGE("fenced mirror exited ", took, " s after the fence, with ", code);
    CHECK(code == 3);
    CHECK(took < 10.0);
    CHECK(dr::test::read_file(s.log).find("was fenced") != std::string::npos);
    std::this_thread::sleep_for(2s);  // anything still travelling lands now
    before_fence = 300;
  }  // the primary thaws
  const int64_t on_target = total_end_offsets(s.standby, s.topic);
  const int64_t landed = on_target - before_fence;
  MESSAGE(landed, " records reached the standby after it froze (6000 were produced)");
  // Only records already sent when the standby froze may land; none of the queued ones.
  CHECK(landed <= kPartitions);
}

TEST_CASE("dr-mirror on a fenced link refuses before contacting the clusters (exit 3), even with the primary gone") {
  Setup s("fenced-start");
  dr::test::produce(s.primary, make_records(s.topic, 10, 0));
  auto first = dr::test::run_tool("dr-mirror", s.args({"--until-caught-up"}));
  INFO(first.output);
  REQUIRE(first.exit_code == 0);
  fence(s.state, "test: failed over to the standby");
  FrozenBroker primary("primary");
  const auto started = Clock::now();
  auto r = dr::test::run_tool("dr-mirror", s.args(), 90s);
  const double took = seconds_since(started);
  INFO(r.output);
  MESSAGE("refused after ", took, " s");
  CHECK(r.exit_code == 3);
  CHECK(took < 10.0);
  CHECK(r.output.find("is failed_over") != std::string::npos);
  CHECK(r.output.find("test: failed over to the standby") != std::string::npos);
  CHECK(r.output.find("does not answer") == std::string::npos);  // it never waited for the primary
}

TEST_CASE("SIGTERM while dr-mirror waits for a dead primary: it says so and exits 0 at once") {
  Setup s("sigterm-wait");
  FrozenBroker primary("primary");
  dr::test::Background mirror("dr-mirror", s.args(), s.log);
  REQUIRE(eventually([&] { return dr::test::read_file(s.log).find("does not answer") != std::string::npos; }, 40s));
  const auto stopped_at = Clock::now();
  mirror.terminate();
  const int code = mirror.wait(30s);
  const double took = seconds_since(stopped_at);
  const std::string log = dr::test::read_file(s.log);
  INFO(log);
  MESSAGE("stopped ", took, " s after SIGTERM");
  CHECK(code == 0);
  CHECK(took < 5.0);
  CHECK(log.find("stopped by signal") != std::string::npos);
  CHECK(log.find("(--unreachable-timeout-ms") == std::string::npos);  // not reported as an outage
}
