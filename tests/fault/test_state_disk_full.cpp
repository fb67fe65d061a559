// The state file's file system fills up while dr-mirror copies (issue 9, item 1): the mirror must
// stop with exit 1 and commit no source offset beyond the mapping that is durable, and a later
// translation into that range must never skip a record. Real clusters, a real full file system
// (a small tmpfs this test mounts: the suite runs as root; a failed mount fails the test).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "dr/kafka/client.hpp"
#include "dr/store/links.hpp"
#include "dr/store/mirror_state.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/store/state_store.hpp"
#include "dr/translate/translate.hpp"
#include "integration/clusters.hpp"
#include "integration/data.hpp"
#include "integration/process.hpp"

using namespace std::chrono_literals;
using dr::kafka::Record;

namespace {

constexpr int kPartitions = 3;

// A tmpfs of `size` at `dir`, unmounted by the destructor.
struct SmallFileSystem {
  std::string dir;
  SmallFileSystem(std::string where, const char* size) : dir(std::move(where)) {
    std::filesystem::create_directories(dir);
    const std::string options = fmt::format("size={},mode=0700", size);
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      FAIL("cannot mount a tmpfs at " << dir << ": " << std::strerror(errno) << " (the fault suite runs as root)");
    }
  }
  ~SmallFileSystem() { ::umount2(dir.c_str(), MNT_DETACH); }
  SmallFileSystem(const SmallFileSystem&) = delete;
  SmallFileSystem& operator=(const SmallFileSystem&) = delete;
};

// Writes `path` until the file system has no byte left; returns the bytes written.
int64_t fill(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  static const std::string chunk(64 * 1024, 'f');
  int64_t written = 0;
  for (size_t size : {chunk.size(), size_t{4096}, size_t{1}}) {
    for (;;) {
      ssize_t n = ::write(fd, chunk.data(), size);
      if (n <= 0) break;
      written += n;
    }
  }
  const int error = errno;
  ::close(fd);
  CHECK_MESSAGE(error == ENOSPC, "filling " << path << " stopped with " << std::strerror(error));
  return written;
}

std::vector<Record> make_records(const std::string& topic, int per_partition, int first_id) {
  std::vector<Record> out;
  for (int i = 0; i < per_partition; ++i) {
    for (int32_t p = 0; p < kPartitions; ++p) {
      const int id = first_id + i * kPartitions + p;
      out.push_back(Record{topic, p, -1, fmt::format("k{}", id), fmt::format("id-{}", id), {}, 0, {}});
    }
  }
  return out;
}

int64_t total_end_offsets(const dr::test::Cluster& c, const std::string& topic) {
  int64_t sum = 0;
  try {
    for (int32_t p = 0; p < kPartitions; ++p) sum += dr::test::end_offset(c, topic, p);
  } catch (const dr::Error&) {
    return 0;  // the target topic does not exist yet
  }
  return sum;
}

std::map<int32_t, int64_t> committed_offsets(const dr::test::Cluster& c, const std::string& group) {
  dr::kafka::Admin admin(dr::test::client_config(c, dr::kafka::ClientRole::admin));
  std::map<int32_t, int64_t> out;
  for (const auto& g : admin.list_group_offsets(group, 10s)) out[g.partition] = g.offset;
  return out;
}

int64_t last_heartbeat(const std::string& state) {
  auto store = dr::store::StateStore::open(state, {.create_if_missing = false});
  int64_t newest = 0;
  for (const auto& link : dr::store::list_links(store)) {
    for (const auto& i : dr::store::list_instances(store, link.id)) newest = std::max(newest, i.heartbeat_ms);
  }
  return newest;
}

template <typename Pred>
bool eventually(Pred pred, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace

TEST_CASE("the state file's file system fills up: exit 1, no offset committed beyond the durable mapping, no skip") {
  const auto primary = dr::test::cluster("primary");
  const auto standby = dr::test::cluster("standby");
  dr::test::TempDir dir;
  SmallFileSystem fs(dir.path + "/state-fs", "8m");
  const std::string topic = dr::test::unique_topic("disk-full");
  const std::string group = topic + "-mirror";
  dr::test::create_topic(primary, topic, kPartitions);
  dr::test::produce(primary, make_records(topic, 1000, 0));
  auto cfg = dr::test::write_mirror_configs(dir.path, primary, standby, group);
  const std::string state = fs.dir + "/dr-state.db", log = dir.path + "/mirror.log";
  const std::vector<std::string> args{"--consumer.config", cfg.consumer, "--producer.config", cfg.producer, "--include",
                                      topic, "--state", state, "--offset.commit.interval.ms", "200"};
  {
    dr::test::Background mirror("dr-mirror", args, log);
    REQUIRE_MESSAGE(eventually([&] { return total_end_offsets(standby, topic) == 3000; }, 60s), dr::test::read_file(log));
    REQUIRE_MESSAGE(eventually([&] {
      int64_t sum = 0;
      for (const auto& [p, off] : committed_offsets(primary, group)) sum += off;
      return sum == 3000;
    }, 30s), dr::test::read_file(log));
    // Fill the file system just after a heartbeat (every 2 s), so that the next state write is the
    // persist of the burst below, and the state write after that is the stop path's.
    const int64_t beat = last_heartbeat(state);
    REQUIRE(eventually([&] { return last_heartbeat(state) > beat; }, 10s));
    const int64_t filled = fill(fs.dir + "/filler");
    MESSAGE("filled the state file's file system with ", filled, " bytes");
    dr::test::produce(primary, make_records(topic, 1000, 3000));
    const int code = mirror.wait(60s);
    INFO(dr::test::read_file(log));
    CHECK(code == 1);
    CHECK(dr::test::read_file(log).find("the state file could not be written") != std::string::npos);
  }
  std::filesystem::remove(fs.dir + "/filler");  // reading the file back needs no space, but the restart does

  // The oracle: per partition, the committed source offset is at most the end of the durable mapping.
  const auto committed = committed_offsets(primary, group);
  std::map<int32_t, std::vector<dr::store::OffsetSegment>> rows;
  {
    auto store = dr::store::StateStore::open(state, {.create_if_missing = false});
    const auto link = dr::store::list_links(store).at(0);
    for (int32_t p = 0; p < kPartitions; ++p) rows[p] = dr::store::load_segments(store, link.id, topic, p);
  }
  for (int32_t p = 0; p < kPartitions; ++p) {
    CAPTURE(p);
    const int64_t durable_end = rows[p].empty() ? 0 : rows[p].back().source_end().value();
    const int64_t on_target = dr::test::end_offset(standby, topic, p);
    REQUIRE(committed.count(p) == 1);
    MESSAGE("partition ", p, ": committed ", committed.at(p), ", durable mapping up to ", durable_end, ", ", on_target,
            " records on the target");
    CHECK(committed.at(p) <= durable_end);
  }

  // The next start resumes from what is durable; translation into the range never skips a record.
  auto caught_up = args;
  caught_up.push_back("--until-caught-up");
  auto r = dr::test::run_tool("dr-mirror", caught_up, 300s);
  INFO(r.output);
  REQUIRE(r.exit_code == 0);
  auto store = dr::store::StateStore::open(state, {.create_if_missing = false});
  const auto link = dr::store::list_links(store).at(0);
  for (int32_t p = 0; p < kPartitions; ++p) {
    CAPTURE(p);
    auto source = dr::test::read_partition(primary, topic, p);
    auto target = dr::test::read_partition(standby, topic, p);
    std::map<std::string, int64_t> last_copy;  // value -> target offset of its last copy
    for (const auto& t : target) last_copy[*t.value] = t.offset;
    // A consumer resuming at target offset T after committing source offset c reads every record
    // at or after c iff each of them has a copy at T or later: T <= the smallest last copy from c on.
    std::vector<int64_t> bound(source.size() + 1, INT64_MAX);
    for (size_t i = source.size(); i-- > 0;) {
      REQUIRE_MESSAGE(last_copy.count(*source[i].value) == 1, "source record " << source[i].offset << " is missing");
      bound[i] = std::min(bound[i + 1], last_copy.at(*source[i].value));
    }
    const auto segments = dr::store::load_segments(store, link.id, topic, p);
    for (size_t i = 0; i < source.size(); ++i) {
      CAPTURE(source[i].offset);
      auto tr = dr::translate::translate_offset(segments, dr::SourceOffset(source[i].offset));
      CAPTURE(dr::translate::to_string(tr.precision));
      REQUIRE(tr.target.value() <= bound[i]);
    }
  }
}
