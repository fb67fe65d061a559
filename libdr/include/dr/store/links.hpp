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
std::optional<Link> find_link(StateStore& store, const std::string& name);

}  // namespace dr::store
