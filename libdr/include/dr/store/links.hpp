// Links (mirroring directions) and the clusters they join, as recorded in the state file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dr/store/state_store.hpp"

namespace dr::store {

enum class LinkState { active, failed_over, retired };
const char* to_string(LinkState s) noexcept;

struct Link {
  int64_t id = 0;
  std::string name;               // "<source alias>-><target alias>"
  std::string source_cluster_id;
  std::string source_alias;
  std::string target_cluster_id;
  std::string target_alias;
  std::string rename_template;
  int64_t epoch = 1;
  LinkState state = LinkState::active;
  std::string state_reason;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

std::vector<Link> list_links(StateStore& store);

// Records a cluster seen by a tool. The alias must not already name another cluster id (that
// means a config points at the wrong cluster): dr::Error(refused) naming both ids.
void record_cluster(StateStore& store, const std::string& cluster_id, const std::string& alias,
                    const std::string& bootstrap_servers);

struct ClusterSighting {
  std::string cluster_id;
  std::string alias;
  std::string bootstrap_servers;
};

// What dr-mirror records when it starts, all or nothing: both clusters and the link between them
// (created active at epoch 1 if new). Every check comes before any write, in the same transaction:
// an alias that already names another cluster id, or a link that is not active (fenced by a
// failover, retired), is dr::Error(refused) and leaves the state file exactly as it was.
Link record_mirror_link(StateStore& store, const ClusterSighting& source, const ClusterSighting& target,
                        const std::string& rename_template);

// Returns the link source->target, creating it (state active, epoch 1) if missing. An existing
// link's name must match; dr::Error(refused) otherwise.
Link ensure_link(StateStore& store, const std::string& source_cluster_id, const std::string& target_cluster_id,
                 const std::string& rename_template);

std::optional<Link> find_link_by_id(StateStore& store, int64_t link_id);

// Every cluster the state file knows: id, alias and the bootstrap servers it was last reached at.
std::vector<ClusterSighting> list_clusters(StateStore& store);

}  // namespace dr::store
