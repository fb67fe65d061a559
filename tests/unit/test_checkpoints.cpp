// Group checkpoints in the state file: rows only when an offset moves, bounded history.
#include <doctest/doctest.h>

#include "dr/store/checkpoints.hpp"
#include "dr/store/links.hpp"
#include "dr/store/state_store.hpp"

using dr::SourceOffset;
using dr::store::CommittedOffset;

namespace {
dr::store::Link make_link(dr::store::StateStore& store) {
  dr::store::record_cluster(store, "src-id", "src", "s:9092");
  dr::store::record_cluster(store, "tgt-id", "tgt", "t:9092");
  return dr::store::ensure_link(store, "src-id", "tgt-id", "{topic}");
}
}  // namespace

TEST_CASE("checkpoints: a row only when an offset moves, the read time says how fresh it is") {
  auto store = dr::store::StateStore::open(":memory:");
  const auto link = make_link(store);
  const std::vector<CommittedOffset> a{{"orders", 0, SourceOffset(10)}, {"orders", 1, SourceOffset(20)}};
  dr::store::record_checkpoints(store, link.id, "billing", 1000, a);
  dr::store::record_checkpoints(store, link.id, "billing", 2000, a);  // unchanged: no new rows
  CHECK(dr::store::count_checkpoint_rows(store, link.id) == 2);
  const std::vector<CommittedOffset> b{{"orders", 0, SourceOffset(15)}, {"orders", 1, SourceOffset(20)}};
  dr::store::record_checkpoints(store, link.id, "billing", 3000, b);
  CHECK(dr::store::count_checkpoint_rows(store, link.id) == 3);
  auto latest = dr::store::latest_checkpoints(store, link.id);
  REQUIRE(latest.size() == 2);
  CHECK(latest[0].offset == SourceOffset(15));
  CHECK(latest[0].checkpoint_ms == 3000);
  CHECK(latest[0].read_ms == 3000);
  CHECK(latest[1].offset == SourceOffset(20));
  CHECK(latest[1].checkpoint_ms == 1000);  // first seen at 1000, still there at 3000
  CHECK(latest[1].read_ms == 3000);
  auto before = dr::store::latest_checkpoints(store, link.id, 2500);
  REQUIRE(before.size() == 2);
  CHECK(before[0].offset == SourceOffset(10));
  CHECK(before[0].read_ms == 2500);
}

TEST_CASE("checkpoints: history older than the retention goes, the newest row of each partition stays") {
  auto store = dr::store::StateStore::open(":memory:");
  const auto link = make_link(store);
  const int64_t keep = 10'000;
  for (int64_t t = 0; t < 50; ++t) {
    // partition 0 moves every read, partition 1 only once at the start
    std::vector<CommittedOffset> offsets{{"orders", 0, SourceOffset(t)}, {"orders", 1, SourceOffset(7)}};
    dr::store::record_checkpoints(store, link.id, "billing", t * 1000, offsets, keep);
  }
  // partition 0: rows within the last 10 s (t = 39..49), partition 1: its single row from t = 0.
  CHECK(dr::store::count_checkpoint_rows(store, link.id) == 11 + 1);
  auto latest = dr::store::latest_checkpoints(store, link.id);
  REQUIRE(latest.size() == 2);
  CHECK(latest[0].offset == SourceOffset(49));
  CHECK(latest[1].offset == SourceOffset(7));
  CHECK(latest[1].checkpoint_ms == 0);
}
