#include "dr/store/mirror_state.hpp"

#include <chrono>

#include "dr/clock.hpp"
#include "store/state_store_impl.hpp"

namespace dr::store {

void record_topic(StateStore& store, int64_t link_id, const TopicMapping& m) {
  Statement st(store.impl().db,
               "INSERT INTO topic_map (link_id, source_topic, target_topic, partitions, created_ms, updated_ms) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT (link_id, source_topic) DO UPDATE SET "
               "target_topic = ?3, partitions = ?4, updated_ms = ?5");
  st.bind(1, link_id).bind(2, m.source_topic).bind(3, m.target_topic).bind(4, m.partitions).bind(5, now_ms()).run();
}

std::optional<TopicMapping> find_topic(StateStore& store, int64_t link_id, const std::string& source_topic) {
  Statement st(store.impl().db,
               "SELECT source_topic, target_topic, partitions FROM topic_map WHERE link_id = ?1 AND source_topic = ?2");
  st.bind(1, link_id).bind(2, source_topic);
  if (!st.step()) return std::nullopt;
  return TopicMapping{st.column_text(0), st.column_text(1), static_cast<int>(st.column_int(2))};
}

std::vector<TopicMapping> list_topics(StateStore& store, int64_t link_id) {
  Statement st(store.impl().db,
               "SELECT source_topic, target_topic, partitions FROM topic_map WHERE link_id = ?1 ORDER BY source_topic");
  st.bind(1, link_id);
  std::vector<TopicMapping> out;
  while (st.step()) out.push_back({st.column_text(0), st.column_text(1), static_cast<int>(st.column_int(2))});
  return out;
}

void heartbeat(StateStore& store, const MirrorInstance& i) {
  Statement st(store.impl().db,
               "INSERT INTO mirror_instances (instance_id, link_id, link_epoch, host, pid, started_ms, heartbeat_ms, "
               "status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (instance_id) DO UPDATE SET "
               "heartbeat_ms = ?7, status = ?8, link_epoch = ?3");
  st.bind(1, i.instance_id).bind(2, i.link_id).bind(3, i.link_epoch).bind(4, i.host).bind(5, i.pid);
  st.bind(6, i.started_ms).bind(7, now_ms()).bind(8, i.status).run();
}

std::vector<MirrorInstance> list_instances(StateStore& store, int64_t link_id) {
  Statement st(store.impl().db,
               "SELECT instance_id, link_id, link_epoch, host, pid, started_ms, heartbeat_ms, status FROM "
               "mirror_instances WHERE link_id = ?1 ORDER BY heartbeat_ms DESC");
  st.bind(1, link_id);
  std::vector<MirrorInstance> out;
  while (st.step()) {
    out.push_back({st.column_text(0), st.column_int(1), st.column_int(2), st.column_text(3), st.column_int(4),
                   st.column_int(5), st.column_int(6), st.column_text(7)});
  }
  return out;
}

}  // namespace dr::store
