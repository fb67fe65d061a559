// Admin: the admin requests the tools make (metadata, topics, watermarks, group offsets).
#include <algorithm>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "dr/error.hpp"
#include "dr/kafka/client.hpp"
#include "dr/log.hpp"
#include "kafka/client_common.hpp"

namespace dr::kafka {

// ---------------------------------------------------------------------------------------------
// Admin

[[noreturn]] static void throw_interrupted(const std::string& cluster) {
  throw Error(ErrorKind::kafka, "request abandoned: stopping", {.cluster = cluster, .kafka_error = "_INTR"});
}

struct Admin::Impl : ClientContext {
  KafkaHandle rk;
  QueueHandle queue;
  const std::atomic<bool>* interrupt = nullptr;

  bool interrupted() const { return interrupt && interrupt->load(); }

  // A blocking librdkafka call made in slices while it times out, so that an interrupt is noticed
  // within 2 s. Each slice sends its request again, so slices grow (250 ms, 500 ms, 1 s, then
  // 2 s): a cluster a long round trip away still answers. `call(ms)` returns true when done.
  template <typename Call>
  void sliced(std::chrono::milliseconds timeout, Call&& call) {
    if (!interrupt) {
      call(timeout_ms(timeout));
      return;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::chrono::milliseconds slice(250);
    for (;;) {
      if (interrupted()) throw_interrupted(cluster);
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      const bool last = left <= slice;
      if (call(timeout_ms(last ? std::max(left, std::chrono::milliseconds(1)) : slice)) || last) return;
      slice = std::min<std::chrono::milliseconds>(slice * 2, std::chrono::seconds(2));
    }
  }

  // Waits for the admin result event of `type`.
  EventHandle wait_for(rd_kafka_event_type_t type, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout + std::chrono::seconds(1);
    while (std::chrono::steady_clock::now() < deadline) {
      throw_if_refused(rk.get(), *this);
      if (interrupted()) throw_interrupted(cluster);
      EventHandle ev{rd_kafka_queue_poll(queue.get(), 100)};
      if (!ev) continue;
      if (rd_kafka_event_type(ev.get()) == type) return ev;
    }
    throw_kafka(*this, "admin request timed out", {.cluster = cluster, .kafka_error = "_TIMED_OUT"});
  }

  AdminOptionsHandle options(rd_kafka_admin_op_t op, std::chrono::milliseconds timeout) {
    AdminOptionsHandle opts{rd_kafka_AdminOptions_new(rk.get(), op)};
    char errstr[256];
    rd_kafka_AdminOptions_set_request_timeout(opts.get(), timeout_ms(timeout), errstr, sizeof errstr);
    rd_kafka_AdminOptions_set_operation_timeout(opts.get(), timeout_ms(timeout), errstr, sizeof errstr);
    return opts;
  }
};

Admin::Admin(const ClientConfig& config, std::string label) : impl_(std::make_unique<Impl>()) {
  impl_->cluster = std::move(label);
  impl_->quiet_role_warnings = true;
  // A consumer-type handle with a group of its own that never joins: librdkafka (2.0.2 and later,
  // upstream issue 5040) answers an OffsetFetch error such as NOT_COORDINATOR, which brokers return
  // while a coordinator moves or __consumer_offsets is still being created, by asking the handle's
  // consumer group to look its coordinator up again, and a producer-type handle has no group, so
  // ListConsumerGroupOffsets crashed the process. With a group the lookup is harmless and the error
  // reaches list_group_offsets(), which retries.
  ClientConfig c = config;
  c.erase("group.instance.id");
  c.set_default("group.id", "kafka-dr-admin");
  c.set_default("enable.auto.commit", "false");
  impl_->rk = make_client(RD_KAFKA_CONSUMER, c, *impl_);
  impl_->queue.reset(rd_kafka_queue_new(impl_->rk.get()));
}

Admin::~Admin() = default;

void Admin::interrupt_when(const std::atomic<bool>* flag) noexcept { impl_->interrupt = flag; }

std::string Admin::cluster_id(std::chrono::milliseconds timeout) {
  // In slices, so a refused login ends the wait at once instead of after the whole timeout.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char* id = nullptr;
  for (;;) {
    if (impl_->interrupted()) throw_interrupted(impl_->cluster);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    id = rd_kafka_clusterid(impl_->rk.get(), timeout_ms(std::min<std::chrono::milliseconds>(left, std::chrono::milliseconds(200))));
    if (id || left.count() <= 0) break;
    throw_if_refused(impl_->rk.get(), *impl_);
  }
  if (!id) {
    throw_kafka(*impl_, fmt::format("cluster did not answer a metadata request within {} ms", timeout.count()),
                {.cluster = impl_->cluster, .kafka_error = "_TIMED_OUT"});
  }
  impl_->clear_access_failure();
  std::string out = id;
  rd_kafka_mem_free(impl_->rk.get(), id);
  return out;
}

void Admin::ping(std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  impl_->sliced(timeout, [&](int ms) {
    err = rd_kafka_metadata(impl_->rk.get(), 0, nullptr, &md, ms);
    return err != RD_KAFKA_RESP_ERR__TIMED_OUT;
  });
  if (md) rd_kafka_metadata_destroy(md);
  rd_kafka_poll(impl_->rk.get(), 0);  // serve the error callback: a refused login is the real cause
  if (err) throw_kafka(*impl_, fmt::format("no broker answered within {} ms", timeout.count()), kafka_context(impl_->cluster, err));
  impl_->clear_access_failure();
}

std::vector<TopicInfo> Admin::list_topics(std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  impl_->sliced(timeout, [&](int ms) {
    err = rd_kafka_metadata(impl_->rk.get(), 1, nullptr, &md, ms);
    return err != RD_KAFKA_RESP_ERR__TIMED_OUT;
  });
  if (err) throw_kafka(*impl_, "cannot read cluster metadata", kafka_context(impl_->cluster, err));
  std::unique_ptr<const rd_kafka_metadata_t, void (*)(const rd_kafka_metadata_t*)> guard(md, rd_kafka_metadata_destroy);
  std::vector<TopicInfo> out;
  for (int i = 0; i < md->topic_cnt; ++i) {
    const auto& t = md->topics[i];
    if (t.err) continue;
    TopicInfo info{t.topic, {}};
    for (int p = 0; p < t.partition_cnt; ++p) {
      info.partitions.push_back({t.partitions[p].id, t.partitions[p].leader, t.partitions[p].replica_cnt});
    }
    std::sort(info.partitions.begin(), info.partitions.end(), [](auto& a, auto& b) { return a.id < b.id; });
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

void Admin::create_topic(const std::string& name, int partitions, int replication_factor,
                         const std::map<std::string, std::string>& configs, std::chrono::milliseconds timeout) {
  char errstr[512];
  NewTopicHandle nt{rd_kafka_NewTopic_new(name.c_str(), partitions, replication_factor, errstr, sizeof errstr)};
  if (!nt) throw Error(ErrorKind::bad_input, fmt::format("invalid topic: {}", errstr), {.cluster = impl_->cluster, .topic = name});
  for (const auto& [k, v] : configs) rd_kafka_NewTopic_set_config(nt.get(), k.c_str(), v.c_str());
  rd_kafka_NewTopic_t* arr[] = {nt.get()};
  AdminOptionsHandle opts = impl_->options(RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout);
  rd_kafka_CreateTopics(impl_->rk.get(), arr, 1, opts.get(), impl_->queue.get());
  EventHandle ev = impl_->wait_for(RD_KAFKA_EVENT_CREATETOPICS_RESULT, timeout);
  if (rd_kafka_event_error(ev.get())) {
    throw_kafka(*impl_, fmt::format("create topic failed: {}", rd_kafka_event_error_string(ev.get())),
                {.cluster = impl_->cluster, .topic = name, .kafka_error = rd_kafka_err2name(rd_kafka_event_error(ev.get()))});
  }
  size_t cnt = 0;
  const rd_kafka_topic_result_t** res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &cnt);
  for (size_t i = 0; i < cnt; ++i) {
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
    if (err) {
      const char* msg = rd_kafka_topic_result_error_string(res[i]);
      throw_kafka(*impl_, fmt::format("create topic failed: {}", msg ? msg : rd_kafka_err2str(err)),
                  {.cluster = impl_->cluster, .topic = name, .kafka_error = rd_kafka_err2name(err)});
    }
  }
}

void Admin::delete_topic(const std::string& name, std::chrono::milliseconds timeout) {
  Handle<rd_kafka_DeleteTopic_t, rd_kafka_DeleteTopic_destroy> dt{rd_kafka_DeleteTopic_new(name.c_str())};
  rd_kafka_DeleteTopic_t* arr[] = {dt.get()};
  AdminOptionsHandle opts = impl_->options(RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout);
  rd_kafka_DeleteTopics(impl_->rk.get(), arr, 1, opts.get(), impl_->queue.get());
  EventHandle ev = impl_->wait_for(RD_KAFKA_EVENT_DELETETOPICS_RESULT, timeout);
  size_t cnt = 0;
  const rd_kafka_topic_result_t** res = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev.get()), &cnt);
  for (size_t i = 0; i < cnt; ++i) {
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
    if (err) {
      throw_kafka(*impl_, fmt::format("delete topic failed: {}", rd_kafka_err2str(err)),
                  {.cluster = impl_->cluster, .topic = name, .kafka_error = rd_kafka_err2name(err)});
    }
  }
}

void Admin::delete_group(const std::string& group, std::chrono::milliseconds timeout) {
  Handle<rd_kafka_DeleteGroup_t, rd_kafka_DeleteGroup_destroy> dg{rd_kafka_DeleteGroup_new(group.c_str())};
  rd_kafka_DeleteGroup_t* arr[] = {dg.get()};
  AdminOptionsHandle opts = impl_->options(RD_KAFKA_ADMIN_OP_DELETEGROUPS, timeout);
  rd_kafka_DeleteGroups(impl_->rk.get(), arr, 1, opts.get(), impl_->queue.get());
  EventHandle ev = impl_->wait_for(RD_KAFKA_EVENT_DELETEGROUPS_RESULT, timeout);
  size_t cnt = 0;
  const rd_kafka_group_result_t** res = rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev.get()), &cnt);
  for (size_t i = 0; i < cnt; ++i) {
    const rd_kafka_error_t* err = rd_kafka_group_result_error(res[i]);
    if (err && rd_kafka_error_code(err) != RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
      throw_kafka(*impl_, fmt::format("delete group {} failed: {}", group, rd_kafka_error_string(err)),
                  {.cluster = impl_->cluster, .kafka_error = rd_kafka_err2name(rd_kafka_error_code(err))});
    }
  }
}

Watermarks Admin::watermarks(const std::string& topic, int32_t partition, std::chrono::milliseconds timeout) {
  Watermarks w;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  impl_->sliced(timeout, [&](int ms) {
    err = rd_kafka_query_watermark_offsets(impl_->rk.get(), topic.c_str(), partition, &w.low, &w.high, ms);
    return err != RD_KAFKA_RESP_ERR__TIMED_OUT;
  });
  if (err) {
    ErrorContext ctx = kafka_context(impl_->cluster, err);
    ctx.topic = topic;
    ctx.partition = partition;
    throw_kafka(*impl_, "cannot read watermark offsets", ctx);
  }
  return w;
}

const std::string& Admin::label() const { return impl_->cluster; }

std::map<std::string, TopicConfigValue> Admin::describe_topic_configs(const std::string& topic,
                                                                      std::chrono::milliseconds timeout) {
  ConfigResourceHandle res{rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str())};
  rd_kafka_ConfigResource_t* arr[] = {res.get()};
  AdminOptionsHandle opts = impl_->options(RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout);
  rd_kafka_DescribeConfigs(impl_->rk.get(), arr, 1, opts.get(), impl_->queue.get());
  EventHandle ev = impl_->wait_for(RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, timeout);
  ErrorContext ctx{.cluster = impl_->cluster, .topic = topic};
  if (rd_kafka_resp_err_t err = rd_kafka_event_error(ev.get())) {
    ctx.kafka_error = rd_kafka_err2name(err);
    throw_kafka(*impl_, fmt::format("describe topic configs failed: {}", rd_kafka_event_error_string(ev.get())), ctx);
  }
  size_t cnt = 0;
  const rd_kafka_ConfigResource_t** results =
      rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev.get()), &cnt);
  std::map<std::string, TopicConfigValue> out;
  for (size_t i = 0; i < cnt; ++i) {
    if (rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(results[i])) {
      ctx.kafka_error = rd_kafka_err2name(err);
      throw_kafka(*impl_, fmt::format("describe topic configs failed: {}", rd_kafka_err2str(err)), ctx);
    }
    size_t n = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(results[i], &n);
    for (size_t j = 0; j < n; ++j) {
      const char* v = rd_kafka_ConfigEntry_value(entries[j]);
      out[rd_kafka_ConfigEntry_name(entries[j])] = {
          v ? v : "", rd_kafka_ConfigEntry_source(entries[j]) == RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG,
          rd_kafka_ConfigEntry_is_sensitive(entries[j]) != 0};
    }
  }
  return out;
}

int64_t Admin::delete_records(const std::string& topic, int32_t partition, int64_t before_offset,
                              std::chrono::milliseconds timeout) {
  PartitionListHandle list{rd_kafka_topic_partition_list_new(1)};
  rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition)->offset =
      before_offset < 0 ? RD_KAFKA_OFFSET_END : before_offset;
  DeleteRecordsHandle req{rd_kafka_DeleteRecords_new(list.get())};
  rd_kafka_DeleteRecords_t* arr[] = {req.get()};
  AdminOptionsHandle opts = impl_->options(RD_KAFKA_ADMIN_OP_DELETERECORDS, timeout);
  rd_kafka_DeleteRecords(impl_->rk.get(), arr, 1, opts.get(), impl_->queue.get());
  EventHandle ev = impl_->wait_for(RD_KAFKA_EVENT_DELETERECORDS_RESULT, timeout);
  ErrorContext ctx{.cluster = impl_->cluster, .topic = topic, .partition = partition};
  if (rd_kafka_resp_err_t err = rd_kafka_event_error(ev.get())) {
    ctx.kafka_error = rd_kafka_err2name(err);
    throw_kafka(*impl_, fmt::format("delete records failed: {}", rd_kafka_event_error_string(ev.get())), ctx);
  }
  const rd_kafka_topic_partition_list_t* res =
      rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev.get()));
  if (!res || res->cnt != 1) throw_kafka(*impl_, "delete records: no result", ctx);
  if (res->elems[0].err) {
    ctx.kafka_error = rd_kafka_err2name(res->elems[0].err);
    throw_kafka(*impl_, fmt::format("delete records failed: {}", rd_kafka_err2str(res->elems[0].err)), ctx);
  }
  return res->elems[0].offset;
}

void Admin::create_partitions(const std::string& topic, int total, std::chrono::milliseconds timeout) {
  char errstr[512];
  NewPartitionsHandle np{rd_kafka_NewPartitions_new(topic.c_str(), static_cast<size_t>(total), errstr, sizeof errstr)};
  if (!np) throw Error(ErrorKind::bad_input, fmt::format("invalid partition count: {}", errstr), {.cluster = impl_->cluster, .topic = topic});
  rd_kafka_NewPartitions_t* arr[] = {np.get()};
  AdminOptionsHandle opts = impl_->options(RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, timeout);
  rd_kafka_CreatePartitions(impl_->rk.get(), arr, 1, opts.get(), impl_->queue.get());
  EventHandle ev = impl_->wait_for(RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT, timeout);
  ErrorContext ctx{.cluster = impl_->cluster, .topic = topic};
  if (rd_kafka_resp_err_t err = rd_kafka_event_error(ev.get())) {
    ctx.kafka_error = rd_kafka_err2name(err);
    throw_kafka(*impl_, fmt::format("create partitions failed: {}", rd_kafka_event_error_string(ev.get())), ctx);
  }
  size_t cnt = 0;
  const rd_kafka_topic_result_t** res =
      rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev.get()), &cnt);
  for (size_t i = 0; i < cnt; ++i) {
    if (rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i])) {
      const char* msg = rd_kafka_topic_result_error_string(res[i]);
      ctx.kafka_error = rd_kafka_err2name(err);
      throw_kafka(*impl_, fmt::format("create partitions failed: {}", msg ? msg : rd_kafka_err2str(err)), ctx);
    }
  }
}

std::vector<GroupOffset> Admin::list_group_offsets(const std::string& group, std::chrono::milliseconds timeout) {
  std::map<std::string, std::string> errors;
  auto all = list_group_offsets(std::vector<std::string>{group}, timeout, &errors);
  if (!errors.empty()) {
    throw_kafka(*impl_, fmt::format("list offsets of group '{}' failed: {}", group, errors.begin()->second),
                {.cluster = impl_->cluster});
  }
  return all[group];
}

std::vector<std::string> Admin::list_groups(std::chrono::milliseconds timeout) {
  AdminOptionsHandle opts = impl_->options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout);
  rd_kafka_ListConsumerGroups(impl_->rk.get(), opts.get(), impl_->queue.get());
  EventHandle ev = impl_->wait_for(RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, timeout);
  if (rd_kafka_resp_err_t err = rd_kafka_event_error(ev.get())) {
    throw_kafka(*impl_, fmt::format("list consumer groups failed: {}", rd_kafka_event_error_string(ev.get())),
                kafka_context(impl_->cluster, err));
  }
  const rd_kafka_ListConsumerGroups_result_t* res = rd_kafka_event_ListConsumerGroups_result(ev.get());
  size_t cnt = 0;
  const rd_kafka_ConsumerGroupListing_t** groups = rd_kafka_ListConsumerGroups_result_valid(res, &cnt);
  std::vector<std::string> out;
  for (size_t i = 0; i < cnt; ++i) out.emplace_back(rd_kafka_ConsumerGroupListing_group_id(groups[i]));
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

// One admin request per item, all in flight at once, matched back by their opaque index.
// A fresh queue per call, so a late answer to an abandoned call is never taken for this one's.
template <typename Issue, typename Handle>
void in_parallel(rd_kafka_t* rk, size_t count, rd_kafka_admin_op_t op, rd_kafka_event_type_t type,
                 std::chrono::milliseconds timeout, const ClientContext& client, const std::atomic<bool>* interrupt,
                 Issue&& issue, Handle&& handle) {
  constexpr size_t kMaxInFlight = 64;
  QueueHandle owned_queue{rd_kafka_queue_new(rk)};
  rd_kafka_queue_t* queue = owned_queue.get();
  size_t next = 0, done = 0;
  auto deadline = std::chrono::steady_clock::now() + timeout + std::chrono::seconds(1);
  size_t in_flight = 0;
  while (done < count) {
    while (next < count && in_flight < kMaxInFlight) {
      AdminOptionsHandle opts{rd_kafka_AdminOptions_new(rk, op)};
      char errstr[256];
      rd_kafka_AdminOptions_set_request_timeout(opts.get(), timeout_ms(timeout), errstr, sizeof errstr);
      rd_kafka_AdminOptions_set_opaque(opts.get(), reinterpret_cast<void*>(next + 1));
      issue(next, opts.get(), queue);
      ++next;
      ++in_flight;
    }
    if (interrupt && interrupt->load()) throw_interrupted(client.cluster);
    if (std::chrono::steady_clock::now() > deadline) {
      throw_kafka(client, fmt::format("{} of {} admin requests unanswered", count - done, count),
                  {.cluster = client.cluster, .kafka_error = "_TIMED_OUT"});
    }
    throw_if_refused(rk, client);
    EventHandle ev{rd_kafka_queue_poll(queue, 100)};
    if (!ev || rd_kafka_event_type(ev.get()) != type) continue;
    const size_t index = reinterpret_cast<size_t>(rd_kafka_event_opaque(ev.get())) - 1;
    handle(index, ev.get());
    ++done;
    --in_flight;
  }
}

}  // namespace

namespace {

// Group coordinator errors that clear up by themselves (a fresh cluster creating __consumer_offsets,
// a coordinator moving): the request is sent again.
bool coordinator_retriable(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_NOT_COORDINATOR || err == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE ||
         err == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS || err == RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE;
}

// Runs `attempt` on the pending groups until none fails with a retriable error or time is up.
// `attempt` returns the groups to try again.
template <typename Attempt>
void with_coordinator_retries(std::vector<std::string> pending, std::chrono::milliseconds timeout, Attempt&& attempt) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    pending = attempt(pending, std::chrono::steady_clock::now() >= deadline);
    if (pending.empty()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

}  // namespace

std::map<std::string, std::vector<GroupOffset>> Admin::list_group_offsets(const std::vector<std::string>& groups,
                                                                          std::chrono::milliseconds timeout,
                                                                          std::map<std::string, std::string>* errors) {
  std::map<std::string, std::vector<GroupOffset>> out;
  with_coordinator_retries(groups, timeout, [&](const std::vector<std::string>& batch, bool last_try) {
    std::vector<std::string> again;
    in_parallel(
        impl_->rk.get(), batch.size(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT,
        timeout, *impl_, impl_->interrupt,
        [&](size_t i, rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
          Handle<rd_kafka_ListConsumerGroupOffsets_t, rd_kafka_ListConsumerGroupOffsets_destroy> req{
              rd_kafka_ListConsumerGroupOffsets_new(batch[i].c_str(), nullptr)};
          rd_kafka_ListConsumerGroupOffsets_t* arr[] = {req.get()};
          rd_kafka_ListConsumerGroupOffsets(impl_->rk.get(), arr, 1, opts, q);
        },
        [&](size_t i, rd_kafka_event_t* ev) {
          const std::string& group = batch[i];
          auto fail = [&](rd_kafka_resp_err_t err, const std::string& why) {
            if (coordinator_retriable(err) && !last_try) again.push_back(group);
            else if (errors) (*errors)[group] = why;
          };
          if (rd_kafka_resp_err_t err = rd_kafka_event_error(ev)) return fail(err, rd_kafka_event_error_string(ev));
          size_t cnt = 0;
          const rd_kafka_group_result_t** res =
              rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(ev), &cnt);
          std::vector<GroupOffset> list;
          for (size_t g = 0; g < cnt; ++g) {
            if (const rd_kafka_error_t* gerr = rd_kafka_group_result_error(res[g])) {
              return fail(rd_kafka_error_code(gerr), rd_kafka_error_string(gerr));
            }
            const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(res[g]);
            for (int j = 0; parts && j < parts->cnt; ++j) {
              if (parts->elems[j].err || parts->elems[j].offset < 0) continue;
              list.push_back({parts->elems[j].topic, parts->elems[j].partition, parts->elems[j].offset});
            }
          }
          out[group] = std::move(list);
        });
    return again;
  });
  return out;
}

std::map<std::string, GroupDescription> Admin::describe_groups(const std::vector<std::string>& groups,
                                                               std::chrono::milliseconds timeout) {
  std::map<std::string, GroupDescription> out;
  with_coordinator_retries(groups, timeout, [&](const std::vector<std::string>& pending, bool last_try) {
    std::vector<std::string> again;
    constexpr size_t kBatch = 50;
    const size_t batches = (pending.size() + kBatch - 1) / kBatch;
    std::vector<std::vector<const char*>> names(batches);
    for (size_t i = 0; i < pending.size(); ++i) names[i / kBatch].push_back(pending[i].c_str());
    in_parallel(
        impl_->rk.get(), batches, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, timeout,
        *impl_, impl_->interrupt,
        [&](size_t b, rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
          rd_kafka_DescribeConsumerGroups(impl_->rk.get(), names[b].data(), names[b].size(), opts, q);
        },
        [&](size_t b, rd_kafka_event_t* ev) {
          if (rd_kafka_resp_err_t err = rd_kafka_event_error(ev)) {
            if (coordinator_retriable(err) && !last_try) {
              again.insert(again.end(), names[b].begin(), names[b].end());
              return;
            }
            throw_kafka(*impl_, fmt::format("describe consumer groups failed: {}", rd_kafka_event_error_string(ev)),
                        kafka_context(impl_->cluster, err));
          }
          size_t cnt = 0;
          const rd_kafka_ConsumerGroupDescription_t** res =
              rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(ev), &cnt);
          for (size_t g = 0; g < cnt; ++g) {
            const char* id = rd_kafka_ConsumerGroupDescription_group_id(res[g]);
            GroupDescription d;
            if (const rd_kafka_error_t* gerr = rd_kafka_ConsumerGroupDescription_error(res[g])) {
              const rd_kafka_resp_err_t code = rd_kafka_error_code(gerr);
              if (coordinator_retriable(code) && !last_try) {
                again.emplace_back(id);
                continue;
              }
              if (code != RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
                throw_kafka(*impl_, fmt::format("describe group '{}' failed: {}", id, rd_kafka_error_string(gerr)),
                            kafka_context(impl_->cluster, code));
              }
              d.state = "Dead";
            } else {
              d.state = rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(res[g]));
              d.members = static_cast<int>(rd_kafka_ConsumerGroupDescription_member_count(res[g]));
            }
            out[id] = d;
          }
        });
    return again;
  });
  return out;
}

std::map<std::string, std::string> Admin::alter_group_offsets(const std::map<std::string, std::vector<GroupOffset>>& offsets,
                                                              std::chrono::milliseconds timeout) {
  std::map<std::string, std::string> errors;
  std::vector<std::string> all;
  for (const auto& [group, list] : offsets) all.push_back(group);
  with_coordinator_retries(all, timeout, [&](const std::vector<std::string>& batch, bool last_try) {
    std::vector<std::string> again;
    in_parallel(
        impl_->rk.get(), batch.size(), RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT,
        timeout, *impl_, impl_->interrupt,
        [&](size_t i, rd_kafka_AdminOptions_t* opts, rd_kafka_queue_t* q) {
          const auto& list = offsets.at(batch[i]);
          PartitionListHandle parts{rd_kafka_topic_partition_list_new(static_cast<int>(list.size()))};
          for (const GroupOffset& o : list) rd_kafka_topic_partition_list_add(parts.get(), o.topic.c_str(), o.partition)->offset = o.offset;
          Handle<rd_kafka_AlterConsumerGroupOffsets_t, rd_kafka_AlterConsumerGroupOffsets_destroy> req{
              rd_kafka_AlterConsumerGroupOffsets_new(batch[i].c_str(), parts.get())};
          rd_kafka_AlterConsumerGroupOffsets_t* arr[] = {req.get()};
          rd_kafka_AlterConsumerGroupOffsets(impl_->rk.get(), arr, 1, opts, q);
        },
        [&](size_t i, rd_kafka_event_t* ev) {
          const std::string& group = batch[i];
          auto fail = [&](rd_kafka_resp_err_t err, const std::string& why) {
            if (coordinator_retriable(err) && !last_try) again.push_back(group);
            else errors[group] = why;
          };
          if (rd_kafka_resp_err_t err = rd_kafka_event_error(ev)) return fail(err, rd_kafka_event_error_string(ev));
          size_t cnt = 0;
          const rd_kafka_group_result_t** res =
              rd_kafka_AlterConsumerGroupOffsets_result_groups(rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &cnt);
          for (size_t g = 0; g < cnt; ++g) {
            if (const rd_kafka_error_t* gerr = rd_kafka_group_result_error(res[g])) {
              return fail(rd_kafka_error_code(gerr), rd_kafka_error_string(gerr));
            }
            const rd_kafka_topic_partition_list_t* parts = rd_kafka_group_result_partitions(res[g]);
            for (int j = 0; parts && j < parts->cnt; ++j) {
              if (parts->elems[j].err) {
                return fail(parts->elems[j].err, fmt::format("{}/{}: {}", parts->elems[j].topic, parts->elems[j].partition,
                                                             rd_kafka_err2str(parts->elems[j].err)));
              }
            }
          }
        });
    return again;
  });
  return errors;
}

std::vector<int64_t> Admin::offsets_for_times(const std::string& topic, const std::vector<int32_t>& partitions,
                                              int64_t timestamp_ms, std::chrono::milliseconds timeout) {
  PartitionListHandle list{rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size()))};
  for (int32_t p : partitions) rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset = timestamp_ms;
  rd_kafka_resp_err_t err = rd_kafka_offsets_for_times(impl_->rk.get(), list.get(), timeout_ms(timeout));
  ErrorContext ctx{.cluster = impl_->cluster, .topic = topic};
  if (err) {
    ctx.kafka_error = rd_kafka_err2name(err);
    throw_kafka(*impl_, fmt::format("offsets for time failed: {}", rd_kafka_err2str(err)), ctx);
  }
  std::vector<int64_t> out;
  for (int i = 0; i < list->cnt; ++i) {
    if (list->elems[i].err) {
      ctx.partition = list->elems[i].partition;
      ctx.kafka_error = rd_kafka_err2name(list->elems[i].err);
      throw_kafka(*impl_, fmt::format("offsets for time failed: {}", rd_kafka_err2str(list->elems[i].err)), ctx);
    }
    out.push_back(list->elems[i].offset);
  }
  return out;
}

}  // namespace dr::kafka
