// The reverse link's mapping is the forward mapping read backwards; translation over it must never
// skip a record (checked against a brute-force oracle over random forward histories with re-copies).
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include "dr/resync/inverse_mapping.hpp"
#include "dr/translate/translate.hpp"

using dr::SourceOffset;
using dr::TargetOffset;
using dr::resync::MatchedRecord;
using dr::store::OffsetSegment;

namespace {

// A forward mirror's history on one partition, simulated record by record.
struct History {
  std::vector<int64_t> old_offsets;        // the old primary's records (compaction leaves gaps)
  std::map<int64_t, int64_t> copy_source;  // new-primary offset -> old offset of the record copied there
  std::vector<OffsetSegment> forward_rows; // what the forward mirror persisted
  std::vector<MatchedRecord> tail;         // copies made after the last persist, found by content
};

// Copies runs of old records, sometimes re-copying from an earlier point (kill -9 restarts), and
// sometimes not persisting a run (killed before the persist); the last unpersisted run is the tail.
History random_history(std::mt19937& rng) {
  History h;
  int64_t offset = 0;
  const int n = std::uniform_int_distribution<int>(1, 40)(rng);
  for (int i = 0; i < n; ++i) {
    offset += std::uniform_int_distribution<int>(0, 5)(rng) == 0 ? 2 : 1;  // a compaction gap now and then
    h.old_offsets.push_back(offset);
  }
  int64_t next_new = std::uniform_int_distribution<int>(0, 3)(rng);  // the new primary's log may not start at 0
  size_t pos = 0;  // index into old_offsets of the next record to copy
  while (pos < h.old_offsets.size()) {
    const size_t run = std::min<size_t>(h.old_offsets.size() - pos, std::uniform_int_distribution<int>(1, 8)(rng));
    const bool persisted = std::uniform_int_distribution<int>(0, 3)(rng) != 0;
    const bool last = pos + run == h.old_offsets.size();
    for (size_t k = 0; k < run; ++k) {
      const int64_t old_offset = h.old_offsets[pos + k];
      const int64_t new_offset = next_new++;
      h.copy_source[new_offset] = old_offset;
      if (persisted) {
        auto& rows = h.forward_rows;
        if (!rows.empty() && rows.back().source_end().value() == old_offset && rows.back().target_end().value() == new_offset) {
          ++rows.back().length;
        } else {
          rows.push_back({SourceOffset(old_offset), TargetOffset(new_offset), 1, old_offset * 10, old_offset * 10});
        }
      } else if (last) {
        h.tail.push_back({SourceOffset(old_offset), TargetOffset(new_offset), old_offset * 10});
      }
    }
    if (!persisted && !last) {
      // Killed before the persist: the restart copies the same records again.
      continue;
    }
    pos += run;
    if (std::uniform_int_distribution<int>(0, 4)(rng) == 0 && pos > 0) {
      pos -= std::min<size_t>(pos, std::uniform_int_distribution<int>(1, 6)(rng));  // a re-copy after kill -9
    }
    if (!persisted && last) break;
  }
  std::sort(h.forward_rows.begin(), h.forward_rows.end(), [](const OffsetSegment& a, const OffsetSegment& b) {
    return a.source_start != b.source_start ? a.source_start < b.source_start : a.target_start < b.target_start;
  });
  return h;
}

}  // namespace

TEST_CASE("inverse mapping: a forward run read backwards, cut at the common end") {
  const std::vector<OffsetSegment> forward = {{SourceOffset(10), TargetOffset(0), 5, 100, 140},
                                              {SourceOffset(15), TargetOffset(7), 5, 150, 190}};
  const auto all = dr::resync::invert_mapping(forward, SourceOffset(20));
  REQUIRE(all.size() == 2);
  CHECK(all[0] == OffsetSegment{SourceOffset(0), TargetOffset(10), 5, 100, 140});
  CHECK(all[1] == OffsetSegment{SourceOffset(7), TargetOffset(15), 5, 150, 190});
  const auto cut = dr::resync::invert_mapping(forward, SourceOffset(17));
  REQUIRE(cut.size() == 2);
  CHECK(cut[1].length == 2);
  CHECK(dr::resync::invert_mapping(forward, SourceOffset(10)).empty());
}

TEST_CASE("inverse mapping: matched records merge into runs where both sides advance by one") {
  const std::vector<MatchedRecord> m = {{SourceOffset(20), TargetOffset(30), 1}, {SourceOffset(21), TargetOffset(31), 2},
                                        {SourceOffset(23), TargetOffset(32), 3}, {SourceOffset(24), TargetOffset(33), 4}};
  const auto runs = dr::resync::runs_from_matches(m);
  REQUIRE(runs.size() == 2);
  CHECK(runs[0] == OffsetSegment{SourceOffset(30), TargetOffset(20), 2, 1, 2});
  CHECK(runs[1] == OffsetSegment{SourceOffset(32), TargetOffset(23), 2, 3, 4});
}

TEST_CASE("inverse mapping: reverse translation never skips, against a brute-force oracle with re-copies") {
  std::mt19937 rng(20261122);
  int with_recopies = 0;
  for (int round = 0; round < 3000; ++round) {
    const History h = random_history(rng);
    if (h.forward_rows.empty() && h.tail.empty()) continue;
    // The common end: after the last old record that reached the new primary (mapped or matched).
    int64_t common_end = 0;
    for (const auto& r : h.forward_rows) common_end = std::max(common_end, r.source_end().value());
    for (const auto& m : h.tail) common_end = std::max(common_end, m.old_offset.value() + 1);
    auto reverse = dr::resync::invert_mapping(h.forward_rows, SourceOffset(common_end));
    const auto tail_rows = dr::resync::runs_from_matches(h.tail);
    reverse.insert(reverse.end(), tail_rows.begin(), tail_rows.end());
    std::sort(reverse.begin(), reverse.end(),
              [](const OffsetSegment& a, const OffsetSegment& b) { return a.source_start < b.source_start; });
    // Which new-primary records the reverse mapping knows, and the old record each holds.
    std::map<int64_t, int64_t> known;
    for (const auto& r : reverse) {
      for (int64_t k = 0; k < r.length; ++k) {
        const int64_t s = r.source_start.value() + k, t = r.target_start.value() + k;
        REQUIRE(h.copy_source.count(s) == 1);
        CHECK(h.copy_source.at(s) == t);  // every reverse row points at the record copied there
        known[s] = t;
      }
    }
    std::map<int64_t, int> copies;
    for (const auto& [s, t] : known) ++copies[t];
    with_recopies += std::any_of(copies.begin(), copies.end(), [](const auto& c) { return c.second > 1; });
    const int64_t new_end = h.copy_source.empty() ? 0 : h.copy_source.rbegin()->first + 1;
    for (int64_t c = 0; c <= new_end; ++c) {
      // A consumer on the new primary committed c: every known record at or after c must still be
      // read on the old primary, so the answer is the smallest old offset among them.
      std::optional<int64_t> oracle;
      for (auto it = known.lower_bound(c); it != known.end(); ++it) oracle = std::min(oracle.value_or(it->second), it->second);
      if (!oracle) continue;
      const auto t = dr::translate::translate_offset(reverse, SourceOffset(c));
      CAPTURE(round);
      CAPTURE(c);
      if (c < known.begin()->first) {
        CHECK(t.target.value() <= *oracle);  // before the mapping: from its oldest record
        continue;
      }
      CHECK(t.precision == dr::translate::Precision::exact);
      CHECK(t.target.value() == *oracle);
    }
  }
  CHECK(with_recopies > 100);  // the histories exercised copies of one record at several offsets
}
