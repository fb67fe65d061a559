// The offset mapping (SegmentBuilder + persist_mapping) against a brute-force oracle: randomized
// mirror histories with compaction gaps, foreign writers on the target, skipped records, and
// restarts that copy records again, checked record by record against the simulated target log.
#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <random>

#include "dr/error.hpp"
#include "dr/mirror/segment_builder.hpp"
#include "dr/store/links.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/store/state_store.hpp"

using dr::SourceOffset;
using dr::TargetOffset;
using dr::mirror::SegmentBuilder;
using dr::store::OffsetSegment;

namespace {

struct Simulation {
  std::vector<int64_t> source;                 // offsets present in the source partition (compaction gaps)
  std::vector<std::optional<int64_t>> target;  // target log: source offset of each record, nullopt = foreign
  std::vector<int64_t> skipped;                // source offsets skipped after a delivery failure
  size_t committed = 0;                        // index into `source` of the next record to mirror
  int sessions = 0;
  int discontinuities = 0;  // events that must start a new segment (gap, foreign write, skip)
};

dr::store::Link make_link(dr::store::StateStore& store) {
  dr::store::record_cluster(store, "src-id", "src", "s:9092");
  dr::store::record_cluster(store, "tgt-id", "tgt", "t:9092");
  return dr::store::ensure_link(store, "src-id", "tgt-id", "{topic}");
}

void run_history(std::mt19937_64& rng, Simulation& sim, dr::store::StateStore& store, int64_t link_id) {
  std::uniform_real_distribution<double> p(0, 1);
  int64_t offset = static_cast<int64_t>(rng() % 5);
  const int n = 50 + static_cast<int>(rng() % 400);
  for (int i = 0; i < n; ++i) {
    sim.source.push_back(offset);
    offset += p(rng) < 0.1 ? 2 + static_cast<int64_t>(rng() % 5) : 1;  // compaction gap
  }
  while (sim.committed < sim.source.size()) {
    ++sim.sessions;
    SegmentBuilder builder;
    size_t pos = sim.committed;
    const double kill_rate = p(rng) * 0.05;
    const int persist_every = 1 + static_cast<int>(rng() % 40);
    int since_persist = 0;
    while (pos < sim.source.size()) {
      if (p(rng) < kill_rate) break;  // kill -9: whatever is not persisted is forgotten
      if (p(rng) < 0.03) sim.target.push_back(std::nullopt);  // another writer on the target
      const int64_t s = sim.source[pos++];
      if (p(rng) < 0.01) {
        sim.skipped.push_back(s);  // permanent delivery failure, skipped (abort.on.send.failure=false)
      } else {
        const auto t = static_cast<int64_t>(sim.target.size());
        sim.target.push_back(s);
        builder.append(SourceOffset(s), TargetOffset(t), 1'000'000 + s);
      }
      if (++since_persist >= persist_every || pos == sim.source.size()) {
        dr::store::PartitionMappingUpdate u{"orders", 3, builder.take_dirty(), {}};
        dr::store::persist_mapping(store, link_id, std::span(&u, 1));
        if (p(rng) < 0.1) break;  // killed between the SQLite commit and the Kafka offset commit
        sim.committed = pos;      // source offsets are committed only after the mapping is durable
        since_persist = 0;
      }
    }
  }
}

// Brute-force translation over the rows: the target offset of the first mapped record with
// source offset >= c, or the end of the last row.
int64_t translate(const std::vector<OffsetSegment>& rows, int64_t c) {
  for (const auto& r : rows) {
    if (r.source_end().value() > c) return r.target_start.value() + std::max<int64_t>(0, c - r.source_start.value());
  }
  return rows.empty() ? 0 : rows.back().target_end().value();
}

}  // namespace

TEST_CASE("segment builder: a gap-free stream is one growing segment") {
  SegmentBuilder b;
  for (int64_t i = 0; i < 100000; ++i) b.append(SourceOffset(10 + i), TargetOffset(500 + i), i);
  auto dirty = b.take_dirty();
  REQUIRE(dirty.size() == 1);
  CHECK(dirty[0] == OffsetSegment{SourceOffset(10), TargetOffset(500), 100000, 0, 99999});
  CHECK(b.take_dirty().empty());
  b.append(SourceOffset(100010), TargetOffset(100500), 7);
  dirty = b.take_dirty();
  REQUIRE(dirty.size() == 1);
  CHECK(dirty[0].length == 100001);
}

TEST_CASE("segment builder: a jump on either side starts a new segment") {
  SegmentBuilder b;
  b.append(SourceOffset(0), TargetOffset(0), 1);
  b.append(SourceOffset(1), TargetOffset(1), 2);
  b.append(SourceOffset(5), TargetOffset(2), 3);  // source gap (compaction)
  b.append(SourceOffset(6), TargetOffset(4), 4);  // target gap (transaction marker, other writer)
  auto dirty = b.take_dirty();
  REQUIRE(dirty.size() == 3);
  CHECK(dirty[0] == OffsetSegment{SourceOffset(0), TargetOffset(0), 2, 1, 2});
  CHECK(dirty[1] == OffsetSegment{SourceOffset(5), TargetOffset(2), 1, 3, 3});
  CHECK(dirty[2] == OffsetSegment{SourceOffset(6), TargetOffset(4), 1, 4, 4});
  CHECK_THROWS_AS(b.append(SourceOffset(6), TargetOffset(9), 5), dr::Error);
}

TEST_CASE("offset mapping: randomized histories against a brute-force oracle") {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    auto store = dr::store::StateStore::open(":memory:");
    const auto link = make_link(store);
    Simulation sim;
    run_history(rng, sim, store, link.id);
    const auto rows = dr::store::load_segments(store, link.id, "orders", 3);
    REQUIRE(!rows.empty());

    // 1. Every row claims only target offsets that hold the mapped source record.
    for (const auto& r : rows) {
      for (int64_t i = 0; i < r.length; ++i) {
        const auto t = static_cast<size_t>(r.target_start.value() + i);
        if (t >= sim.target.size() || sim.target[t] != r.source_start.value() + i) {
          FAIL("row at source " << r.source_start.value() << " claims target " << t << " wrongly");
        }
      }
    }
    // 2. Rows do not overlap and target offsets increase with source offsets.
    for (size_t i = 1; i < rows.size(); ++i) {
      REQUIRE(rows[i - 1].source_end() <= rows[i].source_start);
      REQUIRE(rows[i - 1].target_end() <= rows[i].target_start);
    }
    // 3. Every committed, not skipped source record is mapped.
    std::map<int64_t, bool> mapped;
    for (const auto& r : rows) {
      for (int64_t i = 0; i < r.length; ++i) mapped[r.source_start.value() + i] = true;
    }
    for (size_t i = 0; i < sim.committed; ++i) {
      const int64_t s = sim.source[i];
      if (std::find(sim.skipped.begin(), sim.skipped.end(), s) != sim.skipped.end()) continue;
      if (mapped.count(s) != 1) FAIL("source offset " << s << " is not mapped");
    }
    // 4. No skip: from translate(c), every record with source offset >= c that reached the target
    //    has a copy at or after the translated position. (A record whose delivery failed in a later
    //    session is excluded: it is in skipped_records, reported, even if an unpersisted earlier
    //    copy of it exists.)
    std::map<int64_t, int64_t> last_copy;  // source offset -> highest target offset holding it
    for (size_t t = 0; t < sim.target.size(); ++t) {
      if (sim.target[t]) last_copy[*sim.target[t]] = static_cast<int64_t>(t);
    }
    for (int64_t s : sim.skipped) last_copy.erase(s);
    const int64_t max_source = sim.source.back() + 2;
    std::vector<int64_t> suffix_min(static_cast<size_t>(max_source) + 2, INT64_MAX);  // min last copy of s >= c
    for (int64_t c = max_source; c >= 0; --c) {
      auto it = last_copy.find(c);
      suffix_min[static_cast<size_t>(c)] =
          std::min(suffix_min[static_cast<size_t>(c) + 1], it == last_copy.end() ? INT64_MAX : it->second);
    }
    for (int64_t c = 0; c <= max_source; ++c) {
      const int64_t t = translate(rows, c);
      if (suffix_min[static_cast<size_t>(c)] < t) {
        FAIL("translate(" << c << ")=" << t << " skips a record whose last copy is at " << suffix_min[static_cast<size_t>(c)]);
      }
    }
    // 5. Rows stay O(discontinuities), not O(records): at most one row per session, gap,
    //    foreign write or skip.
    int64_t gaps = 0;
    for (size_t i = 1; i < sim.source.size(); ++i) gaps += sim.source[i] != sim.source[i - 1] + 1;
    const auto foreign = std::count(sim.target.begin(), sim.target.end(), std::nullopt);
    CHECK(static_cast<int64_t>(rows.size()) <= sim.sessions + gaps + foreign + static_cast<int64_t>(sim.skipped.size()));
    // 6. Skipped records are recorded, never silent.
    CHECK(dr::store::load_skipped(store, link.id, "orders", 3).size() <= sim.skipped.size());

    // 7. Pruning drops rows wholly below the target log start and keeps the newest row.
    const auto log_start = static_cast<int64_t>(rng() % (sim.target.size() + 10));
    dr::store::prune_segments(store, link.id, "orders", 3, TargetOffset(log_start));
    const auto pruned = dr::store::load_segments(store, link.id, "orders", 3);
    REQUIRE(!pruned.empty());
    CHECK(pruned.back() == rows.back());
    for (const auto& r : rows) {
      const bool kept = std::find(pruned.begin(), pruned.end(), r) != pruned.end();
      const bool should_keep = r.target_end().value() > log_start || r == rows.back();
      CHECK(kept == should_keep);
    }
  }
}

TEST_CASE("offset mapping: a clean restart continues the same row") {
  auto store = dr::store::StateStore::open(":memory:");
  const auto link = make_link(store);
  dr::store::PartitionMappingUpdate first{"t", 1, {{SourceOffset(0), TargetOffset(10), 100, 5, 6}}, {}};
  dr::store::persist_mapping(store, link.id, std::span(&first, 1));
  dr::store::PartitionMappingUpdate second{"t", 1, {{SourceOffset(100), TargetOffset(110), 50, 7, 8}}, {}};
  dr::store::persist_mapping(store, link.id, std::span(&second, 1));
  auto rows = dr::store::load_segments(store, link.id, "t", 1);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0] == OffsetSegment{SourceOffset(0), TargetOffset(10), 150, 5, 8});
}

TEST_CASE("offset mapping: a re-copied run keeps the earliest copy and one row per run") {
  auto store = dr::store::StateStore::open(":memory:");
  const auto link = make_link(store);
  auto persist = [&](std::vector<OffsetSegment> segs) {
    dr::store::PartitionMappingUpdate u{"t", 0, std::move(segs), {}};
    dr::store::persist_mapping(store, link.id, std::span(&u, 1));
  };
  persist({{SourceOffset(0), TargetOffset(0), 10, 0, 9}});
  persist({{SourceOffset(0), TargetOffset(0), 20, 0, 19}});  // the same run, extended
  CHECK(dr::store::load_segments(store, link.id, "t", 0).size() == 1);
  // Restart from committed offset 15: records 15..19 copied again to target 20..24, then new ones.
  persist({{SourceOffset(15), TargetOffset(20), 5, 15, 19}});  // all duplicates: ignored
  CHECK(dr::store::load_segments(store, link.id, "t", 0).size() == 1);
  persist({{SourceOffset(15), TargetOffset(20), 12, 15, 26}});  // 20..26 are new
  persist({{SourceOffset(15), TargetOffset(20), 30, 15, 44}});  // the run keeps growing: same row
  auto rows = dr::store::load_segments(store, link.id, "t", 0);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == OffsetSegment{SourceOffset(0), TargetOffset(0), 20, 0, 19});
  CHECK(rows[1].source_start == SourceOffset(20));
  CHECK(rows[1].target_start == TargetOffset(25));
  CHECK(rows[1].length == 25);
}
