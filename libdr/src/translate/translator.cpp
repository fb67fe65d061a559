#include "dr/translate/translator.hpp"

#include <regex>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dr/error.hpp"
#include "dr/log.hpp"
#include "dr/store/checkpoints.hpp"
#include "dr/store/mirror_state.hpp"
#include "dr/store/offset_segments.hpp"

namespace dr::translate {

using namespace std::chrono_literals;

store::Link resolve_link(store::StateStore& store, const std::string& name) {
  auto links = store::list_links(store);
  std::vector<std::string> names;
  for (const auto& l : links) names.push_back(l.name);
  if (name.empty()) {
    if (links.size() == 1) return links[0];
    throw_bad_input(links.empty() ? std::string("the state file has no link yet (dr-mirror records one on its first start)")
                                  : fmt::format("the state file has {} links ({}): choose one with --link", links.size(),
                                                fmt::join(names, ", ")),
                    {.file = store.path(), .flag = "--link"});
  }
  for (const auto& l : links) {
    if (l.name == name) return l;
  }
  throw_bad_input(fmt::format("unknown link '{}'; the state file has: {}", name, names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))),
                  {.file = store.path(), .flag = "--link"});
}

Translator::Translator(store::StateStore& store, store::Link link, kafka::Admin* target)
    : store_(store), link_(std::move(link)), target_(target) {
  for (const auto& t : store::list_topics(store_, link_.id)) topics_[t.source_topic] = {t.target_topic, t.partitions};
}

std::string Translator::target_topic(const std::string& source_topic) {
  auto it = topics_.find(source_topic);
  if (it == topics_.end()) {
    throw_bad_input(fmt::format("topic '{}' is not mirrored on link {}", source_topic, link_.name), {.topic = source_topic});
  }
  return it->second.first;
}

std::vector<std::string> Translator::mirrored_topics() {
  std::vector<std::string> out;
  for (const auto& [s, t] : topics_) out.push_back(s);
  return out;
}

const std::vector<store::OffsetSegment>& Translator::rows(const std::string& source_topic, int32_t partition) {
  auto key = std::make_pair(source_topic, partition);
  auto it = rows_.find(key);
  if (it == rows_.end()) it = rows_.emplace(key, store::load_segments(store_, link_.id, source_topic, partition)).first;
  return it->second;
}

std::optional<TargetOffset> Translator::log_start(const std::string& target_topic, int32_t partition) {
  if (!target_) return std::nullopt;
  return TargetOffset(target_->watermarks(target_topic, partition, 15s).low);
}

void Translator::check_partition(const std::string& source_topic, int32_t partition) {
  target_topic(source_topic);  // mirrored at all?
  const int partitions = topics_[source_topic].second;
  if (partition < 0 || partition >= partitions) {
    throw_bad_input(fmt::format("topic {} has {} partition{} (0 to {}); there is no partition {}", source_topic, partitions,
                                partitions == 1 ? "" : "s", partitions - 1, partition),
                    {.flag = "--partition", .topic = source_topic, .partition = partition});
  }
}

TranslatedOffset Translator::translate(const std::string& source_topic, int32_t partition, SourceOffset offset) {
  check_partition(source_topic, partition);
  if (offset.value() < 0) {
    throw_bad_input(fmt::format("source offset {} of {}/{} is negative: offsets start at 0", offset.value(), source_topic, partition),
                    {.flag = "--offset", .topic = source_topic, .partition = partition});
  }
  return translate_known(source_topic, partition, offset);
}

TranslatedOffset Translator::translate_known(const std::string& source_topic, int32_t partition, SourceOffset offset) {
  TranslatedOffset out;
  out.source_topic = source_topic;
  out.target_topic = target_topic(source_topic);
  out.partition = partition;
  out.source_offset = offset.value();
  const auto& r = rows(source_topic, partition);
  std::optional<TargetOffset> start;
  if (r.empty() || offset < r.front().source_start) start = log_start(out.target_topic, partition);
  out.translation = translate_offset(r, offset, start);
  return out;
}

namespace {

std::optional<std::regex> compile_group_pattern(const std::string& pattern) {
  if (pattern.empty()) return std::nullopt;
  try {
    return std::regex(pattern);
  } catch (const std::regex_error& e) {
    throw_bad_input(fmt::format("invalid regular expression '{}': {}", pattern, e.what()), {.flag = "--groups"});
  }
}

}  // namespace

void validate_group_pattern(const std::string& pattern) { compile_group_pattern(pattern); }

std::vector<std::string> Translator::checkpointed_groups(const std::string& pattern) {
  const std::optional<std::regex> re = compile_group_pattern(pattern);
  std::vector<std::string> out;
  for (const auto& c : store::latest_checkpoints(store_, link_.id)) {
    if (!out.empty() && out.back() == c.group_id) continue;
    if (!re || std::regex_match(c.group_id, *re)) out.push_back(c.group_id);
  }
  return out;
}

std::vector<TranslatedOffset> Translator::translate_groups(const std::vector<std::string>& groups,
                                                           std::optional<int64_t> as_of_ms) {
  std::vector<TranslatedOffset> out;
  const std::set<std::string> wanted(groups.begin(), groups.end());
  for (const auto& c : store::latest_checkpoints(store_, link_.id, as_of_ms)) {
    if (!wanted.count(c.group_id)) continue;
    if (topics_.find(c.source_topic) == topics_.end()) continue;  // no longer mirrored
    TranslatedOffset t = translate_known(c.source_topic, c.partition, c.offset);
    t.group = c.group_id;
    t.checkpoint_ms = c.checkpoint_ms;
    t.read_ms = c.read_ms;
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<TimeOffset> Translator::offsets_for_time(const std::string& source_topic, int64_t at_ms) {
  const std::string target = target_topic(source_topic);
  const int n = topics_[source_topic].second;
  std::vector<int32_t> parts;
  for (int32_t p = 0; p < n; ++p) parts.push_back(p);
  std::vector<TimeOffset> out;
  if (target_) {
    try {
      auto offsets = target_->offsets_for_times(target, parts, at_ms, 15s);
      for (int32_t p = 0; p < n; ++p) {
        int64_t o = offsets[static_cast<size_t>(p)];
        if (o < 0) o = target_->watermarks(target, p, 15s).high;  // every record is older: the end
        out.push_back({source_topic, target, p, o, false});
      }
      return out;
    } catch (const Error& e) {
      dr::log::warn("the target's time index could not be asked ({}); using the state file's mapping instead", e.message());
    }
  }
  for (int32_t p = 0; p < n; ++p) {
    const auto& r = rows(source_topic, p);
    auto o = offset_for_time_from_mapping(r, at_ms);
    out.push_back({source_topic, target, p, o ? o->value() : mapped_target_end(r).value(), true});
  }
  return out;
}

int64_t Translator::oldest_mapped_time() {
  int64_t oldest = 0;
  for (const auto& [source, info] : topics_) {
    for (int32_t p = 0; p < info.second; ++p) {
      const auto& r = rows(source, p);
      if (!r.empty() && (oldest == 0 || r.front().first_timestamp_ms < oldest)) oldest = r.front().first_timestamp_ms;
    }
  }
  return oldest;
}

}  // namespace dr::translate
