// Static group membership of dr-mirror's consumers; see dr/mirror/mirror.hpp (member_identity).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include <fmt/format.h>

#include "dr/clock.hpp"
#include "dr/log.hpp"
#include "mirror/engine.hpp"

namespace dr::mirror {

namespace {

bool allowed(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'; }

}  // namespace

bool valid_group_instance_id(const std::string& id) {
  if (id.empty() || id.size() > 249) return false;
  for (char c : id) {
    if (!allowed(c)) return false;
  }
  return true;
}

std::string member_identity(const std::string& instance_flag, const std::string& configured, const std::string& host,
                            const std::string& link_name) {
  if (!instance_flag.empty()) return instance_flag;
  if (!configured.empty()) return configured;
  std::string link = link_name;
  for (size_t at; (at = link.find("->")) != std::string::npos;) link.replace(at, 2, "-to-");
  std::string id = (host.empty() ? std::string("localhost") : host) + "." + link;
  for (char& c : id) {
    if (!allowed(c)) c = '_';
  }
  if (id.size() > 240) id.resize(240);  // room for -<stream>
  return id;
}

namespace detail {

namespace {

constexpr int64_t kHeartbeatFreshMs = 10'000;  // the fence watcher heartbeats every 2 s

std::string process_name(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

// A dr-mirror process with this pid runs on this host now (not a pid the kernel gave to another
// program since).
bool mirror_alive(int64_t pid) {
  if (pid <= 0 || pid == ::getpid()) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  const std::string self = process_name("self");
  return self.empty() || process_name(std::to_string(pid)) == self;
}

}  // namespace

// The identity the consumer config or --instance-id sets, checked; empty when none is set.
static std::string configured_identity(const kafka::ClientConfig& config, const MirrorOptions& opt) {
  const kafka::ConfigEntry* e = config.find("group.instance.id");
  if (e == nullptr) return {};
  if (!valid_group_instance_id(e->value + "-00")) {
    throw_bad_input(fmt::format("group.instance.id '{}': use 1 to 245 letters, digits, '.', '_' and '-' (dr-mirror "
                                "appends -<stream>)",
                                e->value),
                    {.file = e->origin.file.empty() ? opt.consumer_config : e->origin.file, .line = e->origin.line});
  }
  return e->value;
}

void Engine::refuse_member_identity_collision(const std::string& host) {
  if (!opt.instance_id.empty() || !configured_identity(source_config, opt).empty()) return;  // the operator chose
  std::optional<store::Link> link;
  for (auto& l : store::list_links(*store_)) {
    if (l.source_cluster_id == source_id && l.target_cluster_id == target_id) link = std::move(l);
  }
  if (!link) return;  // a first start: nobody runs this link yet
  const std::string identity = dr::mirror::member_identity("", "", host, link->name);
  const int64_t now = now_ms();
  for (const auto& o : store::list_instances(*store_, link->id)) {
    if (o.host != host || (o.status != "running" && o.status != "starting")) continue;
    if (now - o.heartbeat_ms > kHeartbeatFreshMs || !mirror_alive(o.pid)) continue;
    throw_refused(fmt::format("another dr-mirror (pid {}) mirrors link {} on this host; both would join group {} with the "
                              "static member id {}-<stream> and fence each other. Give each process on this host its own "
                              "--instance-id (for example --instance-id {}.2)",
                              o.pid, link->name, group_id, identity, identity),
                  {.file = opt.state_path, .flag = "--instance-id"});
  }
}

void Engine::choose_member_identity() {
  const std::string configured = configured_identity(source_config, opt);
  member_identity = dr::mirror::member_identity(opt.instance_id, configured, instance_.host, link_.name);
  dr::log::info("static group membership: group.instance.id {}-0{} ({}); a restart with the same identity gets the "
                "partitions back without waiting for session.timeout.ms",
                member_identity, opt.num_streams > 1 ? fmt::format(" .. {}-{}", member_identity, opt.num_streams - 1) : "",
                !opt.instance_id.empty() ? "--instance-id" : !configured.empty() ? "group.instance.id of the consumer config"
                                                                                 : "host and link");
}

// librdkafka (2.0.2 as later ones) sends no LeaveGroup when a static member closes (KIP-345: the
// member keeps its partitions for session.timeout.ms so that a restart gets them back without a
// rebalance). A stopping dr-mirror should hand its partitions to the group's other processes at
// once, so it unsubscribes first: librdkafka revokes the partitions (on_rebalance persists and
// commits them) and, not yet terminating, sends LeaveGroup; close() then waits for its answer.
void Stream::leave_group() {
  rd_kafka_t* rk = consumer_.get();
  if (rd_kafka_unsubscribe(rk) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
  const auto deadline = std::min(Clock::now() + 5s, std::max(engine_.shutdown_deadline(), Clock::now() + 1s));
  while (Clock::now() < deadline) {
    // Serves the revocation; records still queued are dropped: they are above the committed offset.
    kafka::MessageHandle m{rd_kafka_consumer_poll(rk, 50)};
    kafka::PartitionListHandle assignment;
    rd_kafka_topic_partition_list_t* list = nullptr;
    if (rd_kafka_assignment(rk, &list) == RD_KAFKA_RESP_ERR_NO_ERROR) assignment.reset(list);
    if (assignment && assignment->cnt == 0 && !m) return;
  }
  dr::log::warn("stream {}: partitions not revoked within 5 s of unsubscribing; closing anyway", index_);
}

}  // namespace detail

}  // namespace dr::mirror
