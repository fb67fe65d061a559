// dr-mirror's topic sync: which source topics are mirrored, their target topics, and the
// --until-caught-up end offsets; see mirror/engine.hpp.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dr/log.hpp"
#include "mirror/engine.hpp"

namespace dr::mirror::detail {

namespace {

// Topic configs worth copying to a new target topic when set on the source topic.
constexpr const char* kCopiedTopicConfigs[] = {
    "cleanup.policy",          "retention.ms",          "retention.bytes",         "max.message.bytes",
    "compression.type",        "message.timestamp.type", "message.timestamp.difference.max.ms",
    "message.timestamp.before.max.ms", "message.timestamp.after.max.ms", "min.compaction.lag.ms",
    "max.compaction.lag.ms",   "delete.retention.ms",   "min.cleanable.dirty.ratio", "segment.bytes",
    "segment.ms",              "segment.index.bytes",   "segment.jitter.ms",       "index.interval.bytes",
    "file.delete.delay.ms",
};

void warn_log_append_time(const std::string& target) {
  dr::log::warn("target topic {} uses message.timestamp.type=LogAppendTime: the broker overwrites the source timestamps, "
                "so failover by timestamp (dr-failover --at) loses precision on it",
                target);
}

}  // namespace

std::optional<std::string> Engine::target_topic_for(const std::string& source_topic) {
  std::lock_guard lock(topics_mu_);
  auto it = target_names_.find(source_topic);
  if (it == target_names_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> Engine::subscription() {
  std::lock_guard lock(topics_mu_);
  return subscription_;
}

void Engine::sync_topics() {
  auto source_topics = source_admin_->list_topics(kAdminTimeout);
  auto target_topics = target_admin_->list_topics(kAdminTimeout);
  std::map<std::string, int> target_partitions;
  for (const auto& t : target_topics) target_partitions[t.name] = static_cast<int>(t.partitions.size());
  std::set<std::string> produced_by_us;  // on a same-cluster link, our own targets must not be mirrored again
  {
    std::lock_guard lock(store_mu_);
    for (const auto& m : store::list_topics(*store_, link_.id)) produced_by_us.insert(m.target_topic);
  }
  std::vector<std::string> wanted;
  std::map<std::string, std::string> names;
  std::vector<std::string> selected;
  for (const auto& t : source_topics) {
    if (!selector_->selected(t.name)) continue;
    if (source_id == target_id && produced_by_us.count(t.name)) continue;
    selected.push_back(t.name);
    const std::string target = rename_topic(opt.rename_template, t.name, source_alias_, target_alias_);
    const int partitions = static_cast<int>(t.partitions.size());
    try {
      std::optional<store::TopicMapping> known;
      {
        std::lock_guard lock(store_mu_);
        known = store::find_topic(*store_, link_.id, t.name);
      }
      auto it = target_partitions.find(target);
      if (it == target_partitions.end()) {
        std::map<std::string, std::string> configs;
        auto source_configs = source_admin_->describe_topic_configs(t.name, kAdminTimeout);
        for (const char* key : kCopiedTopicConfigs) {
          auto c = source_configs.find(key);
          if (c != source_configs.end() && c->second.set_on_topic && !c->second.is_sensitive) configs[key] = c->second.value;
        }
        auto ts_type = configs.find("message.timestamp.type");
        if (ts_type != configs.end() && ts_type->second == "LogAppendTime") warn_log_append_time(target);
        checked_timestamp_type_.insert(target);  // a new topic has exactly the configs we gave it
        try {
          target_admin_->create_topic(target, partitions, opt.replication_factor, configs, kAdminTimeout);
          std::string copied;
          for (const auto& [k, v] : configs) copied += fmt::format("{}{}={}", copied.empty() ? ", configs " : ", ", k, v);
          dr::log::info("created target topic {} with {} partitions{}", target, partitions, copied);
        } catch (const Error& e) {
          if (e.context().kafka_error != "TOPIC_ALREADY_EXISTS") throw;  // another mirror process was faster
        }
      } else if (it->second < partitions) {
        if (!known) {
          if (refused_topics_.insert(t.name).second) {
            dr::log::error("refusing topic {}: target topic {} exists with {} partitions but the source has {}; dr-mirror "
                           "keeps partitions 1:1 and only grows topics it created. Grow it (kafka-topics --alter "
                           "--partitions {}) or delete it",
                           t.name, target, it->second, partitions, partitions);
          }
          continue;
        }
        target_admin_->create_partitions(target, partitions, kAdminTimeout);
        dr::log::info("source topic {} grew to {} partitions: grew target topic {} to match", t.name, partitions, target);
      }
      if (checked_timestamp_type_.insert(target).second) {
        auto cfg = target_admin_->describe_topic_configs(target, kAdminTimeout);
        auto ts = cfg.find("message.timestamp.type");
        if (ts != cfg.end() && ts->second.value == "LogAppendTime") warn_log_append_time(target);
      }
      if (!known || known->partitions != partitions || known->target_topic != target) {
        std::lock_guard lock(store_mu_);
        store::record_topic(*store_, link_.id, {t.name, target, partitions});
      }
      refused_topics_.erase(t.name);
      wanted.push_back(t.name);
      names[t.name] = target;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::io || e.kind() == ErrorKind::internal || e.kind() == ErrorKind::access) throw;
      dr::log::error("topic {}: cannot prepare target topic {}: {}; retrying at the next topic refresh", t.name, target, e.what());
    }
  }
  std::lock_guard lock(topics_mu_);
  selected_topics_ = std::move(selected);
  for (auto& [s, t] : names) target_names_[s] = t;
  if (wanted != subscription_) {
    dr::log::info("mirroring {} topic(s): {}", wanted.size(), fmt::join(wanted, ", "));
    subscription_ = std::move(wanted);
    ++subscription_version_;
  }
}

void Engine::capture_end_offsets() {
  std::vector<std::string> topics;
  {
    std::lock_guard lock(topics_mu_);
    topics = selected_topics_;
  }
  const std::set<std::string> wanted(topics.begin(), topics.end());
  for (const auto& t : source_admin_->list_topics(kAdminTimeout)) {
    if (!wanted.count(t.name)) continue;
    for (const auto& p : t.partitions) {
      end_offsets_at_start_[{t.name, p.id}] = source_admin_->watermarks(t.name, p.id, kAdminTimeout).high;
    }
  }
  dr::log::info("--until-caught-up: waiting until {} partition(s) are mirrored up to their end offsets at start",
                end_offsets_at_start_.size());
}

bool Engine::caught_up() {
  std::map<std::pair<std::string, int32_t>, int64_t> committed;
  for (const auto& g : source_admin_->list_group_offsets(group_id, kAdminTimeout)) committed[{g.topic, g.partition}] = g.offset;
  for (const auto& [tp, end] : end_offsets_at_start_) {
    if (refused_topics_.count(tp.first)) continue;  // reported at the end
    auto it = committed.find(tp);
    if (it != committed.end() && it->second >= end) continue;
    if (source_admin_->watermarks(tp.first, tp.second, kAdminTimeout).low >= end) continue;  // nothing left to copy
    return false;
  }
  return true;
}

}  // namespace dr::mirror::detail
