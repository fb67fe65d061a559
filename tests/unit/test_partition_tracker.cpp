// PartitionTracker: what a persist takes, what stays pending until the store confirms it, and the
// commit decision (issue 9, item 1: a failed persist must never let an offset commit through).
#include <doctest/doctest.h>

#include "mirror/partition_tracker.hpp"

using dr::mirror::InFlight;
using dr::mirror::PartitionTracker;
using dr::mirror::PendingMapping;
using dr::mirror::SegmentBuilder;
using dr::mirror::TrackerShared;

namespace {

void mirror_records(PartitionTracker& t, int64_t first, int64_t count, int64_t target_first) {
  for (int64_t i = 0; i < count; ++i) {
    t.settle(t.push(first + i, 1000 + first + i), InFlight::State::acked, target_first + i, RD_KAFKA_RESP_ERR_NO_ERROR);
  }
}

int64_t mapped_end(const PendingMapping& p) {
  return p.update.segments.empty() ? -1 : p.update.segments.back().source_end().value();
}

}  // namespace

TEST_CASE("tracker: a persist that fails loses no mapping and lets no commit point pass the durable end") {
  TrackerShared shared;
  PartitionTracker t(shared, "orders", 0, "orders", nullptr);
  mirror_records(t, 0, 100, 500);
  PendingMapping first = t.take(100);
  REQUIRE(first.update.segments.size() == 1);
  CHECK(first.commit_at == 100);
  CHECK(t.commit_point() == -1);  // taken is not durable

  // The persist of `first` failed (disk full): it is never confirmed. The mapping is still there.
  PendingMapping again = t.take(100);
  REQUIRE(again.update.segments.size() == 1);
  CHECK(again.update.segments[0] == first.update.segments[0]);
  CHECK(t.commit_point() == -1);

  // Records keep landing; a later persist succeeds and covers all of them.
  mirror_records(t, 100, 20, 600);
  PendingMapping later = t.take(120);
  REQUIRE(later.update.segments.size() == 1);
  CHECK(later.update.segments[0].length == 120);
  t.confirm(later);
  CHECK(t.commit_point() == 120);
  CHECK(t.take(120).empty());
}

TEST_CASE("tracker: records settled between take and confirm stay pending, the commit point stops at what was taken") {
  TrackerShared shared;
  PartitionTracker t(shared, "orders", 1, "orders", nullptr);
  mirror_records(t, 0, 10, 0);
  PendingMapping taken = t.take(10);
  mirror_records(t, 10, 5, 10);   // extends the open run
  mirror_records(t, 20, 5, 100);  // a gap on both sides: a new run
  t.confirm(taken);
  CHECK(t.commit_point() == 10);
  PendingMapping rest = t.take(25);
  REQUIRE(rest.update.segments.size() == 2);
  CHECK(rest.update.segments[0].source_start.value() == 0);  // the grown run is persisted again (its row extends)
  CHECK(rest.update.segments[0].length == 15);
  CHECK(rest.update.segments[1].source_start.value() == 20);
  CHECK(mapped_end(rest) == 25);
  CHECK(t.commit_point() == 10);
  t.confirm(rest);
  CHECK(t.commit_point() == 25);
  CHECK(t.take(25).empty());
}

TEST_CASE("tracker: skipped records and the consumer position follow the same rule") {
  TrackerShared shared;
  shared.abort_on_send_failure = false;
  PartitionTracker t(shared, "orders", 2, "orders", nullptr);
  mirror_records(t, 0, 3, 0);
  t.settle(t.push(3, 0), InFlight::State::failed, -1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  InFlight* pending = t.push(4, 0);
  PendingMapping busy = t.take(5);
  CHECK(busy.update.skipped.size() == 1);
  CHECK(busy.commit_at == 4);  // offset 4 is in flight: the position does not count
  CHECK(t.take(5).update.skipped.size() == 1);  // still pending: nothing confirmed
  t.confirm(busy);
  CHECK(t.commit_point() == 4);
  CHECK(t.take(5).update.skipped.empty());
  t.settle(pending, InFlight::State::acked, 3, RD_KAFKA_RESP_ERR_NO_ERROR);
  // Nothing in flight: offsets up to the position (a transaction marker at 5) can be committed,
  // once the mapping below is durable.
  PendingMapping idle = t.take(7);
  CHECK(idle.commit_at == 7);
  CHECK(t.commit_point() == 4);
  t.confirm(idle);
  CHECK(t.commit_point() == 7);
}

TEST_CASE("segment builder: pending segments stay dirty until confirmed") {
  SegmentBuilder b;
  for (int64_t i = 0; i < 5; ++i) b.append(dr::SourceOffset(i), dr::TargetOffset(i), 0);
  b.append(dr::SourceOffset(10), dr::TargetOffset(20), 0);
  auto p = b.pending();
  REQUIRE(p.segments.size() == 2);
  CHECK(p.closed == 1);
  CHECK(b.pending().segments.size() == 2);  // pending() takes nothing away
  b.append(dr::SourceOffset(11), dr::TargetOffset(21), 0);
  b.confirm(p);
  auto rest = b.pending();
  REQUIRE(rest.segments.size() == 1);  // the closed run is clean, the open one grew
  CHECK(rest.segments[0].length == 2);
  b.confirm(rest);
  CHECK(b.pending().segments.empty());
  CHECK(b.take_dirty().empty());
}
