#include "dr/resync/replay.hpp"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dr/clock.hpp"
#include "dr/error.hpp"
#include "dr/kafka/client.hpp"
#include "dr/log.hpp"
#include "dr/resync/saved_records.hpp"
#include "dr/translate/time_input.hpp"
#include "dr/who.hpp"

namespace dr::resync {

namespace fs = std::filesystem;
using nlohmann::json;

ReplayReport replay_saved(const ReplayOptions& o) {
  if (o.from_dir.empty()) throw_bad_input("required: a directory dr-resync saved records into", {.flag = "--from"});
  if (o.topic.empty()) throw_bad_input("required: the topic to produce the saved records into", {.flag = "--topic"});
  if (o.timeout_ms <= 0) throw_bad_input("a timeout is 1 ms or more", {.flag = "--timeout-ms"});
  const auto manifest = read_manifest(o.from_dir);
  if (!manifest) throw_bad_input("no manifest.json: not a directory dr-resync saved records into", {.file = o.from_dir, .flag = "--from"});
  int64_t total = 0;
  int32_t max_partition = -1;
  for (const SavedPartition& p : manifest->partitions) {
    verify_saved(o.from_dir, p);
    total += p.records;
    max_partition = std::max(max_partition, p.partition);
  }
  kafka::ClientConfig admin_config(kafka::ClientRole::admin), producer_config(kafka::ClientRole::producer);
  for (kafka::ClientConfig* c : {&admin_config, &producer_config}) {
    c->apply_file(o.config);
    for (const auto& x : o.overrides) c->apply_override(x);
  }
  const auto timeout = std::chrono::milliseconds(o.timeout_ms);
  kafka::Admin admin(admin_config);
  ReplayReport report{o.topic, admin.cluster_id(timeout), 0, 0};

  const fs::path replays = fs::path(o.from_dir) / "replays.json";
  json done = json::array();
  if (std::ifstream in(replays); in) {
    done = json::parse(in, nullptr, false);
    if (done.is_discarded() || !done.is_array()) throw_bad_input("not a list of replays", {.file = replays.string()});
  }
  for (const json& r : done) {
    if (r.value("cluster_id", "") == report.cluster_id && r.value("topic", "") == o.topic && !o.force) {
      throw_refused(fmt::format("these records were replayed into {} on cluster {} already ({} record(s) at {}): a second "
                                "replay duplicates them. Use --force to replay again",
                                o.topic, report.cluster_id, r.value("records", 0), r.value("time", "")),
                    {.file = replays.string(), .topic = o.topic});
    }
  }
  int partitions = -1;
  for (const auto& t : admin.list_topics(timeout)) {
    if (t.name == o.topic) partitions = static_cast<int>(t.partitions.size());
  }
  if (partitions < 0) throw_bad_input("no such topic on the cluster: create it first", {.flag = "--topic", .topic = o.topic});
  if (max_partition >= partitions && !o.partition_by_key) {
    throw_bad_input(fmt::format("the saved records come from partition {}, but the topic has {} partition(s); create it with "
                                "at least {}",
                                max_partition, partitions, max_partition + 1),
                    {.flag = "--topic", .topic = o.topic, .partition = max_partition});
  }
  kafka::Producer producer(producer_config);
  for (const SavedPartition& p : manifest->partitions) {
    for_each_saved(o.from_dir, p, [&](const kafka::Record& saved) {
      kafka::Record r = saved;
      r.topic = o.topic;
      r.partition = o.partition_by_key ? -1 : p.partition;  // -1: the producer's partitioner hashes the key
      producer.send(r);
      ++report.records;
    });
    ++report.files;
  }
  producer.flush(timeout);
  done.push_back({{"cluster_id", report.cluster_id},
                  {"topic", o.topic},
                  {"records", report.records},
                  {"time", translate::format_time(now_ms())},
                  {"by", os_user() + "@" + host_name()}});
  write_file_whole(replays.string(), done.dump(2) + "\n");
  dr::log::info("replayed {} of {} saved record(s) into {} on cluster {}", report.records, total, o.topic, report.cluster_id);
  return report;
}

}  // namespace dr::resync
