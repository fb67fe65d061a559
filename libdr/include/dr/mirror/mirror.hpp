// dr-mirror's engine: copy topics source -> target, partition for partition, and record where
// every source offset landed (the offset mapping) in the state file.
//
// Data path: N consumers (one group, cooperative-sticky) -> one idempotent acks=all producer.
// Each record's bytes are copied once into the producer's queue (bounded by
// queue.buffering.max.kbytes) and the consumed message is freed at once; delivery reports feed a
// per-partition tracker, which builds mapping segments in source order. Every commit interval each
// stream persists its new segments in one SQLite transaction and only then commits the source
// offsets up to the contiguous acknowledged point: a source offset is committed only when every
// earlier record of its partition is on the target and mapped durably (at-least-once; kill -9
// loses nothing).
//
// Memory: the defaults bound what librdkafka holds (consumer queue 8 MiB after decompression, fetches
// of 256 KiB compressed, producer queue 12 MiB; runbooks/mirror.md sizes them for a WAN). A
// FetchWaker per stream wakes librdkafka's fetcher when the small queue runs dry while the source
// has more, which librdkafka 2.0.2 would otherwise do only after up to a second.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dr::mirror {

struct MirrorOptions {
  std::string consumer_config;  // source: .properties file (bootstrap.servers, group.id required)
  std::string producer_config;  // target: .properties file (bootstrap.servers required)
  std::vector<std::string> overrides;  // "source.KEY=VALUE" or "target.KEY=VALUE" (-X)
  std::string include;          // regex, full match; MirrorMaker's ',' means '|'
  std::string exclude;          // regex, full match; empty = nothing excluded
  int num_streams = 1;
  int64_t commit_interval_ms = 1000;
  bool abort_on_send_failure = true;
  std::string state_path = "dr-state.db";
  std::string source_alias;  // empty = the source cluster id
  std::string target_alias;  // empty = the target cluster id
  std::string rename_template = "{topic}";  // {topic}, {source}, {target}
  std::string groups;        // regex of source groups to checkpoint; empty = all but the mirror's own
  int64_t checkpoint_interval_ms = 10000;
  bool until_caught_up = false;
  bool provenance = false;
  int replication_factor = -1;  // -1 = the target broker's default
  int64_t topic_refresh_ms = 10000;
  int64_t prune_interval_ms = 300000;  // drop mapping rows whose records left the target log
  int64_t unreachable_timeout_ms = 120000;
  int64_t shutdown_timeout_ms = 30000;
  std::string instance_id;  // --instance-id: static group membership identity (see member_identity)
};

struct MirrorSummary {
  enum class Ending { stopped, caught_up };
  Ending ending = Ending::stopped;
  uint64_t records_mirrored = 0;
  uint64_t records_skipped = 0;   // delivery failed, abort.on.send.failure=false
  uint64_t records_filtered = 0;  // provenance: came from the target cluster
  std::vector<std::string> topics;
};

// Static group membership (KIP-345): every consumer of dr-mirror has a group.instance.id, so a
// mirror restarted after kill -9 (or a crash, or a reboot) gets its partitions back at once instead
// of after the dead member's session.timeout.ms (45 s by default).
//
// The identity of a process is, first found: `instance_flag` (--instance-id); the consumer config's
// group.instance.id; else "<host>.<link name>" with "->" written "-to-" and every character Kafka
// does not allow in a group.instance.id ([A-Za-z0-9._-]) replaced by '_'. Stream i of the process
// uses "<identity>-<i>". Two processes of one group with the same identity fence each other
// (FENCED_INSTANCE_ID: the older one stops with exit 1), so several dr-mirror processes of a link on
// one host each need their own --instance-id (dr-mirror refuses to start a second one with the
// default identity while the first runs, exit 3).
std::string member_identity(const std::string& instance_flag, const std::string& configured, const std::string& host,
                            const std::string& link_name);
// True if Kafka accepts `id` as a group.instance.id: 1..249 characters of [A-Za-z0-9._-].
bool valid_group_instance_id(const std::string& id);

// Checks options that need no cluster (regexes, template, numbers). dr::Error(bad_input) naming
// the flag.
void validate_options(const MirrorOptions& options);

// Runs the mirror until dr::request_stop() (or SIGINT/SIGTERM once dr::install_stop_signal_handlers()
// ran: dr/stop.hpp), --until-caught-up is reached, or a fatal error. Throws
// dr::Error: bad_input (config), refused (same-cluster loop, fenced link, wrong cluster,
// refused topics with --until-caught-up), kafka (unreachable past the deadline, delivery failure
// with abort.on.send.failure=true), io (state file).
MirrorSummary run_mirror(const MirrorOptions& options);

}  // namespace dr::mirror
