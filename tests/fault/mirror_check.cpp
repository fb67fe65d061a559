#include "fault/mirror_check.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <set>

#include <fmt/format.h>

#include "dr/clock.hpp"
#include "dr/store/links.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/store/state_store.hpp"
#include "integration/data.hpp"

namespace dr::test {

using namespace std::chrono_literals;
using kafka::Record;

std::vector<Record> make_stream_records(const std::string& topic, int n, int first_id, int partitions) {
  std::vector<Record> out;
  out.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int id = first_id + i;
    Record r;
    r.topic = topic;
    r.partition = id % partitions;
    r.key = fmt::format("k{}", id % 1000);
    r.value = fmt::format("id-{}|{}", id, std::string(400, static_cast<char>('a' + id % 26)));
    r.headers = {{"id", std::to_string(id)}};
    r.timestamp_ms = dr::now_ms() - 3'600'000 + id % 1000;  // recent: retention must not delete the test data
    out.push_back(std::move(r));
  }
  return out;
}

int64_t total_end_offsets(const Cluster& c, const std::string& topic, int partitions) {
  kafka::Admin admin(client_config(c, kafka::ClientRole::admin));
  int64_t sum = 0;
  try {
    for (int32_t p = 0; p < partitions; ++p) sum += admin.watermarks(topic, p, 5s).high;
  } catch (const dr::Error&) {
    return 0;  // the target topic does not exist yet
  }
  return sum;
}

int64_t committed_total(const Cluster& c, const std::string& group) {
  kafka::Admin admin(client_config(c, kafka::ClientRole::admin));
  int64_t sum = 0;
  for (const auto& g : admin.list_group_offsets(group, 10s)) sum += g.offset;
  return sum;
}

namespace {

bool same_record(const Record& a, const Record& b) {
  return a.key == b.key && a.value == b.value && a.headers == b.headers && a.timestamp_ms == b.timestamp_ms;
}

}  // namespace

MirrorVerdict verify_mirrored(const Cluster& source, const Cluster& target, const std::string& topic, int partitions,
                              const std::string& state) {
  auto store = dr::store::StateStore::open(state, {.create_if_missing = false});
  const auto link = dr::store::list_links(store).at(0);
  MirrorVerdict v;
  for (int32_t p = 0; p < partitions; ++p) {
    CAPTURE(p);
    auto src = read_partition(source, topic, p);
    auto dst = read_partition(target, topic, p);
    std::map<std::string, int> copies;
    for (const auto& r : dst) ++copies[*r.value];
    for (const auto& r : src) {
      if (copies.count(*r.value) == 0) FAIL("source record " << topic << "/" << p << "@" << r.offset << " is missing on the target");
    }
    v.source_records += static_cast<int64_t>(src.size());
    v.duplicates += static_cast<int64_t>(dst.size() - src.size());
    // The first copies of the records appear in source order, byte-equal (key, value, headers, timestamp).
    std::set<std::string> seen;
    size_t next = 0;
    for (const auto& r : dst) {
      if (!seen.insert(*r.value).second) continue;
      REQUIRE(next < src.size());
      if (!same_record(r, src[next])) FAIL("target " << topic << "/" << p << "@" << r.offset << " differs from source offset " << next);
      ++next;
    }
    // Mapping: no row claims a target offset that does not hold the mapped record; all source offsets
    // mapped (a record copied again after a fault is mapped once per persisted copy).
    auto rows = dr::store::load_segments(store, link.id, topic, p);
    std::set<int64_t> covered;
    for (const auto& row : rows) {
      for (int64_t i = 0; i < row.length; ++i) {
        const auto s = static_cast<size_t>(row.source_start.value() + i);
        const auto t = static_cast<size_t>(row.target_start.value() + i);
        REQUIRE(s < src.size());
        REQUIRE(t < dst.size());
        if (!same_record(dst[t], src[s])) FAIL("mapping row claims target " << t << " holds source " << s);
        covered.insert(static_cast<int64_t>(s));
      }
    }
    CHECK(covered.size() == src.size());
    v.max_rows = std::max(v.max_rows, rows.size());
    MESSAGE("partition ", p, ": ", src.size(), " source records, ", dst.size(), " on the target, ", rows.size(), " mapping rows");
  }
  return v;
}

}  // namespace dr::test
