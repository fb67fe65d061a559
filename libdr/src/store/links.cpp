#include "dr/store/links.hpp"

#include "dr/error.hpp"
#include "store/state_store_impl.hpp"

namespace dr::store {

namespace {

constexpr const char* kSelectLinks =
    "SELECT l.link_id, l.name, l.source_cluster_id, s.alias, l.target_cluster_id, t.alias, l.rename_template, "
    "l.epoch, l.state, l.state_reason, l.created_ms, l.updated_ms "
    "FROM links l JOIN clusters s ON s.cluster_id = l.source_cluster_id "
    "JOIN clusters t ON t.cluster_id = l.target_cluster_id ";

LinkState parse_state(const std::string& s) {
  if (s == "active") return LinkState::active;
  if (s == "failed_over") return LinkState::failed_over;
  if (s == "retired") return LinkState::retired;
  throw Error(ErrorKind::internal, "unknown link state '" + s + "' in state file");
}

Link read_link(const Statement& st) {
  return Link{st.column_int(0),  st.column_text(1), st.column_text(2), st.column_text(3),
              st.column_text(4), st.column_text(5), st.column_text(6), st.column_int(7),
              parse_state(st.column_text(8)), st.column_text(9), st.column_int(10), st.column_int(11)};
}

}  // namespace

const char* to_string(LinkState s) noexcept {
  switch (s) {
    case LinkState::active: return "active";
    case LinkState::failed_over: return "failed_over";
    case LinkState::retired: return "retired";
  }
  return "?";
}

std::vector<Link> list_links(StateStore& store) {
  Statement st(store.impl().db, std::string(kSelectLinks) + "ORDER BY l.name");
  std::vector<Link> out;
  while (st.step()) out.push_back(read_link(st));
  return out;
}

std::optional<Link> find_link(StateStore& store, const std::string& name) {
  Statement st(store.impl().db, std::string(kSelectLinks) + "WHERE l.name = ?1");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return read_link(st);
}

}  // namespace dr::store
