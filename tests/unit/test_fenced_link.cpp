// fenced_link_for: the state file's verdict on a mirror's link from the configs alone, before any
// cluster is contacted (issue 9, item 7).
#include <doctest/doctest.h>

#include "dr/store/audit.hpp"
#include "dr/store/links.hpp"
#include "dr/store/state_store.hpp"
#include "mirror/fenced_link.hpp"

using dr::mirror::fenced_link_for;
using dr::mirror::same_brokers;

TEST_CASE("same_brokers: one common host:port, whatever the order, case, spaces or protocol prefix") {
  CHECK(same_brokers("a:9092,b:9092", "b:9092"));
  CHECK(same_brokers(" A:9092 , b:9092", "SASL_SSL://a:9092"));
  CHECK_FALSE(same_brokers("a:9092", "a:9093"));
  CHECK_FALSE(same_brokers("", "a:9092"));
}

TEST_CASE("fenced_link_for: a fenced link is found by bootstrap servers or aliases, an active one is not") {
  auto store = dr::store::StateStore::open(":memory:");
  auto link = dr::store::record_mirror_link(store, {"ID-P", "primary", "p1:9092,p2:9092"}, {"ID-S", "standby", "s1:9092"},
                                            "{topic}");
  const dr::mirror::LinkEnd source{"p2:9092", ""}, target{"s1:9092", ""};
  CHECK_FALSE(fenced_link_for(store, source, target));  // active
  dr::store::fence_link(store, link.id, "failover at 04:03");
  auto fenced = fenced_link_for(store, source, target);
  REQUIRE(fenced);
  CHECK(fenced->name == "primary->standby");
  CHECK(fenced->state_reason == "failover at 04:03");
  CHECK(fenced_link_for(store, {"elsewhere:9092", "primary"}, {"s9:9092", "standby"}));  // by alias
  CHECK_FALSE(fenced_link_for(store, {"p1:9092", "other"}, target));                      // the alias decides
  CHECK_FALSE(fenced_link_for(store, {"x:9092", ""}, target));                            // unknown source
  CHECK_FALSE(fenced_link_for(store, target, source));                                    // the other direction

  SUBCASE("a cluster rebuilt at the same address with an active link: left to the cluster id check") {
    dr::store::record_mirror_link(store, {"ID-P2", "primary2", "p1:9092"}, {"ID-S", "standby", "s1:9092"}, "{topic}");
    CHECK_FALSE(fenced_link_for(store, {"p1:9092", ""}, target));  // matches both clusters, one link active
    CHECK(fenced_link_for(store, {"p2:9092", ""}, target));        // only the old cluster had p2
  }
}
