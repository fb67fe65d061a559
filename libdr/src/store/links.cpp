#include "dr/store/links.hpp"

#include <chrono>

#include <fmt/format.h>

#include "dr/error.hpp"
#include "dr/clock.hpp"
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


// Refuses an alias that already names another cluster id (read only).
void check_alias(Db& db, const ClusterSighting& c) {
  Statement by_alias(db, "SELECT cluster_id FROM clusters WHERE alias = ?1");
  by_alias.bind(1, c.alias);
  if (by_alias.step() && by_alias.column_text(0) != c.cluster_id) {
    throw_refused(fmt::format("alias '{}' already names cluster id {} in the state file, but the cluster at {} has id "
                              "{}: a config points at the wrong cluster, or pick another alias",
                              c.alias, by_alias.column_text(0), c.bootstrap_servers, c.cluster_id),
                  {.file = db.path(), .cluster = c.alias});
  }
}

void upsert_cluster(Db& db, const ClusterSighting& c) {
  Statement up(db,
               "INSERT INTO clusters (cluster_id, alias, bootstrap_servers, first_seen_ms, last_seen_ms) "
               "VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT (cluster_id) DO UPDATE SET last_seen_ms = ?4, "
               "bootstrap_servers = ?3");
  up.bind(1, c.cluster_id).bind(2, c.alias).bind(3, c.bootstrap_servers).bind(4, now_ms()).run();
}

std::optional<Link> find_link(Db& db, const std::string& source_cluster_id, const std::string& target_cluster_id) {
  Statement st(db, std::string(kSelectLinks) +
                       "WHERE l.source_cluster_id = ?1 AND l.target_cluster_id = ?2 ORDER BY l.link_id DESC LIMIT 1");
  st.bind(1, source_cluster_id).bind(2, target_cluster_id);
  if (!st.step()) return std::nullopt;
  return read_link(st);
}

void insert_link_if_missing(Db& db, const std::string& source_cluster_id, const std::string& target_cluster_id,
                            const std::string& rename_template) {
  Statement find(db, "SELECT link_id FROM links WHERE source_cluster_id = ?1 AND target_cluster_id = ?2 "
                     "ORDER BY link_id DESC LIMIT 1");
  find.bind(1, source_cluster_id).bind(2, target_cluster_id);
  if (find.step()) return;
  Statement aliases(db, "SELECT (SELECT alias FROM clusters WHERE cluster_id = ?1), "
                        "(SELECT alias FROM clusters WHERE cluster_id = ?2)");
  aliases.bind(1, source_cluster_id).bind(2, target_cluster_id);
  aliases.step();
  if (aliases.column_is_null(0) || aliases.column_is_null(1)) {
    throw Error(ErrorKind::internal, "ensure_link: record both clusters first");
  }
  std::string name = aliases.column_text(0) + "->" + aliases.column_text(1);
  const int64_t now = now_ms();
  Statement ins(db, "INSERT INTO links (name, source_cluster_id, target_cluster_id, rename_template, created_ms, "
                    "updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?5)");
  ins.bind(1, name).bind(2, source_cluster_id).bind(3, target_cluster_id).bind(4, rename_template).bind(5, now).run();
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

std::optional<Link> find_link_by_id(StateStore& store, int64_t link_id) {
  Statement st(store.impl().db, std::string(kSelectLinks) + "WHERE l.link_id = ?1");
  st.bind(1, link_id);
  if (!st.step()) return std::nullopt;
  return read_link(st);
}

void record_cluster(StateStore& store, const std::string& cluster_id, const std::string& alias,
                    const std::string& bootstrap_servers) {
  Db& db = store.impl().db;
  Transaction tx(db);
  const ClusterSighting c{cluster_id, alias, bootstrap_servers};
  check_alias(db, c);
  upsert_cluster(db, c);
  tx.commit();
}

Link record_mirror_link(StateStore& store, const ClusterSighting& source, const ClusterSighting& target,
                        const std::string& rename_template) {
  Db& db = store.impl().db;
  {
    Transaction tx(db);
    check_alias(db, source);
    check_alias(db, target);
    if (auto link = find_link(db, source.cluster_id, target.cluster_id); link && link->state != LinkState::active) {
      throw_refused(fmt::format("link {} is {} (epoch {}{}{}): a mirror of a fenced link must not run. After a failover "
                                "the way back is dr-resync",
                                link->name, to_string(link->state), link->epoch, link->state_reason.empty() ? "" : ": ",
                                link->state_reason),
                    {.file = db.path()});
    }
    upsert_cluster(db, source);
    upsert_cluster(db, target);
    insert_link_if_missing(db, source.cluster_id, target.cluster_id, rename_template);
    tx.commit();
  }
  auto link = find_link(db, source.cluster_id, target.cluster_id);
  if (!link) throw Error(ErrorKind::internal, "record_mirror_link: link vanished");
  return *link;
}

Link ensure_link(StateStore& store, const std::string& source_cluster_id, const std::string& target_cluster_id,
                 const std::string& rename_template) {
  Db& db = store.impl().db;
  {
    Transaction tx(db);
    insert_link_if_missing(db, source_cluster_id, target_cluster_id, rename_template);
    tx.commit();
  }
  auto link = find_link(db, source_cluster_id, target_cluster_id);
  if (!link) throw Error(ErrorKind::internal, "ensure_link: link vanished");
  return *link;
}

std::vector<ClusterSighting> list_clusters(StateStore& store) {
  Statement st(store.impl().db, "SELECT cluster_id, alias, bootstrap_servers FROM clusters ORDER BY alias");
  std::vector<ClusterSighting> out;
  while (st.step()) out.push_back({st.column_text(0), st.column_text(1), st.column_text(2)});
  return out;
}

}  // namespace dr::store
