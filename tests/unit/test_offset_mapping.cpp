// The offset mapping (SegmentBuilder + persist_mapping) against a brute-force oracle: randomized
// mirror histories with compaction gaps, foreign writers on the target, skipped records, and
// restarts that copy records again, checked record by record against the simulated target log,
// and translated back (translate_offset) against a brute-force search for the position that
// re-delivers least without skipping.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "dr/error.hpp"
#include "dr/mirror/segment_builder.hpp"
#include "dr/store/links.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/store/state_store.hpp"
#include "dr/translate/translate.hpp"
#include "store/state_store_impl.hpp"

using dr::SourceOffset;
using dr::TargetOffset;
using dr::mirror::SegmentBuilder;
using dr::store::OffsetSegment;

namespace {

struct Simulation {
  std::vector<int64_t> source;                 // offsets present in the source partition (compaction gaps)
  std::vector<std::optional<int64_t>> target;  // target log: source offset of each record, nullopt = foreign
  std::vector<int64_t> skipped;                // source offsets skipped after a delivery failure
  std::set<std::pair<int64_t, int64_t>> persisted;  // (source, target) of every copy whose mapping is durable
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
    std::vector<std::pair<int64_t, int64_t>> unpersisted;
    size_t pos = sim.committed;
    const size_t session_start = pos;
    const double kill_rate = p(rng) * 0.05;
    const int persist_every = 1 + static_cast<int>(rng() % 40);
    int since_persist = 0;
    while (pos < sim.source.size()) {
      if (p(rng) < kill_rate) break;  // kill -9: whatever is not persisted is forgotten
      if (p(rng) < 0.03) {
        sim.target.push_back(std::nullopt);  // another writer on the target
        ++sim.discontinuities;
      }
      if (pos > session_start && sim.source[pos] != sim.source[pos - 1] + 1) ++sim.discontinuities;  // compaction gap
      const int64_t s = sim.source[pos++];
      if (p(rng) < 0.01) {
        ++sim.discontinuities;
        sim.skipped.push_back(s);  // permanent delivery failure, skipped (abort.on.send.failure=false)
      } else {
        const auto t = static_cast<int64_t>(sim.target.size());
        sim.target.push_back(s);
        builder.append(SourceOffset(s), TargetOffset(t), 1'000'000 + s);
        unpersisted.emplace_back(s, t);
      }
      if (++since_persist >= persist_every || pos == sim.source.size()) {
        dr::store::PartitionMappingUpdate u{"orders", 3, builder.take_dirty(), {}};
        dr::store::persist_mapping(store, link_id, std::span(&u, 1));
        sim.persisted.insert(unpersisted.begin(), unpersisted.end());
        unpersisted.clear();
        if (p(rng) < 0.1) break;  // killed between the SQLite commit and the Kafka offset commit
        sim.committed = pos;      // source offsets are committed only after the mapping is durable
        since_persist = 0;
      }
    }
  }
}

// Re-deliveries when a group resumes at target offset `from`, the group having committed source
// offset c: every mirrored record read from there on that is older than c, or a copy of a record
// already read. `target` is the simulated target log (nullopt: a foreign record, not counted).
int64_t redeliveries(const std::vector<std::optional<int64_t>>& target, int64_t from, int64_t c) {
  std::vector<char> seen;
  int64_t n = 0;
  for (size_t t = static_cast<size_t>(std::max<int64_t>(0, from)); t < target.size(); ++t) {
    if (!target[t]) continue;
    const auto s = static_cast<size_t>(*target[t]);
    if (s >= seen.size()) seen.resize(s + 1, 0);
    if (*target[t] < c || seen[s]) ++n;
    seen[s] = 1;
  }
  return n;
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

// Under AddressSanitizer (scripts/test's first step, about ten times slower) a quarter of the seeds:
// that run looks for memory errors; the release build's unit run checks all 300 against the oracle.
#ifdef DR_SANITIZE
constexpr uint64_t kSeeds = 75;
#else
constexpr uint64_t kSeeds = 300;
#endif

TEST_CASE("offset mapping: randomized histories against a brute-force oracle") {
  int64_t avoidable_total = 0;  // re-deliveries resuming at the first copy would add, over all seeds
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
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
    // 2. Rows never overlap in target offsets, and they hold exactly the copies whose mapping was
    //    made durable: re-copies included (the first copy alone is not enough to translate well).
    std::set<std::pair<int64_t, int64_t>> in_rows;
    for (const auto& r : rows) {
      for (int64_t i = 0; i < r.length; ++i) {
        if (!in_rows.emplace(r.source_start.value() + i, r.target_start.value() + i).second) {
          FAIL("target offset " << r.target_start.value() + i << " is claimed twice");
        }
      }
    }
    CHECK(in_rows == sim.persisted);
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
    //    Least re-delivery: brute force over every target position the durable mapping proves safe
    //    (each persisted record >= c has a persisted copy at or after it); the translation
    //    re-delivers no more than the best of them, counted on the real target log.
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
    std::vector<int64_t> persisted_at(sim.target.size(), -1);  // target offset -> source of a persisted copy
    for (const auto& [s, t] : sim.persisted) persisted_at[static_cast<size_t>(t)] = s;
    for (int64_t c = 0; c <= max_source; ++c) {
      const auto tr = dr::translate::translate_offset(rows, SourceOffset(c));
      const int64_t t = tr.target.value();
      if (suffix_min[static_cast<size_t>(c)] < t) {
        FAIL("translate(" << c << ")=" << t << " skips a record whose last copy is at " << suffix_min[static_cast<size_t>(c)]);
      }
      if (tr.precision != dr::translate::Precision::exact) continue;
      // Walk the target log backwards: a position is provably safe once every persisted source
      // record >= c has a persisted copy at or after it.
      std::set<int64_t> needed;
      for (const auto& [src, tgt] : sim.persisted) {
        if (src >= c) needed.insert(src);
      }
      if (needed.empty()) continue;  // c is the end of the mapping: nothing to choose
      std::set<int64_t> covered;
      int64_t best = INT64_MAX;
      for (int64_t from = static_cast<int64_t>(sim.target.size()); from >= 0; --from) {
        if (from < static_cast<int64_t>(sim.target.size()) && persisted_at[static_cast<size_t>(from)] >= c) {
          covered.insert(persisted_at[static_cast<size_t>(from)]);
        }
        if (covered.size() == needed.size()) {
          best = redeliveries(sim.target, from, c);
          break;  // re-deliveries only grow as the position moves back
        }
      }
      REQUIRE(best != INT64_MAX);
      const int64_t ours = redeliveries(sim.target, t, c);
      if (ours > best) FAIL("translate(" << c << ")=" << t << " re-delivers " << ours << " records; " << best << " is possible");
      // Resuming at the first persisted copy of the first record >= c (the translation when only
      // the earliest copy was kept) re-delivers more wherever records were copied again.
      const int64_t first_copy = sim.persisted.lower_bound({c, INT64_MIN})->second;
      avoidable_total += redeliveries(sim.target, first_copy, c) - ours;
    }
    // 5. Rows stay O(discontinuities), not O(records): at most one row per session, and per gap,
    //    foreign write or skip a session went through (a re-copy goes through some twice).
    CHECK(static_cast<int64_t>(rows.size()) <= sim.sessions + sim.discontinuities);
    // 6. Skipped records are recorded, never silent.
    CHECK(dr::store::load_skipped(store, link.id, "orders", 3).size() <= sim.skipped.size());

    // 7. dr-status counts each mapped record once, however often it was copied.
    const auto summary = dr::store::mapping_summary(store, link.id);
    REQUIRE(summary.size() == 1);
    std::set<int64_t> distinct;
    for (const auto& [src, tgt] : sim.persisted) distinct.insert(src);
    CHECK(summary[0].mapped_records == static_cast<int64_t>(distinct.size()));
    CHECK(summary[0].recopied_records == static_cast<int64_t>(sim.persisted.size() - distinct.size()));
    CHECK(summary[0].rows == static_cast<int64_t>(rows.size()));

    // 8. Time from the mapping (timestamps rise with offsets here): no mapped record at or after
    //    the time is skipped, whichever copy holds it.
    std::map<int64_t, int64_t> last_persisted;  // source -> its last persisted copy
    for (const auto& [src, tgt] : sim.persisted) last_persisted[src] = std::max(last_persisted[src], tgt);
    for (int k = 0; k < 20; ++k) {
      const int64_t at = 1'000'000 + static_cast<int64_t>(rng() % static_cast<uint64_t>(max_source + 3)) - 1;
      const auto o = dr::translate::offset_for_time_from_mapping(rows, at);
      const bool any = std::any_of(distinct.begin(), distinct.end(), [&](int64_t src) { return 1'000'000 + src >= at; });
      REQUIRE(o.has_value() == any);
      for (auto it = last_persisted.lower_bound(at - 1'000'000); it != last_persisted.end(); ++it) {
        if (it->second < o->value()) FAIL("time " << at << " -> " << o->value() << " skips source " << it->first);
      }
    }

    // 9. Where a restarted mirror may resume: every source record from the committed offset up to
    //    the end of the durable run has a persisted copy on the target, and the run ends at a
    //    record that has none.
    for (int k = 0; k < 20; ++k) {
      const int64_t from = static_cast<int64_t>(rng() % static_cast<uint64_t>(max_source + 2));
      const int64_t end =
          dr::store::mapped_run_end(rows, SourceOffset(from), TargetOffset(0), TargetOffset(static_cast<int64_t>(sim.target.size())))
              .value();
      REQUIRE(end >= from);
      for (int64_t s = from; s < end; ++s) {
        if (!distinct.count(s)) FAIL("resuming at " << end << " from " << from << " passes over source " << s << ", never copied");
      }
      CHECK(!distinct.count(end));
    }

    // 10. Pruning drops rows wholly below the target log start and keeps the row reaching furthest
    //    on the source (the last copy of it).
    const auto furthest = *std::max_element(rows.begin(), rows.end(), [](const OffsetSegment& x, const OffsetSegment& y) {
      return std::pair(x.source_end(), x.target_start) < std::pair(y.source_end(), y.target_start);
    });
    const auto log_start = static_cast<int64_t>(rng() % (sim.target.size() + 10));
    dr::store::prune_segments(store, link.id, "orders", 3, TargetOffset(log_start));
    const auto pruned = dr::store::load_segments(store, link.id, "orders", 3);
    REQUIRE(!pruned.empty());
    for (const auto& r : rows) {
      const bool kept = std::find(pruned.begin(), pruned.end(), r) != pruned.end();
      const bool should_keep = r.target_end().value() > log_start || r == furthest;
      CHECK(kept == should_keep);
    }
  }
  CHECK(avoidable_total > 0);  // the histories do copy records again, and it matters
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

TEST_CASE("offset mapping: a re-copied run keeps every copy, one row per run") {
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
  persist({{SourceOffset(15), TargetOffset(20), 5, 15, 19}});  // all duplicates: the copy is recorded
  CHECK(dr::store::load_segments(store, link.id, "t", 0).size() == 2);
  persist({{SourceOffset(15), TargetOffset(20), 12, 15, 26}});  // the run keeps growing: same row
  persist({{SourceOffset(15), TargetOffset(20), 30, 15, 44}});
  auto rows = dr::store::load_segments(store, link.id, "t", 0);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == OffsetSegment{SourceOffset(0), TargetOffset(0), 20, 0, 19});
  CHECK(rows[1] == OffsetSegment{SourceOffset(15), TargetOffset(20), 30, 15, 44});
  // Restarted again from 15 (killed before that commit): a third copy with the same source start.
  persist({{SourceOffset(15), TargetOffset(50), 3, 15, 17}});
  rows = dr::store::load_segments(store, link.id, "t", 0);
  REQUIRE(rows.size() == 3);
  CHECK(rows[2] == OffsetSegment{SourceOffset(15), TargetOffset(50), 3, 15, 17});
  const auto summary = dr::store::mapping_summary(store, link.id);
  REQUIRE(summary.size() == 1);
  CHECK(summary[0].mapped_records == 45);
  CHECK(summary[0].recopied_records == 5 + 3);
  // A group that committed 16 resumes where every record >= 16 still follows, not at the first
  // copy (16): 16 and 17 were copied last at 51 and 52, 18.. at 23.. (second copy), so 23.
  CHECK(dr::translate::translate_offset(rows, SourceOffset(16)).target == TargetOffset(23));
  CHECK(dr::translate::translate_offset(rows, SourceOffset(15)).target == TargetOffset(23));
  CHECK(dr::translate::translate_offset(rows, SourceOffset(20)).target == TargetOffset(25));
  // 10..14 have one copy only, at 10..14: nothing to gain.
  CHECK(dr::translate::translate_offset(rows, SourceOffset(10)).target == TargetOffset(10));
}

TEST_CASE("offset mapping: where a restarted mirror may resume copying") {
  const std::vector<OffsetSegment> rows{{SourceOffset(0), TargetOffset(0), 100, 0, 0},
                                        {SourceOffset(40), TargetOffset(100), 80, 0, 0},  // re-copy, then new records
                                        {SourceOffset(125), TargetOffset(180), 10, 0, 0}};  // after a gap at 120..124
  using dr::store::mapped_run_end;
  const TargetOffset low(0), high(190);
  CHECK(mapped_run_end(rows, SourceOffset(40), low, high) == SourceOffset(120));  // both copies, up to the gap
  CHECK(mapped_run_end(rows, SourceOffset(0), low, high) == SourceOffset(120));
  CHECK(mapped_run_end(rows, SourceOffset(121), low, high) == SourceOffset(121));  // not mapped: no skip
  CHECK(mapped_run_end(rows, SourceOffset(125), low, high) == SourceOffset(135));
  CHECK(mapped_run_end(rows, SourceOffset(500), low, high) == SourceOffset(500));
  // Records that are not (or no longer) in the target partition count for nothing.
  CHECK(mapped_run_end(rows, SourceOffset(40), TargetOffset(0), TargetOffset(150)) == SourceOffset(100));
  CHECK(mapped_run_end(rows, SourceOffset(30), TargetOffset(10), high) == SourceOffset(30));  // first copy deleted
  CHECK(mapped_run_end(rows, SourceOffset(50), TargetOffset(10), high) == SourceOffset(120));
  CHECK(mapped_run_end({}, SourceOffset(7), low, high) == SourceOffset(7));
}

TEST_CASE("offset mapping: migration 0002 keeps the rows of a version 1 state file") {
  const auto path = std::filesystem::temp_directory_path() / ("dr-mapping-migrate-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  const auto all = dr::store::builtin_migrations();
  REQUIRE(all.size() >= 2);
  {
    auto v1 = dr::store::open_state_store(path.string(), {}, all.subspan(0, 1));
    REQUIRE(v1.schema_version() == 1);
    const auto link = make_link(v1);
    dr::store::Statement(v1.impl().db,
                         "INSERT INTO offset_segments VALUES (" + std::to_string(link.id) + ", 't', 2, 100, 7, 50, 1, 2)")
        .run();
  }
  {
    auto now = dr::store::StateStore::open(path.string());
    CHECK(now.schema_version() == dr::store::StateStore::latest_schema_version());
    const auto link = dr::store::list_links(now).at(0);
    auto rows = dr::store::load_segments(now, link.id, "t", 2);
    REQUIRE(rows.size() == 1);
    CHECK(rows[0] == OffsetSegment{SourceOffset(100), TargetOffset(7), 50, 1, 2});
    // A copy starting at the same source offset now fits next to it.
    dr::store::PartitionMappingUpdate u{"t", 2, {{SourceOffset(100), TargetOffset(60), 5, 1, 1}}, {}};
    dr::store::persist_mapping(now, link.id, std::span(&u, 1));
    CHECK(dr::store::load_segments(now, link.id, "t", 2).size() == 2);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}
