// dr-mirror's engine: configs, state file, producer, run loop, stop path, liveness, fence;
// see dr/mirror/mirror.hpp for the contract and mirror/engine.hpp for the parts.
#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "dr/clock.hpp"
#include "dr/kafka/command_line.hpp"
#include "dr/log.hpp"
#include "dr/stop.hpp"
#include "mirror/engine.hpp"
#include "mirror/fenced_link.hpp"

namespace dr::mirror {

namespace detail {

namespace {

constexpr auto kLivenessEvery = 5s;
constexpr auto kProgressEvery = 10s;

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  auto* slot = static_cast<InFlight*>(m->_private);
  if (slot == nullptr) return;
  // Purged by the stop path: never sent, or its fate unknown. Neither delivered nor refused by the
  // target, so it must not count as skipped (abort.on.send.failure=false would record it).
  const bool purged = m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE || m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT;
  const InFlight::State state = purged ? InFlight::State::cancelled : m->err ? InFlight::State::failed : InFlight::State::acked;
  slot->tracker->settle(slot, state, m->offset, m->err);
}

}  // namespace

Engine::Engine(const MirrorOptions& options) : opt(options) {
  shared.abort_on_send_failure = opt.abort_on_send_failure;
  shared.fail = [this](Error e) { fail(std::move(e)); };
}

Engine::~Engine() {
  stop_pipeline();
  producer.reset();
}

void Engine::stop_pipeline() {
  stop = true;
  if (fence_watcher_.joinable()) fence_watcher_.join();
  for (auto& s : streams_) s->join();
  stop_producer();
  for (auto& s : streams_) s->release_trackers();  // after the producer let go of every record
  streams_.clear();
}

void Engine::begin_stop(Clock::duration bound) {
  Clock::rep unset = Clock::time_point::max().time_since_epoch().count();
  shutdown_deadline_.compare_exchange_strong(unset, (Clock::now() + bound).time_since_epoch().count());
}

void Engine::on_fenced(Error e) {
  // Produce nothing more: streams stop consuming and cancel what they have not handed to the
  // producer yet, and the records queued in the producer but not sent are purged here. Records
  // already sent to the target (in flight) may still land; nobody waits for them long.
  fenced_ = true;
  begin_stop(kFencedStopWait);
  fail(std::move(e));
  if (producer) rd_kafka_purge(producer.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_NON_BLOCKING);
}

void Engine::fail(Error e) {
  {
    std::lock_guard lock(fatal_mu_);
    if (fatal_) return;
    dr::log::error("{}", e.what());
    fatal_ = std::move(e);
  }
  begin_stop(milliseconds(opt.shutdown_timeout_ms));
  stop = true;
}

void Engine::build_configs() {
  source_config.apply_file(opt.consumer_config);
  target_config.apply_file(opt.producer_config);
  for (const std::string& x : opt.overrides) {
    if (x.starts_with("source.")) source_config.apply_override(x.substr(7));
    else if (x.starts_with("target.")) target_config.apply_override(x.substr(7));
    else throw_bad_input(fmt::format("'{}': prefix the key with source. or target. (e.g. -X target.linger.ms=10)",
                                     kafka::mask_arguments({x}).front()),  // never echo a secret
                         {.flag = "-X"});
  }
  for (const auto& w : source_config.warnings()) dr::log::warn("{}: {}", w.origin.to_string(), w.message);
  for (const auto& w : target_config.warnings()) dr::log::warn("{}: {}", w.origin.to_string(), w.message);
  auto need = [](const kafka::ClientConfig& c, const char* key, const std::string& file, const char* flag) {
    if (!c.get(key)) throw_bad_input(fmt::format("{} is required", key), {.file = file, .flag = flag});
  };
  need(source_config, "bootstrap.servers", opt.consumer_config, "--consumer.config");
  need(source_config, "group.id", opt.consumer_config, "--consumer.config");
  need(target_config, "bootstrap.servers", opt.producer_config, "--producer.config");
  group_id = *source_config.get("group.id");

  // What the at-least-once contract needs; a config that says otherwise is refused, not obeyed.
  auto require = [](kafka::ClientConfig& c, const char* key, const char* value, const std::string& file) {
    if (const kafka::ConfigEntry* e = c.find(key); e && e->value != value) {
      throw_bad_input(fmt::format("dr-mirror needs {}={} (found {}={})", key, value, key, e->value),
                      {.file = e->origin.file.empty() ? file : e->origin.file, .line = e->origin.line});
    }
    c.set_default(key, value);
  };
  require(target_config, "acks", "all", opt.producer_config);
  if (const kafka::ConfigEntry* e = target_config.find("acks"); e && e->value == "-1") target_config.set_default("acks", "all");
  require(target_config, "enable.idempotence", "true", opt.producer_config);
  require(source_config, "enable.auto.commit", "false", opt.consumer_config);
  require(source_config, "enable.auto.offset.store", "false", opt.consumer_config);
  auto set_if_unset = [](kafka::ClientConfig& c, const char* key, const std::string& value) {
    if (!c.get(key)) c.set_default(key, value);
  };
  set_if_unset(source_config, "auto.offset.reset", "earliest");
  set_if_unset(source_config, "isolation.level", "read_committed");
  set_if_unset(source_config, "partition.assignment.strategy", "cooperative-sticky");
  set_if_unset(source_config, "client.id", "dr-mirror");
  set_if_unset(source_config, "topic.metadata.refresh.interval.ms", std::to_string(opt.topic_refresh_ms));
  // Memory is bounded by what librdkafka may hold: the consumer queue (queued.max.messages.kbytes,
  // counted after decompression), one fetch response beyond it (fetch.max.bytes, counted
  // compressed: 256 KiB of highly compressible data can be 15 MB in memory), and the producer queue
  // (queue.buffering.max.kbytes). librdkafka's defaults (64 MiB, 50 MiB, 1 GiB) let a mirror grow
  // to hundreds of MB. Small fetches keep up locally because the FetchWaker wakes the fetcher as
  // soon as the queue runs dry; across a WAN one fetch per round trip is the limit, and
  // runbooks/mirror.md says how to size fetch.max.bytes for it.
  set_if_unset(source_config, "queued.max.messages.kbytes", "8192");
  // Small records cost more than their bytes (each has a few hundred bytes of librdkafka
  // bookkeeping), so the queues are capped in records too: 100-byte records reached 64-90 MB with
  // librdkafka's 100,000 and about 50 MB with 40,000, for some of their throughput (README).
  set_if_unset(source_config, "queued.min.messages", "40000");
  set_if_unset(target_config, "queue.buffering.max.messages", "40000");
  set_if_unset(source_config, "fetch.max.bytes", "262144");
  set_if_unset(source_config, "max.partition.fetch.bytes", "65536");
  if (!source_config.get("message.max.bytes")) {
    // librdkafka refuses a fetch.max.bytes below message.max.bytes (1000000 by default).
    const int64_t fetch_max = std::stoll(*source_config.get("fetch.max.bytes"));
    source_config.set_default("message.max.bytes", std::to_string(std::min<int64_t>(fetch_max, 1000000)));
  }
  set_if_unset(target_config, "queue.buffering.max.kbytes", "12288");
  set_if_unset(target_config, "client.id", "dr-mirror");
  set_if_unset(target_config, "linger.ms", "5");
  source_label = fmt::format("source cluster ({})", *source_config.get("bootstrap.servers"));
  target_label = fmt::format("target cluster ({})", *target_config.get("bootstrap.servers"));
}

void Engine::refuse_if_fenced() {
  std::error_code ec;
  if (!std::filesystem::exists(opt.state_path, ec)) return;  // a new state file has no links
  std::optional<store::StateStore> state;
  try {
    state.emplace(store::StateStore::open(opt.state_path, {.access = store::Access::read_only}));
  } catch (const Error& e) {
    // An older schema, a file that is not writable, ...: open_state() deals with it after the wait.
    dr::log::debug("state file not checked before contacting the clusters: {}", e.what());
    return;
  }
  auto link = fenced_link_for(*state, {*source_config.get("bootstrap.servers"), opt.source_alias},
                              {*target_config.get("bootstrap.servers"), opt.target_alias});
  if (!link) return;
  throw_refused(fmt::format("link {} is {} (epoch {}{}{}): a mirror of a fenced link must not run. After a failover "
                            "the way back is dr-resync (refused from the state file, before contacting the clusters)",
                            link->name, store::to_string(link->state), link->epoch, link->state_reason.empty() ? "" : ": ",
                            link->state_reason),
                {.file = opt.state_path});
}

std::optional<std::string> Engine::wait_for_cluster_id(kafka::Admin& admin) {
  admin.interrupt_when(&stop_requested());  // SIGTERM/SIGINT end the wait at once
  std::optional<Clock::time_point> down_since;  // the start of the first attempt that got no answer
  for (;;) {
    const auto attempt = Clock::now();
    try {
      std::string id = admin.cluster_id(std::min<milliseconds>(10s, milliseconds(opt.unreachable_timeout_ms)));
      admin.interrupt_when(&stop);
      return id;
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::access) throw;  // refused credentials are not an outage: waiting does not help
      if (stop_requested()) return std::nullopt;
      if (!down_since) down_since = attempt;
      const auto down_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - *down_since).count();
      if (down_ms >= opt.unreachable_timeout_ms) {
        throw Error(ErrorKind::kafka,
                    fmt::format("{} unreachable for {} s (--unreachable-timeout-ms {}): {}", admin.label(), down_ms / 1000,
                                opt.unreachable_timeout_ms, e.message()),
                    {.cluster = admin.label(), .kafka_error = e.context().kafka_error});
      }
      dr::log::warn("{} does not answer ({}); unreachable for {} s, giving up after {} s", admin.label(), e.message(),
                    down_ms / 1000, opt.unreachable_timeout_ms / 1000);
      for (int i = 0; i < 10 && !stop_requested(); ++i) std::this_thread::sleep_for(100ms);
    }
  }
}

void Engine::open_state() {
  store_.emplace(store::StateStore::open(opt.state_path));
  source_alias_ = opt.source_alias.empty() ? source_id : opt.source_alias;
  target_alias_ = opt.target_alias.empty() ? target_id : opt.target_alias;
  std::lock_guard lock(store_mu_);
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  refuse_member_identity_collision(host);
  // Checks (alias, fence) before anything is written: a refused start leaves the file as it was.
  link_ = store::record_mirror_link(*store_, {source_id, source_alias_, *source_config.get("bootstrap.servers")},
                                    {target_id, target_alias_, *target_config.get("bootstrap.servers")}, opt.rename_template);
  const int64_t started = now_ms();
  instance_ = {fmt::format("{}:{}:{}", host, ::getpid(), started), link_.id, link_.epoch, host, ::getpid(), started, started,
               "starting"};
  store::heartbeat(*store_, instance_);
  dr::log::info("link {} (epoch {}), state file {}", link_.name, link_.epoch, store_->path());
  dr::log::info("memory: per stream a consumer queue of {} KiB or {} records plus one fetch of up to {} bytes "
                "(compressed) per source broker; a producer queue of {} KiB or {} records",
                *source_config.get("queued.max.messages.kbytes"), *source_config.get("queued.min.messages"),
                *source_config.get("fetch.max.bytes"), *target_config.get("queue.buffering.max.kbytes"),
                *target_config.get("queue.buffering.max.messages"));
}

bool Engine::persist(std::span<const store::PartitionMappingUpdate> updates) {
  try {
    std::lock_guard lock(store_mu_);
    store::persist_mapping(*store_, link_.id, updates);
    return true;
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::io) throw;
    // A full disk, a read-only file system, a lock held too long: the mapping since the last
    // persist is not durable, so no offset may be committed past it. Stop without committing
    // anything more; the next start resumes from the durable mapping.
    state_unwritable_ = true;
    fail(Error(ErrorKind::io,
               fmt::format("the state file could not be written ({}): stopping without committing any further source "
                           "offsets; the next start resumes from the mapping that is durable",
                           e.message()),
               {.file = opt.state_path}));
    return false;
  }
}

std::vector<store::OffsetSegment> Engine::durable_mapping(const std::string& source_topic, int32_t partition) {
  std::lock_guard lock(store_mu_);
  return store::load_segments(*store_, link_.id, source_topic, partition);
}

void Engine::heartbeat(const char* status) {
  instance_.status = status;
  instance_.link_epoch = link_.epoch;
  std::lock_guard lock(store_mu_);
  store::heartbeat(*store_, instance_);
}

void Engine::start_producer() {
  producer_context.cluster = target_label;
  producer = kafka::make_client(RD_KAFKA_PRODUCER, target_config, producer_context,
                                [](rd_kafka_conf_t* conf) { rd_kafka_conf_set_dr_msg_cb(conf, on_delivery); });
  producer_poller_ = std::thread([this] {
    while (!producer_poller_stop_) rd_kafka_poll(producer.get(), 100);
  });
}

void Engine::stop_producer() {
  if (!producer) return;
  if (producer_poller_.joinable()) {
    if (fenced()) {
      // Nothing is flushed after a fence: what is still queued is dropped, what was sent may land.
      rd_kafka_purge(producer.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    } else {
      auto remaining = std::chrono::duration_cast<milliseconds>(shutdown_deadline() - Clock::now());
      if (shutdown_deadline() == Clock::time_point::max()) remaining = milliseconds(opt.shutdown_timeout_ms);
      rd_kafka_flush(producer.get(), kafka::timeout_ms(std::max<milliseconds>(remaining, 100ms)));
    }
    if (rd_kafka_outq_len(producer.get()) > 0) {
      dr::log::warn("{}: {} records not acknowledged at shutdown; they will be mirrored again on restart",
                    target_label, rd_kafka_outq_len(producer.get()));
      rd_kafka_purge(producer.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      auto until = Clock::now() + 5s;
      while (rd_kafka_outq_len(producer.get()) > 0 && Clock::now() < until) rd_kafka_poll(producer.get(), 50);
    }
    producer_poller_stop_ = true;
    producer_poller_.join();
  }
}

void Engine::check_fence() {
  std::optional<store::Link> now;
  {
    std::lock_guard lock(store_mu_);
    now = store::find_link_by_id(*store_, link_.id);
  }
  if (!now) throw Error(ErrorKind::refused, fmt::format("link {} vanished from the state file", link_.name), {.file = opt.state_path});
  if (now->state != store::LinkState::active || now->epoch != link_.epoch) {
    throw_refused(fmt::format("link {} was fenced (now {}, epoch {} -> {}{}{}): stopping this mirror", link_.name,
                              store::to_string(now->state), link_.epoch, now->epoch, now->state_reason.empty() ? "" : ": ",
                              now->state_reason),
                  {.file = opt.state_path});
  }
}

void Engine::check_liveness(kafka::Admin& admin, std::optional<Clock::time_point>& down_since) {
  const auto attempt = Clock::now();
  try {
    admin.ping(5s);
    if (down_since) dr::log::info("{} answers again", admin.label());
    down_since.reset();
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::access) throw;  // refused credentials are not an outage: waiting does not help
    if (stop) return;  // interrupted: the mirror is stopping
    if (!down_since) down_since = attempt;    // unreachable since the ping that got no answer was sent
    auto down_ms = std::chrono::duration_cast<milliseconds>(Clock::now() - *down_since).count();
    if (down_ms >= opt.unreachable_timeout_ms) {
      throw Error(ErrorKind::kafka,
                  fmt::format("{} unreachable for {} s (--unreachable-timeout-ms {}): {}", admin.label(), down_ms / 1000,
                              opt.unreachable_timeout_ms, e.message()),
                  {.cluster = admin.label(), .kafka_error = e.context().kafka_error});
    }
    dr::log::warn("{} unreachable for {} s ({}); retrying, giving up after {} s", admin.label(), down_ms / 1000, e.message(),
                  opt.unreachable_timeout_ms / 1000);
  }
}

MirrorSummary Engine::run() {
  build_configs();
  refuse_if_fenced();  // before any client exists: a dead primary must not delay the refusal
  selector_.emplace(opt.include, opt.exclude);
  if (!opt.groups.empty()) groups_.emplace(opt.groups);
  source_admin_ = std::make_unique<kafka::Admin>(source_config, source_label);
  target_admin_ = std::make_unique<kafka::Admin>(target_config, target_label);
  // Housekeeping against a dead cluster must not hold up a stop (a fence, a fatal error).
  source_admin_->interrupt_when(&stop);
  target_admin_->interrupt_when(&stop);
  for (auto [admin, id] : {std::pair{source_admin_.get(), &source_id}, std::pair{target_admin_.get(), &target_id}}) {
    auto answer = wait_for_cluster_id(*admin);
    if (!answer) {
      dr::log::info("stopped by signal while waiting for {} to answer; nothing was started", admin->label());
      return MirrorSummary{};
    }
    *id = std::move(*answer);
  }
  dr::log::info("{} has cluster id {}; {} has cluster id {}", source_label, source_id, target_label, target_id);
  if (source_id == target_id && rename_topic(opt.rename_template, "t", "s", "d") == "t") {
    throw_refused(fmt::format("source and target are the same cluster ({}) and --rename is the identity: every record "
                              "would be mirrored onto itself forever. Point --producer.config at the standby, or "
                              "rename (e.g. --rename '{{source}}.{{topic}}')",
                              source_id),
                  {.flag = "--producer.config"});
  }
  open_state();
  choose_member_identity();
  start_producer();
  sync_topics();
  if (opt.until_caught_up) capture_end_offsets();
  for (int i = 0; i < opt.num_streams; ++i) streams_.push_back(std::make_unique<Stream>(*this, i));
  for (auto& s : streams_) s->start();
  heartbeat("running");
  // A failover fences the link: notice it within seconds, whatever the clusters are doing.
  fence_watcher_ = std::thread([this] {
    while (!stop) {
      for (int i = 0; i < 20 && !stop; ++i) std::this_thread::sleep_for(100ms);
      if (stop) break;
      try {
        check_fence();
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::refused) on_fenced(e);
        else fail(e);
        break;
      }
      try {
        heartbeat("running");
      } catch (const Error& e) {
        fail(e);
      }
    }
  });

  MirrorSummary summary;
  auto last_sync = Clock::now(), last_liveness = Clock::now(), last_progress = Clock::now();
  auto last_prune = Clock::now();
  auto last_checkpoint = Clock::time_point{};  // the first checkpoint right away
  std::optional<Clock::time_point> source_down, target_down;
  try {
    while (!stop) {
      std::this_thread::sleep_for(100ms);
      if (stop_requested()) {
        dr::log::info("stop requested: finishing in-flight records, persisting the mapping, committing offsets");
        break;
      }
      const auto now = Clock::now();
      if (now - last_liveness >= kLivenessEvery) {
        check_liveness(*source_admin_, source_down);
        check_liveness(*target_admin_, target_down);
        last_liveness = Clock::now();
      }
      if (source_down || target_down) continue;  // no slow calls to a cluster that does not answer
      // Housekeeping against the clusters: a Kafka failure is logged and retried next time.
      auto periodic = [&](Clock::time_point& last, milliseconds every, const char* what, auto&& task) {
        if (Clock::now() - last < every) return;
        try {
          task();
        } catch (const Error& e) {
          if (e.kind() != ErrorKind::kafka) throw;
          dr::log::warn("{} skipped: {}", what, e.what());
        }
        last = Clock::now();
      };
      if (sync_requested.exchange(false)) last_sync = Clock::time_point{};
      periodic(last_sync, milliseconds(opt.topic_refresh_ms), "topic refresh", [&] { sync_topics(); });
      periodic(last_prune, milliseconds(opt.prune_interval_ms), "mapping prune", [&] { prune_mapping(); });
      periodic(last_checkpoint, milliseconds(opt.checkpoint_interval_ms), "group checkpoint", [&] { checkpoint_groups(); });
      if (now - last_progress >= kProgressEvery) {
        log_progress();
        last_progress = now;
      }
      if (opt.until_caught_up && caught_up()) {
        dr::log::info("caught up: every partition is mirrored up to its end offset at start");
        summary.ending = MirrorSummary::Ending::caught_up;
        break;
      }
    }
  } catch (const Error& e) {
    fail(e);
  }
  if (!failed() && !source_down) {
    try {
      checkpoint_groups();  // where the groups stood when the mirror stopped
    } catch (const Error& e) {
      dr::log::warn("final group checkpoint skipped: {}", e.what());
    }
  }
  begin_stop(milliseconds(opt.shutdown_timeout_ms));
  stop_pipeline();
  log_progress();
  summary.records_mirrored = shared.mirrored.load();
  summary.records_skipped = shared.skipped.load();
  summary.records_filtered = shared.filtered.load();
  summary.topics = subscription();
  {
    std::lock_guard lock(fatal_mu_);
    try {
      heartbeat(!fatal_ ? "stopped" : fatal_->kind() == ErrorKind::refused ? "refused" : "failed");
    } catch (const Error& e) {
      dr::log::error("cannot record the final heartbeat: {}", e.what());
    }
    if (fatal_) throw *fatal_;
  }
  if (opt.until_caught_up && !refused_topics_.empty()) {
    throw_refused(fmt::format("caught up, but these topics were refused and not mirrored: {}", fmt::join(refused_topics_, ", ")));
  }
  return summary;
}

}  // namespace detail

void validate_options(const MirrorOptions& o) {
  if (o.consumer_config.empty()) throw_bad_input("required", {.flag = "--consumer.config"});
  if (o.producer_config.empty()) throw_bad_input("required", {.flag = "--producer.config"});
  TopicSelector selector(o.include, o.exclude);  // throws on a bad regex
  validate_rename_template(o.rename_template);
  if (!o.groups.empty()) {
    try {
      std::regex check(o.groups);
    } catch (const std::regex_error& e) {
      throw_bad_input(fmt::format("invalid regular expression '{}': {}", o.groups, e.what()), {.flag = "--groups"});
    }
  }
  for (const auto& [alias, flag] : {std::pair{o.source_alias, "--source-alias"}, std::pair{o.target_alias, "--target-alias"}}) {
    for (char c : alias) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
        throw_bad_input(fmt::format("alias '{}' may use letters, digits, '.', '_' and '-' only", alias), {.flag = flag});
      }
    }
  }
  auto positive = [](int64_t v, const char* flag) {
    if (v <= 0) throw_bad_input(fmt::format("must be positive (got {})", v), {.flag = flag});
  };
  if (!o.instance_id.empty() && !valid_group_instance_id(o.instance_id + "-00")) {
    throw_bad_input(fmt::format("'{}': use 1 to 245 letters, digits, '.', '_' and '-' (Kafka's group.instance.id rules; "
                                "dr-mirror appends -<stream>)",
                                o.instance_id),
                    {.flag = "--instance-id"});
  }
  positive(o.num_streams, "--num.streams");
  if (o.num_streams > 64) throw_bad_input("at most 64 streams per process", {.flag = "--num.streams"});
  positive(o.commit_interval_ms, "--offset.commit.interval.ms");
  positive(o.checkpoint_interval_ms, "--checkpoint-interval-ms");
  positive(o.topic_refresh_ms, "--topic-refresh-ms");
  positive(o.prune_interval_ms, "--prune-interval-ms");
  positive(o.unreachable_timeout_ms, "--unreachable-timeout-ms");
  positive(o.shutdown_timeout_ms, "--shutdown-timeout-ms");
  if (o.replication_factor == 0 || o.replication_factor < -1) {
    throw_bad_input("must be -1 (broker default) or positive", {.flag = "--replication-factor"});
  }
}

MirrorSummary run_mirror(const MirrorOptions& options) {
  validate_options(options);
  detail::Engine engine(options);
  return engine.run();
}

}  // namespace dr::mirror
