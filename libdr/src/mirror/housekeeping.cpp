// dr-mirror's housekeeping: group checkpoints, mapping prune, progress log; see mirror/engine.hpp.
#include <fmt/format.h>

#include "dr/clock.hpp"
#include "dr/log.hpp"
#include "dr/store/checkpoints.hpp"
#include "mirror/engine.hpp"

namespace dr::mirror::detail {

void Engine::checkpoint_groups() {
  std::set<std::string> mirrored;
  {
    std::lock_guard lock(topics_mu_);
    for (const auto& [source, target] : target_names_) mirrored.insert(source);
  }
  if (mirrored.empty()) return;
  std::vector<std::string> groups;
  for (const std::string& g : source_admin_->list_groups(kAdminTimeout)) {
    if (g != group_id && (!groups_ || std::regex_match(g, *groups_))) groups.push_back(g);  // never the mirror's own
  }
  std::map<std::string, std::string> errors;
  auto offsets = source_admin_->list_group_offsets(groups, kAdminTimeout, &errors);
  const int64_t read_ms = now_ms();
  int recorded = 0;
  for (const auto& [group, list] : offsets) {
    std::vector<store::CommittedOffset> rows;
    for (const auto& o : list) {
      if (mirrored.count(o.topic)) rows.push_back({o.topic, o.partition, SourceOffset(o.offset)});
    }
    if (rows.empty()) continue;  // the group reads no mirrored topic
    std::lock_guard lock(store_mu_);
    store::record_checkpoints(*store_, link_.id, group, read_ms, rows);
    ++recorded;
  }
  for (const auto& [group, why] : errors) dr::log::warn("checkpoint of group {} failed: {}", group, why);
  dr::log::debug("checkpointed {} group(s)", recorded);
}

void Engine::prune_mapping() {
  std::vector<store::TopicMapping> topics;
  {
    std::lock_guard lock(store_mu_);
    topics = store::list_topics(*store_, link_.id);
  }
  int pruned = 0;
  for (const auto& t : topics) {
    for (int32_t p = 0; p < t.partitions; ++p) {
      const int64_t log_start = target_admin_->watermarks(t.target_topic, p, kAdminTimeout).low;
      std::lock_guard lock(store_mu_);
      pruned += store::prune_segments(*store_, link_.id, t.source_topic, p, TargetOffset(log_start));
    }
  }
  if (pruned > 0) dr::log::info("pruned {} mapping row(s) whose records are gone from the target", pruned);
}

void Engine::log_progress() {
  const uint64_t count = shared.mirrored.load();
  const double secs = std::chrono::duration<double>(Clock::now() - last_progress_at_).count();
  dr::log::info("mirrored {} records ({:.0f}/s), {} in flight, {} skipped, {} filtered", count,
                secs > 0 ? static_cast<double>(count - last_progress_count_) / secs : 0.0, rd_kafka_outq_len(producer.get()),
                shared.skipped.load(), shared.filtered.load());
  last_progress_count_ = count;
  last_progress_at_ = Clock::now();
}

}  // namespace dr::mirror::detail
