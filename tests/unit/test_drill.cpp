// dr-drill without a cluster: what a drill's observations mean (RPO, lost, duplicates against the
// plan, the verdict), and the history in the state file (migration 0004, trend, overdue warning).
#include <doctest/doctest.h>
#include <unistd.h>

#include <random>
#include <set>

#include <fmt/format.h>

#include "dr/drill/analysis.hpp"
#include "dr/drill/history.hpp"
#include "dr/store/drills.hpp"
#include "dr/store/state_store.hpp"
#include "dr/who.hpp"

using namespace dr::drill;

namespace {

constexpr int64_t kDisaster = 1'800'000'000'000;

// A drill of one partition: `produced` records (seq = primary offset, 10 ms apart, the last at the
// disaster); the mirror copied the first `mirrored` to standby offsets 100+; the group read `read`
// on the primary, its last checkpoint was at `checkpoint`; the standby consumer resumes at
// standby offset `chosen` and reads to the end.
CanaryObservations drill_of(int64_t produced, int64_t mirrored, int64_t read, int64_t checkpoint, int64_t chosen,
                            int64_t plan_duplicates = 0) {
  CanaryObservations s;
  s.partitions = 1;
  s.disaster_ms = kDisaster;
  for (int64_t seq = 0; seq < produced; ++seq) {
    s.primary.push_back({0, seq, seq, kDisaster - (produced - 1 - seq) * 10});
    if (seq < mirrored) s.standby.push_back({0, 100 + seq, seq, kDisaster - (produced - 1 - seq) * 10});
    if (seq < read) s.read_primary.push_back({0, seq, seq, kDisaster - 1000 + seq});
  }
  for (int64_t off = chosen; off < 100 + mirrored; ++off) s.read_standby.push_back({0, off, off - 100, kDisaster + 500 + off});
  s.plan.push_back({0, checkpoint, chosen, "checkpoint", "exact", plan_duplicates});
  return s;
}

DrillReport analysed(const CanaryObservations& s, Objectives objectives = {}) {
  DrillReport r;
  r.objectives = objectives;
  r.steps.push_back({"plan", "failover plan ready", 1, 2, true, {}});
  r.rto_ms = 2000;
  analyse_canary(s, r);
  decide_verdict(r);
  return r;
}

}  // namespace

TEST_CASE("drill analysis: an exact failover passes, with RPO, and duplicates equal to the checkpoint's age") {
  // 100 produced, 90 mirrored (10 records = 100 ms behind), the group read 60 and the checkpoint says 50:
  // the standby consumer resumes at the copy of 50 and reads 50..89 again: 10 duplicates (50..59).
  const auto r = analysed(drill_of(100, 90, 60, 50, 150));
  CHECK(r.rpo_records == 10);
  CHECK(r.rpo_ms == 90);  // the oldest unreplicated record (seq 90) was sent 90 ms before the disaster
  CHECK(r.lost == 0);
  CHECK(r.duplicates == 10);
  CHECK(r.expected_duplicates == 10);
  REQUIRE(r.partition_results.size() == 1);
  CHECK(r.partition_results[0].checkpoint_age_duplicates == 10);
  CHECK(r.partition_results[0].consumed_standby == 40);
  CHECK(r.passed);
  CHECK(r.reasons.empty());
}

TEST_CASE("drill analysis: a translation that skips loses records, listed by partition and offset") {
  // Resuming at the copy of 55 instead of 50 would be fine (the group read up to 59); at 65 it skips 60..64.
  const auto r = analysed(drill_of(100, 90, 60, 50, 165));
  CHECK(r.lost == 5);
  REQUIRE(r.partition_results[0].lost.size() == 5);
  CHECK(r.partition_results[0].lost[0].standby_offset == 160);
  CHECK(r.partition_results[0].lost[0].seq == 60);
  CHECK_FALSE(r.passed);
  REQUIRE_FALSE(r.reasons.empty());
  CHECK(r.reasons[0].find("partition 0 offset 160 (seq 60)") != std::string::npos);
}

TEST_CASE("drill analysis: re-delivery the plan does not account for fails the drill") {
  // Resuming 20 records before the checkpoint's copy, with a plan that expected none.
  const auto r = analysed(drill_of(100, 90, 60, 50, 130));
  CHECK(r.lost == 0);
  CHECK(r.duplicates == 30);
  CHECK(r.expected_duplicates == 10);
  CHECK_FALSE(r.passed);
  // The same rewind, announced by the plan (the --at time came first), is explained.
  const auto ok = analysed(drill_of(100, 90, 60, 50, 130, 20));
  CHECK(ok.expected_duplicates == 30);
  CHECK(ok.passed);
}

TEST_CASE("drill analysis: objectives and failed steps decide the verdict") {
  auto r = analysed(drill_of(100, 90, 60, 50, 150), {.rpo_ms = 50, .rto_ms = 300000});
  CHECK_FALSE(r.passed);
  CHECK(r.reasons.at(0) == "RPO 90 ms exceeds the objective 50 ms (10 record(s) had not reached the standby)");
  r = analysed(drill_of(100, 90, 60, 50, 150), {.rpo_ms = 30000, .rto_ms = 1000});
  CHECK_FALSE(r.passed);
  CHECK(r.reasons.at(0).find("RTO 2.0 s exceeds the objective 1.0 s") == 0);
  DrillReport failed;
  failed.steps.push_back({"commit", "offsets committed", 1, 2, false, "group busy"});
  analyse_canary(drill_of(10, 10, 5, 5, 105), failed);
  decide_verdict(failed);
  CHECK_FALSE(failed.passed);
  CHECK(failed.reasons.at(0) == "step 'offsets committed' failed: group busy");
}

TEST_CASE("drill analysis: randomized exact failovers never lose and always match the plan") {
  std::mt19937 rng(11);
  for (int i = 0; i < 500; ++i) {
    const int64_t produced = 1 + rng() % 200;
    const int64_t mirrored = rng() % (produced + 1);
    const int64_t read = rng() % (produced + 1);
    const int64_t checkpoint = read == 0 ? 0 : rng() % (read + 1);
    // The exact translation of the checkpoint: the copy of the first mirrored record at or after it.
    const int64_t chosen = 100 + std::min(checkpoint, mirrored);
    const auto r = analysed(drill_of(produced, mirrored, read, checkpoint, chosen));
    CAPTURE(produced);
    CAPTURE(mirrored);
    CAPTURE(read);
    CAPTURE(checkpoint);
    CHECK(r.lost == 0);
    CHECK(r.duplicates == r.expected_duplicates);
    CHECK(r.duplicates == std::max<int64_t>(0, std::min(read, mirrored) - std::min(checkpoint, mirrored)));
    CHECK(r.rpo_records == produced - mirrored);
  }
}

TEST_CASE("drill history: rows from start to finish, killed drills, the trend and the overdue warning") {
  auto store = dr::store::StateStore::open(":memory:");
  CHECK(store.schema_version() >= 4);
  const int64_t day = 24 * 3600 * 1000;
  const int64_t now = kDisaster;
  auto add = [&](int64_t started, const char* verdict, int64_t rto, int64_t pid) {
    dr::store::DrillRow row;
    row.started_ms = started;
    row.scope = "canary";
    row.scenario = "test";
    row.host = dr::host_name();
    row.pid = pid;
    row.canary_topic = "kafka-dr.drill.canary";
    row.id = dr::store::begin_drill(store, row);
    if (std::string(verdict) == "running") return row.id;
    row.finished_ms = started + 60000;
    row.verdict = verdict;
    row.rpo_ms = 100;
    row.rto_ms = rto;
    row.lost = 0;
    row.duplicated = 3;
    row.reasons = std::string(verdict) == "failed" ? "RTO 9.0 s exceeds the objective 5.0 s\n" : "";
    row.report_json = "{}";
    dr::store::finish_drill(store, row);
    return row.id;
  };
  auto status = drill_status(store, 92, now);
  CHECK(status.overdue);
  CHECK(status.warning.find("no drill has passed yet") == 0);

  add(now - 200 * day, "passed", 4000, 1);
  add(now - 100 * day, "passed", 5000, 1);
  status = drill_status(store, 92, now);
  CHECK(status.overdue);
  CHECK(status.warning.find("100 days old, more than 92") != std::string::npos);
  CHECK_FALSE(drill_status(store, 120, now).overdue);

  add(now - 10 * day, "failed", 9000, 1);
  const int64_t killed = add(now - day, "running", 0, 999999999);  // no such process: it was killed
  const int64_t running = add(now - 1000, "running", 0, getpid());
  status = drill_status(store, 92, now);
  CHECK(status.overdue);  // a failed drill does not reset the clock
  CHECK(status.last->id == running);
  CHECK(status.last_passed->rto_ms == 5000);

  const auto h = drill_history(store, 0);
  REQUIRE(h.size() == 5);
  CHECK(h[0].row.verdict == "running");
  CHECK(h[1].row.id == killed);
  CHECK(h[1].row.verdict == "killed");
  CHECK(h[2].row.verdict == "failed");
  CHECK(h[2].rto_change_ms == 4000);
  CHECK(h[3].rto_change_ms == 1000);
  CHECK_FALSE(h[4].rto_change_ms.has_value());
  CHECK(trend_summary(h) == "trend: RTO 9.0 s (median of the 2 before: 5.0 s): worse; RPO 100 ms (median of the 2 before: 100 ms): steady");
  CHECK(drill_history(store, 2).size() == 2);

  // As dr-drill history and dr-status print it.
  const auto table = history_table(h, "state.db");
  CHECK(table.find("VERDICT") != std::string::npos);
  CHECK(table.find(" killed ") != std::string::npos);
  CHECK(table.find("+4.0 s") != std::string::npos);  // the failed drill's RTO change
  CHECK(table.find(": RTO 9.0 s exceeds the objective 5.0 s\n") != std::string::npos);
  CHECK(table.find("trend: RTO 9.0 s") != std::string::npos);
  CHECK(history_table({}, "state.db").find("no drill recorded in state.db yet") == 0);
  const auto json = history_json(h);
  CHECK(json.find("\"verdict\": \"killed\"") != std::string::npos);
  CHECK(json.find("\"rto_change_ms\": 4000") != std::string::npos);
  const auto text = drill_status_text(store, status);
  CHECK(text.find(fmt::format("last drill      #{} ", running)) == 0);
  CHECK(text.find("last passing    #") != std::string::npos);
  CHECK(text.find("WARNING         ") != std::string::npos);
  const auto status_json = drill_status_json(status, 92);
  CHECK(status_json.find("\"overdue\": true") != std::string::npos);
  CHECK(status_json.find("\"max_age_days\": 92") != std::string::npos);
}

TEST_CASE("drill analysis: durations read as a person would say them") {
  CHECK(format_duration(-1) == "-");
  CHECK(format_duration(0) == "0 ms");
  CHECK(format_duration(999) == "999 ms");
  CHECK(format_duration(1000) == "1.0 s");
  CHECK(format_duration(4249) == "4.2 s");
  CHECK(format_duration(119'900) == "119.9 s");
  CHECK(format_duration(120'000) == "2 min");
  CHECK(format_duration(300'000) == "5 min");
  CHECK(format_duration(150'000) == "2.5 min");
}
