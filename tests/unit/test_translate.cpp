// Offset translation against a brute-force oracle, and the time formats operators type.
#include <doctest/doctest.h>

#include <map>
#include <random>

#include "dr/error.hpp"
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

}  // namespace

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
