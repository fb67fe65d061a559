// Offset translation against a brute-force oracle, and the time formats operators type.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "dr/error.hpp"
#include "dr/mirror/segment_builder.hpp"
#include "dr/translate/time_input.hpp"
#include "dr/translate/translate.hpp"

using dr::SourceOffset;
using dr::TargetOffset;
using dr::store::OffsetSegment;
using dr::translate::Precision;
using dr::translate::translate_offset;

namespace {

// Random mapping rows as the store keeps them: disjoint, increasing on both sides, with gaps.
std::vector<OffsetSegment> random_rows(std::mt19937_64& rng) {
  std::vector<OffsetSegment> rows;
  int64_t s = static_cast<int64_t>(rng() % 50), t = static_cast<int64_t>(rng() % 50);
  const int n = 1 + static_cast<int>(rng() % 8);
  for (int i = 0; i < n; ++i) {
    const int64_t len = 1 + static_cast<int64_t>(rng() % 30);
    rows.push_back({SourceOffset(s), TargetOffset(t), len, s, s + len - 1});
    s += len + static_cast<int64_t>(rng() % 4) * static_cast<int64_t>(rng() % 3);  // source gaps
    t += len + static_cast<int64_t>(rng() % 3) * static_cast<int64_t>(rng() % 2);  // target gaps
  }
  return rows;
}

// A mirror history with restarts that copy records again, as the mapping keeps it: every session
// resumes at a committed offset at or before where the last one got, copies a while (with foreign
// writes on the target, compaction gaps on the source, copies whose mapping was lost to a kill)
// and its runs become rows. Returns the rows (sorted as load_segments sorts them) and the target
// log (the source offset of each target offset; nullopt: foreign, or a copy the mapping lost).
struct RecopyHistory {
  std::vector<OffsetSegment> rows;
  std::vector<std::optional<int64_t>> target;
};

RecopyHistory random_recopy_history(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> p(0, 1);
  std::vector<int64_t> source;
  int64_t s = static_cast<int64_t>(rng() % 20);
  const int n = 5 + static_cast<int>(rng() % 60);
  for (int i = 0; i < n; ++i) {
    source.push_back(s);
    s += p(rng) < 0.1 ? 2 + static_cast<int64_t>(rng() % 3) : 1;
  }
  RecopyHistory h;
  h.target.resize(rng() % 20, std::nullopt);  // the target topic held other records before
  size_t reached = 0;  // index into source: how far copying has got
  const int sessions = 1 + static_cast<int>(rng() % 5);
  for (int k = 0; k < sessions && reached < source.size(); ++k) {
    // Resume from a committed offset at or behind what was reached (the commit failed or lagged).
    size_t pos = reached - std::min<size_t>(reached, rng() % 25);
    const size_t stop = k + 1 == sessions ? source.size() : std::min(source.size(), pos + 1 + rng() % 40);
    dr::mirror::SegmentBuilder builder;
    bool lost = false;
    for (; pos < stop; ++pos) {
      if (p(rng) < 0.05) h.target.push_back(std::nullopt);  // another writer
      const auto t = static_cast<int64_t>(h.target.size());
      if (!lost && p(rng) < 0.02) lost = true;  // killed: the rest of this session's mapping is lost
      h.target.push_back(lost ? std::nullopt : std::optional<int64_t>(source[pos]));
      if (!lost) builder.append(SourceOffset(source[pos]), TargetOffset(t), 1000 + source[pos]);
    }
    reached = std::max(reached, pos);
    for (auto& seg : builder.take_dirty()) h.rows.push_back(seg);
  }
  std::sort(h.rows.begin(), h.rows.end(), [](const OffsetSegment& a, const OffsetSegment& b) {
    return std::pair(a.source_start, a.target_start) < std::pair(b.source_start, b.target_start);
  });
  return h;
}

// For every resume position `from` (0 .. end of the target log): how many mirrored records a group
// that committed c reads again from there: those older than c, and second copies of records it
// already read. Counted record by record, from the end of the log backwards.
std::vector<int64_t> redeliveries(const std::vector<std::optional<int64_t>>& target, int64_t c) {
  std::vector<int64_t> out(target.size() + 1, 0);
  std::map<int64_t, int> in_suffix;  // source -> copies at or after `from`
  int64_t mirrored = 0, distinct_wanted = 0;
  for (size_t from = target.size(); from-- > 0;) {
    if (target[from]) {
      ++mirrored;
      if (*target[from] >= c && in_suffix[*target[from]]++ == 0) ++distinct_wanted;
    }
    out[from] = mirrored - distinct_wanted;  // each wanted record read once is no re-delivery
  }
  return out;
}

}  // namespace

TEST_CASE("translate: re-copied records, against a brute-force search for the least re-delivery") {
  int64_t saved_over_first_copy = 0;
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    const auto h = random_recopy_history(rng);
    if (h.rows.empty()) continue;
    std::map<int64_t, std::vector<int64_t>> copies;  // source -> target offsets of its copies
    for (size_t t = 0; t < h.target.size(); ++t) {
      if (h.target[t]) copies[*h.target[t]].push_back(static_cast<int64_t>(t));
    }
    const int64_t first = copies.begin()->first, last = copies.rbegin()->first;
    int64_t lowest_copy = INT64_MAX, highest_copy = 0;
    for (const auto& [src, ts] : copies) {
      lowest_copy = std::min(lowest_copy, ts.front());
      highest_copy = std::max(highest_copy, ts.back());
    }
    for (int64_t c = std::max<int64_t>(0, first - 3); c <= last + 4; ++c) {
      CAPTURE(c);
      const auto tr = translate_offset(h.rows, SourceOffset(c));
      if (c < first) {
        CHECK(tr.precision == Precision::before_mapping);
        CHECK(tr.target.value() == lowest_copy);
        continue;
      }
      if (c > last) {
        CHECK(tr.precision == (c == last + 1 ? Precision::exact : Precision::beyond_mirrored));
        CHECK(tr.unmirrored == c - (last + 1));
        CHECK(tr.target.value() == highest_copy + 1);  // after every copy: nothing left to read
        continue;
      }
      REQUIRE(tr.precision == Precision::exact);
      const int64_t t = tr.target.value();
      // Never skips: every mapped record >= c has a copy at or after t.
      for (auto it = copies.lower_bound(c); it != copies.end(); ++it) {
        if (it->second.back() < t) FAIL("translate(" << c << ")=" << t << " skips source " << it->first);
      }
      // Brute force over every position of the target log: the least re-delivery among those
      // that skip nothing.
      const auto again = redeliveries(h.target, c);
      int64_t latest_safe = INT64_MAX;  // a position after the last copy of some record >= c skips it
      for (auto it = copies.lower_bound(c); it != copies.end(); ++it) latest_safe = std::min(latest_safe, it->second.back());
      int64_t best = INT64_MAX;
      for (int64_t from = 0; from <= latest_safe; ++from) best = std::min(best, again[static_cast<size_t>(from)]);
      const int64_t ours = again[static_cast<size_t>(t)];
      CHECK(ours == best);
      // The first copy of the first record >= c: what translation answered before re-copies counted.
      saved_over_first_copy += again[static_cast<size_t>(copies.lower_bound(c)->second.front())] - ours;
    }
  }
  CHECK(saved_over_first_copy > 0);
}

TEST_CASE("translate: a re-copy after an outage resumes after the last copy, not the first") {
  // Records 0..99 copied to 0..99; the commit failed (source outage) at 40, so after the restart
  // 40..149 were copied again to 100..209.
  std::vector<OffsetSegment> rows{{SourceOffset(0), TargetOffset(0), 100, 0, 99},
                                  {SourceOffset(40), TargetOffset(100), 110, 40, 149}};
  // A group that had read up to 90 resumes at the second copy of 90, not at the first one
  // (which would re-deliver 90..99 and then 40..99 once more: 70 records).
  auto tr = translate_offset(rows, SourceOffset(90));
  CHECK(tr.precision == Precision::exact);
  CHECK(tr.target.value() == 150);
  // A group at 30 must read 30..39, whose only copy is the first: it starts there.
  CHECK(translate_offset(rows, SourceOffset(30)).target.value() == 30);
  CHECK(translate_offset(rows, SourceOffset(150)).target.value() == 210);
  CHECK(translate_offset(rows, SourceOffset(160)).precision == Precision::beyond_mirrored);
  // Time from the mapping (row granularity): the first row with a record at or after the time,
  // translated from its start. Time 120 is in the second copy only: its start, not the first copy
  // of 40 (which the first row holds at 40).
  CHECK(dr::translate::offset_for_time_from_mapping(rows, 30) == TargetOffset(0));
  CHECK(dr::translate::offset_for_time_from_mapping(rows, 120) == TargetOffset(100));
}

TEST_CASE("translate: randomized mappings against a brute-force oracle") {
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    CAPTURE(seed);
    std::mt19937_64 rng(seed);
    auto rows = random_rows(rng);
    std::map<int64_t, int64_t> mapped;  // source -> target, every mapped record
    for (const auto& r : rows) {
      for (int64_t i = 0; i < r.length; ++i) mapped[r.source_start.value() + i] = r.target_start.value() + i;
    }
    const int64_t first = mapped.begin()->first, last = mapped.rbegin()->first;
    for (int64_t c = std::max<int64_t>(0, first - 3); c <= last + 5; ++c) {
      auto tr = translate_offset(rows, SourceOffset(c));
      if (c < first) {
        CHECK(tr.precision == Precision::before_mapping);
        CHECK(tr.target.value() == mapped.begin()->second);
        continue;
      }
      auto next = mapped.lower_bound(c);
      if (next == mapped.end()) {
        // Nothing at or after c was mirrored: resume after the last mirrored record, report the loss.
        CHECK(tr.target.value() == mapped.rbegin()->second + 1);
        CHECK(tr.unmirrored == c - (last + 1));
        CHECK(tr.precision == (c == last + 1 ? Precision::exact : Precision::beyond_mirrored));
        continue;
      }
      CHECK(tr.precision == Precision::exact);
      CHECK(tr.target.value() == next->second);  // exactly the first mirrored record at or after c
      // Never skips: every mirrored record at or after c is at or after the translated position.
      for (auto it = next; it != mapped.end(); ++it) {
        if (it->second < tr.target.value()) FAIL("translate(" << c << ") skips source " << it->first);
      }
      // Adds no duplicate: every mirrored record before c is before the translated position.
      for (auto it = mapped.begin(); it != next; ++it) {
        if (it->second >= tr.target.value()) FAIL("translate(" << c << ") re-delivers source " << it->first);
      }
    }
  }
}

TEST_CASE("translate: edges") {
  CHECK(translate_offset({}, SourceOffset(5)).precision == Precision::no_mapping);
  std::vector<OffsetSegment> rows{{SourceOffset(100), TargetOffset(40), 10, 0, 0}};
  auto before = translate_offset(rows, SourceOffset(10), TargetOffset(35));
  CHECK(before.precision == Precision::before_mapping);
  CHECK(before.target.value() == 35);  // the earliest target offset still held
  auto beyond = translate_offset(rows, SourceOffset(130));
  CHECK(beyond.precision == Precision::beyond_mirrored);
  CHECK(beyond.target.value() == 50);
  CHECK(beyond.unmirrored == 20);
}

TEST_CASE("translate: time from the mapping when the target cannot be asked") {
  std::vector<OffsetSegment> rows{{SourceOffset(0), TargetOffset(0), 10, 1000, 1900},
                                  {SourceOffset(10), TargetOffset(12), 10, 2000, 2900}};
  CHECK(dr::translate::offset_for_time_from_mapping(rows, 500) == TargetOffset(0));
  CHECK(dr::translate::offset_for_time_from_mapping(rows, 1950) == TargetOffset(12));
  CHECK_FALSE(dr::translate::offset_for_time_from_mapping(rows, 5000).has_value());
}

TEST_CASE("time input: ISO-8601 with a zone, epoch ms, relative") {
  using dr::translate::parse_time;
  const int64_t now = 1'795'252'500'000;  // 2026-11-21T09:15:00Z
  CHECK(parse_time("2026-11-21T04:03:00Z", now) == 1'795'233'780'000);
  CHECK(parse_time("2026-11-21T12:03:00+08:00", now) == 1'795'233'780'000);
  CHECK(parse_time("2026-11-20T23:03:00-05:00", now) == 1'795'233'780'000);
  CHECK(parse_time("2026-11-21T04:03:00.25Z", now) == 1'795'233'780'250);
  CHECK(parse_time("2026-11-21 04:03:00Z", now) == 1'795'233'780'000);
  CHECK(parse_time("1795233780000", now) == 1'795'233'780'000);
  CHECK(parse_time("-5m", now) == now - 300'000);
  CHECK(parse_time("-90s", now) == now - 90'000);
  CHECK(parse_time("-2h", now) == now - 7'200'000);
  CHECK(parse_time("-1d", now) == now - 86'400'000);
  CHECK(dr::translate::format_time(1'795'233'780'250) == "2026-11-21T04:03:00.250Z");
  CHECK(dr::translate::format_time(0) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("time input: ambiguous, malformed and future times are bad input naming the flag") {
  using dr::translate::parse_time;
  const int64_t now = 1'795'252'500'000;
  for (const char* bad : {"2026-11-21T04:03:00", "2026-11-21", "yesterday", "-5x", "-m", "2026-13-01T00:00:00Z",
                          "2026-11-21T04:03:00+0800", "12345", "2026-11-21T04:03:00.Z", ""}) {
    CAPTURE(bad);
    try {
      parse_time(bad, now, "--at");
      FAIL("expected an error");
    } catch (const dr::Error& e) {
      CHECK(e.kind() == dr::ErrorKind::bad_input);
      CHECK(e.context().flag == "--at");
    }
  }
  try {
    parse_time("2026-11-21T04:03:00", now, "--at");
  } catch (const dr::Error& e) {
    CHECK(std::string(e.what()).find("without a zone") != std::string::npos);
  }
  try {
    parse_time("-5m", now - 1, "--at");
    parse_time("2030-01-01T00:00:00Z", now, "--at");
    FAIL("expected an error");
  } catch (const dr::Error& e) {
    CHECK(std::string(e.what()).find("in the future") != std::string::npos);
  }
}

namespace {

// The message of the bad_input error parse_time throws for `text` (fails the test if it accepts it).
std::string time_error(const char* text) {
  const int64_t now = 1'795'252'500'000;  // 2026-11-21T09:15:00Z
  try {
    const int64_t got = dr::translate::parse_time(text, now, "--at");
    FAIL("accepted '" << std::string(text) << "' as " << dr::translate::format_time(got));
  } catch (const dr::Error& e) {
    CHECK(e.kind() == dr::ErrorKind::bad_input);
    CHECK(e.context().flag == "--at");
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("time input: epoch seconds, micro- and nanoseconds are refused, saying what was probably meant") {
  CHECK(time_error("1763791200").find("1763791200 looks like epoch seconds; epoch milliseconds would be 1763791200000") !=
        std::string::npos);
  CHECK(time_error("1763791200000000").find("looks like epoch microseconds; epoch milliseconds would be 1763791200000") !=
        std::string::npos);
  CHECK(time_error("1763791200000000000").find("looks like epoch nanoseconds; epoch milliseconds would be 1763791200000") !=
        std::string::npos);
  CHECK(time_error("17637912000").find("epoch milliseconds have 13 digits") != std::string::npos);  // 1970-07
  CHECK(time_error("99999999999999999999999").find("too many digits") != std::string::npos);
  CHECK(dr::translate::parse_time("1763791200000", 1'795'252'500'000) == 1'763'791'200'000);
}

TEST_CASE("time input: dates that do not exist and zones that do not exist are refused") {
  CHECK(time_error("2025-02-31T00:00:00Z").find("February 2025 has 28 days: no day 31") != std::string::npos);
  CHECK(time_error("2025-02-29T00:00:00Z").find("February 2025 has 28 days") != std::string::npos);
  CHECK(dr::translate::parse_time("2024-02-29T00:00:00Z", 1'795'252'500'000) == 1'709'164'800'000);  // leap year
  CHECK(time_error("2025-04-31T10:00:00Z").find("April 2025 has 30 days") != std::string::npos);
  CHECK(time_error("2025-00-10T10:00:00Z").find("month 00 does not exist") != std::string::npos);
  CHECK(time_error("2025-11-10T24:00:00Z").find("24:00 is 00:00 of the next day") != std::string::npos);
  CHECK(time_error("2025-11-10T10:60:00Z").find("minute 60 does not exist") != std::string::npos);
  CHECK(time_error("2025-11-10T10:00:60Z").find("second 60 does not exist") != std::string::npos);
  CHECK(time_error("2025-11-10T10:00:00+25:00").find("zone +25:00 does not exist (zones run from -12:00 to +14:00)") !=
        std::string::npos);
  CHECK(time_error("2025-11-10T10:00:00-13:00").find("zone -13:00 does not exist") != std::string::npos);
  CHECK(time_error("2025-11-10T10:00:00+05:75").find("minute 75 does not exist") != std::string::npos);
  CHECK(time_error("2025-11-10T10:00:00+0800").find("write the zone with a colon: +08:00") != std::string::npos);
  CHECK(time_error("2025-11-10").find("for midnight UTC: 2025-11-10T00:00:00Z") != std::string::npos);
  CHECK(time_error("1969-12-31T23:59:59Z").find("before 2001-09-09") != std::string::npos);
  CHECK(dr::translate::parse_time("2025-11-10T10:00:00+14:00", 1'795'252'500'000) == 1'762'718'400'000);
  CHECK(dr::translate::parse_time("2025-11-10T10:00:00-12:00", 1'795'252'500'000) == 1'762'812'000'000);
}

TEST_CASE("time input: relative times never wrap") {
  CHECK(time_error("-99999999999999999999d").find("this far back") != std::string::npos);
  CHECK(time_error("-999999999d").find("before 2001-09-09") != std::string::npos);
  CHECK(time_error("-").find("not a relative time") != std::string::npos);
}

TEST_CASE("duration input: a whole number with a unit, strictly") {
  using dr::translate::parse_duration_ms;
  CHECK(parse_duration_ms("500ms", "--quiet-period") == 500);
  CHECK(parse_duration_ms("30s", "--quiet-period") == 30000);
  CHECK(parse_duration_ms("2m", "--quiet-period") == 120000);
  CHECK(parse_duration_ms("1h", "--quiet-period") == 3600000);
  CHECK(parse_duration_ms("0s", "--quiet-period") == 0);
  for (const char* bad : {"", "30", "s", "-5s", "+5s", "5 s", "5sec", "1.5s", "5S", "9999999999999s", "2d"}) {
    CAPTURE(bad);
    try {
      parse_duration_ms(bad, "--quiet-period");
      FAIL("accepted");
    } catch (const dr::Error& e) {
      CHECK(e.kind() == dr::ErrorKind::bad_input);
      CHECK(std::string(e.what()).find("--quiet-period") != std::string::npos);
    }
  }
  CHECK_THROWS_AS(parse_duration_ms("8d", "--x"), dr::Error);
  CHECK_THROWS_AS(parse_duration_ms("200h", "--x"), dr::Error);
  CHECK(parse_duration_ms("10m", "--x", 600000) == 600000);
  CHECK_THROWS_AS(parse_duration_ms("11m", "--x", 600000), dr::Error);
}
