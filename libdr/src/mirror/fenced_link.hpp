// The state file's verdict on a mirror's link, read before any cluster is contacted (private).
//
// A mirror of a fenced link must refuse at once, also when its primary is gone (which is exactly
// when a failover happened): waiting for cluster ids first would turn the refusal into an
// "unreachable" exit. The state file records each cluster's alias and bootstrap servers, so the
// link can be found from the configs alone.
#pragma once

#include <optional>
#include <string>

#include "dr/store/links.hpp"
#include "dr/store/state_store.hpp"

namespace dr::mirror {

struct LinkEnd {
  std::string bootstrap_servers;  // as in the config: "host:port[,host:port...]", optional "proto://"
  std::string alias;              // --source-alias / --target-alias; empty: match by bootstrap servers
};

// True when the two lists name a common broker (host:port, case-insensitive, protocol prefix and
// spaces ignored).
bool same_brokers(const std::string& a, const std::string& b);

// The link this mirror would run on, if the state file knows it and it is not active. A cluster
// matches by alias when one is given, else by a common broker. When several links match (a
// cluster rebuilt at the same address) and any of them is active, nothing is returned: the check
// after contacting the clusters decides by cluster id.
std::optional<store::Link> fenced_link_for(store::StateStore& store, const LinkEnd& source, const LinkEnd& target);

}  // namespace dr::mirror
