// dr-resync's records in the state file: plan and progress, the lease, the reverse link.
#include <doctest/doctest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "dr/clock.hpp"
#include "dr/error.hpp"
#include "dr/store/audit.hpp"
#include "dr/store/checkpoints.hpp"
#include "dr/store/links.hpp"
#include "dr/store/mirror_state.hpp"
#include "dr/store/resync_state.hpp"
#include "dr/store/state_store.hpp"
#include "store/state_store_impl.hpp"

using dr::SourceOffset;
using dr::TargetOffset;
using namespace dr::store;

namespace {

Link forward_link(StateStore& store) {
  record_cluster(store, "old-id", "primary", "p:9092");
  record_cluster(store, "new-id", "standby", "s:9092");
  Link f = ensure_link(store, "old-id", "new-id", "{topic}");
  fence_link(store, f.id, "test failover");
  return *find_link_by_id(store, f.id);
}

int64_t resync_row(StateStore& store, int64_t link_id) {
  AuditRecord r;
  r.link_id = link_id;
  r.kind = "resync";
  r.os_user = "op";
  r.host = "h";
  r.arguments = "{}";
  r.plan = "{}";
  return begin_audit(store, r);
}

void set_lease_holder(StateStore& store, int64_t link_id, const std::string& host, int64_t pid, int64_t heartbeat_ms) {
  Statement st(store.impl().db,
               "INSERT INTO resync_leases (link_id, resync_id, host, pid, heartbeat_ms) VALUES (?1, 1, ?2, ?3, ?4) "
               "ON CONFLICT (link_id) DO UPDATE SET host = ?2, pid = ?3, heartbeat_ms = ?4");
  st.bind(1, link_id).bind(2, host).bind(3, pid).bind(4, heartbeat_ms).run();
}

std::string hostname() {
  char h[256] = {};
  ::gethostname(h, sizeof h - 1);
  return h;
}

}  // namespace

TEST_CASE("resync state: the plan and each partition's step survive a reopen, and an unfinished run is found") {
  auto store = StateStore::open(":memory:");
  const Link f = forward_link(store);
  CHECK_FALSE(unfinished_resync(store, f.id));
  const int64_t id = resync_row(store, f.id);
  const std::vector<ResyncPartition> plan = {{"orders", "orders", 0, "keep", ResyncStep::planned, 100, 100, 98, 0},
                                             {"orders", "orders", 1, "wipe", ResyncStep::planned, 120, 110, 110, 10}};
  record_resync_plan(store, id, plan);
  CHECK(load_resync_plan(store, id) == plan);
  set_resync_step(store, id, "orders", 1, ResyncStep::saved);
  auto loaded = load_resync_plan(store, id);
  CHECK(loaded[0].step == ResyncStep::planned);
  CHECK(loaded[1].step == ResyncStep::saved);
  auto open = unfinished_resync(store, f.id);
  REQUIRE(open);
  CHECK(open->id == id);
  CHECK(list_resyncs(store, f.id).size() == 1);
  finish_audit(store, id, "{}", "done");
  CHECK_FALSE(unfinished_resync(store, f.id));
  CHECK(list_failovers(store, f.id).empty());  // a resync is not a failover
}

TEST_CASE("resync lease: refused while a live run holds it, taken over from a dead one") {
  auto store = StateStore::open(":memory:");
  const Link f = forward_link(store);
  const int64_t hour = 3600 * 1000;
  take_resync_lease(store, f.id, 1, hour);
  take_resync_lease(store, f.id, 1, hour);  // this process again: fine

  // A live process on this host (our parent) holds it.
  set_lease_holder(store, f.id, hostname(), ::getppid(), 0);
  try {
    take_resync_lease(store, f.id, 2, hour);
    FAIL("a live holder's lease was taken");
  } catch (const dr::Error& e) {
    CHECK(e.kind() == dr::ErrorKind::refused);
    CHECK(std::string(e.what()).find("pid " + std::to_string(::getppid())) != std::string::npos);
  }
  // A process on another host that spoke a moment ago.
  set_lease_holder(store, f.id, "elsewhere", 4242, dr::now_ms() - 1000);
  CHECK_THROWS_AS(take_resync_lease(store, f.id, 2, hour), dr::Error);
  // ... and one that went silent long ago.
  set_lease_holder(store, f.id, "elsewhere", 4242, dr::now_ms() - 2 * hour);
  CHECK_NOTHROW(take_resync_lease(store, f.id, 2, hour));
  // A dead pid on this host (pid numbers this large are not in use).
  set_lease_holder(store, f.id, hostname(), 999999999, dr::now_ms());
  CHECK_NOTHROW(take_resync_lease(store, f.id, 2, hour));
  release_resync_lease(store, f.id);
  Statement left(store.impl().db, "SELECT count(*) FROM resync_leases");
  left.step();
  CHECK(left.column_int(0) == 0);
}

TEST_CASE("reverse link: created with its seed, the forward link retired, a rerun changes nothing") {
  auto store = StateStore::open(":memory:");
  const Link f = forward_link(store);
  const std::vector<TopicMapping> topics = {{"orders", "orders", 2}};
  const std::vector<PartitionMappingUpdate> seed = {
      {"orders", 0, {{SourceOffset(0), TargetOffset(0), 10, 1, 2}, {SourceOffset(10), TargetOffset(5), 5, 3, 4}}, {}}};
  const Link r = establish_reverse_link(store, f, topics, seed, "resync #1");
  CHECK(r.name == "standby->primary");
  CHECK(r.source_cluster_id == "new-id");
  CHECK(r.target_cluster_id == "old-id");
  CHECK(r.state == LinkState::active);
  CHECK(r.epoch == 1);
  CHECK(find_link_by_id(store, f.id)->state == LinkState::retired);
  // Seed rows are kept as given, also where two of them point at the same old-primary offsets.
  CHECK(load_segments(store, r.id, "orders", 0) == seed[0].segments);
  CHECK(list_topics(store, r.id).size() == 1);

  const Link again = establish_reverse_link(store, f, topics, {}, "resync #1 rerun");
  CHECK(again.id == r.id);
  CHECK(again.epoch == 1);
  CHECK(load_segments(store, r.id, "orders", 0) == seed[0].segments);
}

TEST_CASE("reverse link: one left by an earlier failback cycle starts a new epoch with nothing of its old mapping") {
  auto store = StateStore::open(":memory:");
  const Link f = forward_link(store);
  // An earlier cycle: standby->primary existed, mirrored, was failed over (home again).
  Link old_r = ensure_link(store, "new-id", "old-id", "{topic}");
  persist_mapping(store, old_r.id,
                  std::vector<PartitionMappingUpdate>{{"orders", 0, {{SourceOffset(0), TargetOffset(500), 50, 1, 2}}, {}}});
  record_topic(store, old_r.id, {"orders", "orders", 1});
  const std::vector<CommittedOffset> offsets = {{"orders", 0, SourceOffset(7)}};
  record_checkpoints(store, old_r.id, "billing", dr::now_ms(), offsets);
  fence_link(store, old_r.id, "switchover home");

  const std::vector<PartitionMappingUpdate> seed = {{"orders", 0, {{SourceOffset(3), TargetOffset(9), 4, 1, 2}}, {}}};
  const std::vector<TopicMapping> topics = {{"orders", "orders", 1}};
  const Link r = establish_reverse_link(store, f, topics, seed, "resync #2");
  CHECK(r.id == old_r.id);
  CHECK(r.state == LinkState::active);
  CHECK(r.epoch == 3);  // 1, fenced to 2, reset to 3
  CHECK(load_segments(store, r.id, "orders", 0) == seed[0].segments);
  CHECK(count_checkpoint_rows(store, r.id) == 0);
}
