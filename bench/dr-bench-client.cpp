// dr-bench-client: the benchmarks' data generator, ceiling producer/consumer and referee.
// Every command prints exactly one JSON object on stdout; diagnostics go to stderr.
// It talks to librdkafka directly (the ceiling must not pay for any libdr abstraction).
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dr/error.hpp"
#include "dr/kafka/client.hpp"
#include "kafka/handles.hpp"

using dr::kafka::ConfHandle;
using dr::kafka::KafkaHandle;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

KafkaHandle make(rd_kafka_type_t type, const std::map<std::string, std::string>& props,
                 void (*dr_cb)(rd_kafka_t*, const rd_kafka_message_t*, void*) = nullptr) {
  ConfHandle conf{rd_kafka_conf_new()};
  char err[512];
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      throw std::runtime_error(fmt::format("{}={}: {}", k, v, err));
    }
  }
  if (dr_cb) rd_kafka_conf_set_dr_msg_cb(conf.get(), dr_cb);
  KafkaHandle rk{rd_kafka_new(type, conf.get(), err, sizeof err)};
  if (!rk) throw std::runtime_error(err);
  (void)conf.release();
  return rk;
}

dr::kafka::ClientConfig admin_config(const std::string& bootstrap) {
  dr::kafka::ClientConfig c(dr::kafka::ClientRole::admin);
  c.set_default("bootstrap.servers", bootstrap);
  return c;
}

std::vector<int64_t> end_offsets(dr::kafka::Admin& admin, const std::string& topic) {
  std::vector<int64_t> out;
  for (const auto& t : admin.list_topics(30s)) {
    if (t.name != topic) continue;
    for (const auto& p : t.partitions) out.push_back(admin.watermarks(topic, p.id, 30s).high);
  }
  return out;
}

json rate_json(int64_t records, int64_t bytes, double secs) {
  return {{"records", records},
          {"bytes", bytes},
          {"seconds", secs},
          {"records_per_s", secs > 0 ? static_cast<double>(records) / secs : 0.0},
          {"mb_per_s", secs > 0 ? static_cast<double>(bytes) / secs / 1e6 : 0.0}};
}

std::atomic<int64_t> g_failed{0};
void count_failures(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  if (m->err) {
    if (g_failed.fetch_add(1) == 0) fmt::print(stderr, "delivery failed: {}\n", rd_kafka_err2str(m->err));
  }
}

int fill(const std::string& bootstrap, const std::string& topic, int partitions, int64_t records, int size,
         const std::string& payload, const std::string& compression, bool create) {
  if (create) {
    dr::kafka::Admin admin(admin_config(bootstrap));
    admin.create_topic(topic, partitions, -1, {}, 60s);
  }
  KafkaHandle rk = make(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap},
                                            {"acks", "all"},
                                            {"enable.idempotence", "true"},
                                            {"linger.ms", "5"},
                                            {"batch.size", "1000000"},
                                            {"compression.type", compression}},
                        count_failures);
  // Each record's value is its id followed by a slice of a filler buffer. "random": the slice starts
  // at a random place in 4 MiB of random bytes, so neither a record nor a batch compresses (one
  // shared slice would let lz4 find every record's bytes in the record before). "compressible": a
  // short repeating text, which lz4 shrinks about 50 times.
  std::string filler;
  std::mt19937_64 rng(42);
  if (payload == "random") {
    filler.resize((size_t{4} << 20) + static_cast<size_t>(size));
    for (char& c : filler) c = static_cast<char>(rng());
  } else {
    filler.resize(static_cast<size_t>(size) + 64);
    for (size_t i = 0; i < filler.size(); ++i) filler[i] = "abcdefghij"[(i / 16) % 10];
  }
  const size_t slice_starts = filler.size() - static_cast<size_t>(size) + 1;
  std::string value, key;
  int64_t bytes = 0;
  const auto start = Clock::now();
  for (int64_t i = 0; i < records; ++i) {
    key = fmt::format("k{}", i);
    value = fmt::format("r{}|", i);
    if (static_cast<int>(value.size()) < size) {
      const size_t from = payload == "random" ? static_cast<size_t>(rng() % slice_starts) : 0;
      value.append(filler, from, static_cast<size_t>(size) - value.size());
    }
    bytes += static_cast<int64_t>(value.size() + key.size());
    for (;;) {
      rd_kafka_resp_err_t err = rd_kafka_producev(
          rk.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(static_cast<int32_t>(i % partitions)),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key.data(), key.size()),
          RD_KAFKA_V_VALUE(value.data(), value.size()), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) throw std::runtime_error(rd_kafka_err2str(err));
      rd_kafka_poll(rk.get(), 10);
    }
    rd_kafka_poll(rk.get(), 0);
  }
  rd_kafka_flush(rk.get(), 600'000);
  const double secs = seconds_since(start);
  if (g_failed > 0) throw std::runtime_error(fmt::format("{} records failed", g_failed.load()));
  fmt::print("{}\n", rate_json(records, bytes, secs).dump());
  return 0;
}

int consume(const std::string& bootstrap, const std::string& topic) {
  dr::kafka::Admin admin(admin_config(bootstrap));
  auto ends = end_offsets(admin, topic);
  KafkaHandle rk = make(RD_KAFKA_CONSUMER, {{"bootstrap.servers", bootstrap},
                                            {"group.id", "dr-bench-ceiling"},
                                            {"enable.auto.commit", "false"},
                                            {"enable.partition.eof", "true"}});
  rd_kafka_poll_set_consumer(rk.get());
  dr::kafka::PartitionListHandle list{rd_kafka_topic_partition_list_new(static_cast<int>(ends.size()))};
  size_t remaining = 0;
  for (size_t p = 0; p < ends.size(); ++p) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), static_cast<int32_t>(p))->offset = RD_KAFKA_OFFSET_BEGINNING;
    if (ends[p] > 0) ++remaining;
  }
  rd_kafka_assign(rk.get(), list.get());
  int64_t records = 0, bytes = 0;
  std::vector<bool> done(ends.size(), false);
  const auto start = Clock::now();
  while (remaining > 0) {
    dr::kafka::MessageHandle m{rd_kafka_consumer_poll(rk.get(), 1000)};
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
    if (m->err) throw std::runtime_error(rd_kafka_message_errstr(m.get()));
    ++records;
    bytes += static_cast<int64_t>(m->len + m->key_len);
    const auto p = static_cast<size_t>(m->partition);
    if (!done[p] && m->offset + 1 >= ends[p]) {
      done[p] = true;
      --remaining;
    }
  }
  const double secs = seconds_since(start);
  rd_kafka_consumer_close(rk.get());
  fmt::print("{}\n", rate_json(records, bytes, secs).dump());
  return 0;
}

int print_end_offsets(const std::string& bootstrap, const std::string& topic) {
  dr::kafka::Admin admin(admin_config(bootstrap));
  json parts = json::object();
  int64_t total = 0;
  auto ends = end_offsets(admin, topic);
  for (size_t p = 0; p < ends.size(); ++p) {
    parts[std::to_string(p)] = ends[p];
    total += ends[p];
  }
  fmt::print("{}\n", json{{"partitions", parts}, {"total", total}}.dump());
  return 0;
}

int wait_equal(const std::string& source, const std::string& target, const std::string& topic, const std::string& target_topic,
               int timeout_s) {
  const auto start = Clock::now();
  dr::kafka::Admin src(admin_config(source)), tgt(admin_config(target));
  const auto want = end_offsets(src, topic);
  int64_t total = 0;
  for (int64_t e : want) total += e;
  while (seconds_since(start) < timeout_s) {
    try {
      if (end_offsets(tgt, target_topic) == want) {
        fmt::print("{}\n", json{{"seconds", seconds_since(start)}, {"total", total}}.dump());
        return 0;
      }
    } catch (const dr::Error&) {
      // the target topic does not exist yet
    }
    std::this_thread::sleep_for(50ms);
  }
  fmt::print(stderr, "wait-equal: target {} did not reach the source's end offsets within {} s\n", target_topic, timeout_s);
  return 1;
}

int commit_groups(const std::string& bootstrap, const std::string& topic, int groups, const std::string& prefix, uint64_t seed) {
  dr::kafka::Admin admin(admin_config(bootstrap));
  auto ends = end_offsets(admin, topic);
  std::mt19937_64 rng(seed);
  std::map<std::string, std::vector<dr::kafka::GroupOffset>> offsets;
  json out = json::object();
  for (int g = 0; g < groups; ++g) {
    const std::string name = fmt::format("{}{}", prefix, g);
    json parts = json::object();
    for (size_t p = 0; p < ends.size(); ++p) {
      const int64_t o = ends[p] > 0 ? static_cast<int64_t>(rng() % static_cast<uint64_t>(ends[p] + 1)) : 0;
      offsets[name].push_back({topic, static_cast<int32_t>(p), o});
      parts[std::to_string(p)] = o;
    }
    out[name] = parts;
  }
  auto errors = admin.alter_group_offsets(offsets, 120s);
  if (!errors.empty()) throw std::runtime_error(fmt::format("{} groups failed, e.g. {}: {}", errors.size(), errors.begin()->first, errors.begin()->second));
  fmt::print("{}\n", json{{"groups", out}}.dump());
  return 0;
}

int group_offsets(const std::string& bootstrap, const std::string& prefix, const std::string& topic) {
  dr::kafka::Admin admin(admin_config(bootstrap));
  std::vector<std::string> names;
  for (const auto& g : admin.list_groups(60s)) {
    if (g.rfind(prefix, 0) == 0) names.push_back(g);
  }
  std::map<std::string, std::string> errors;
  auto all = admin.list_group_offsets(names, 120s, &errors);
  json out = json::object();
  for (const auto& [g, list] : all) {
    json parts = json::object();
    for (const auto& o : list) {
      if (o.topic == topic) parts[std::to_string(o.partition)] = o.offset;
    }
    if (!parts.empty()) out[g] = parts;
  }
  fmt::print("{}\n", json{{"groups", out}}.dump());
  return 0;
}

json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  return json::parse(in);
}

int accuracy(const std::string& target, const std::string& topic, int partitions, const std::string& committed_file,
             const std::vector<std::string>& candidates) {
  // The truth, from the data itself: the source offset of every target record (record i went to
  // partition i % P, so its source offset is i / P).
  dr::kafka::Admin admin(admin_config(target));
  auto ends = end_offsets(admin, topic);
  std::vector<std::vector<int64_t>> source_of(ends.size());  // per target offset
  KafkaHandle rk = make(RD_KAFKA_CONSUMER, {{"bootstrap.servers", target}, {"group.id", "dr-bench-referee"}, {"enable.auto.commit", "false"}});
  rd_kafka_poll_set_consumer(rk.get());
  dr::kafka::PartitionListHandle list{rd_kafka_topic_partition_list_new(static_cast<int>(ends.size()))};
  size_t remaining = 0;
  for (size_t p = 0; p < ends.size(); ++p) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), static_cast<int32_t>(p))->offset = RD_KAFKA_OFFSET_BEGINNING;
    source_of[p].assign(static_cast<size_t>(ends[p]), -1);
    if (ends[p] > 0) ++remaining;
  }
  rd_kafka_assign(rk.get(), list.get());
  while (remaining > 0) {
    dr::kafka::MessageHandle m{rd_kafka_consumer_poll(rk.get(), 1000)};
    if (!m || m->err) continue;
    const auto p = static_cast<size_t>(m->partition);
    std::string_view v(static_cast<const char*>(m->payload), m->len);
    const int64_t id = std::stoll(std::string(v.substr(1, v.find('|') - 1)));
    source_of[p][static_cast<size_t>(m->offset)] = id / partitions;
    if (m->offset + 1 >= ends[p]) --remaining;
  }
  rd_kafka_consumer_close(rk.get());
  // truth(p, c) = first target offset whose record has source offset >= c.
  auto truth = [&](size_t p, int64_t c) {
    const auto& v = source_of[p];
    for (size_t t = 0; t < v.size(); ++t) {
      if (v[t] >= c) return static_cast<int64_t>(t);
    }
    return static_cast<int64_t>(v.size());
  };
  const json committed = read_json(committed_file)["groups"];
  json out = json::object();
  for (const std::string& spec : candidates) {
    const auto eq = spec.find('=');
    const std::string name = spec.substr(0, eq);
    const json cand = read_json(spec.substr(eq + 1))["groups"];
    int64_t redelivered = 0, skipped = 0, max_redelivered = 0, exact = 0, groups = 0, missing = 0;
    for (const auto& [group, parts] : committed.items()) {
      ++groups;
      if (!cand.contains(group)) {
        ++missing;
        continue;
      }
      int64_t group_redelivered = 0, group_skipped = 0;
      for (const auto& [p, c] : parts.items()) {
        const int64_t want = truth(static_cast<size_t>(std::stoi(p)), c.get<int64_t>());
        if (!cand[group].contains(p)) {
          ++missing;
          continue;
        }
        const int64_t got = cand[group][p].get<int64_t>();
        group_redelivered += std::max<int64_t>(0, want - got);
        group_skipped += std::max<int64_t>(0, got - want);
      }
      redelivered += group_redelivered;
      skipped += group_skipped;
      max_redelivered = std::max(max_redelivered, group_redelivered);
      exact += group_redelivered == 0 && group_skipped == 0;
    }
    out[name] = {{"groups", groups}, {"redelivered", redelivered}, {"skipped", skipped}, {"exact_groups", exact},
                 {"max_redelivered", max_redelivered}, {"missing", missing}};
  }
  fmt::print("{}\n", json{{"candidates", out}}.dump());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Benchmark helper for bench/run: data, ceilings, progress and the accuracy referee", "dr-bench-client"};
  app.require_subcommand(1);
  std::string bootstrap, topic, target_topic, payload = "compressible", compression = "none", source, target, prefix, committed;
  int partitions = 12, size = 1024, groups = 10, timeout_s = 600;
  int64_t records = 1000;
  uint64_t seed = 1;
  bool create = false;
  std::vector<std::string> candidates;

  auto* f = app.add_subcommand("fill", "Create (--create) and fill a topic");
  f->add_option("--bootstrap", bootstrap)->required();
  f->add_option("--topic", topic)->required();
  f->add_option("--partitions", partitions);
  f->add_option("--records", records);
  f->add_option("--size", size);
  f->add_option("--payload", payload)->check(CLI::IsMember({"compressible", "random"}));
  f->add_option("--compression", compression);
  f->add_flag("--create", create);
  auto* c = app.add_subcommand("consume", "Read a topic to its end offsets");
  c->add_option("--bootstrap", bootstrap)->required();
  c->add_option("--topic", topic)->required();
  auto* e = app.add_subcommand("end-offsets", "End offsets of a topic");
  e->add_option("--bootstrap", bootstrap)->required();
  e->add_option("--topic", topic)->required();
  auto* w = app.add_subcommand("wait-equal", "Wait until the target topic's end offsets equal the source's");
  w->add_option("--source", source)->required();
  w->add_option("--target", target)->required();
  w->add_option("--topic", topic)->required();
  w->add_option("--target-topic", target_topic);
  w->add_option("--timeout-s", timeout_s);
  auto* cg = app.add_subcommand("commit-groups", "Commit random offsets for N groups");
  cg->add_option("--bootstrap", bootstrap)->required();
  cg->add_option("--topic", topic)->required();
  cg->add_option("--groups", groups);
  cg->add_option("--prefix", prefix)->required();
  cg->add_option("--seed", seed);
  auto* go = app.add_subcommand("group-offsets", "Committed offsets of the groups with a prefix");
  go->add_option("--bootstrap", bootstrap)->required();
  go->add_option("--prefix", prefix)->required();
  go->add_option("--topic", topic)->required();
  int32_t partition = 0;
  auto* dr_ = app.add_subcommand("delete-records", "Delete every record of a partition (DeleteRecords to its end)");
  dr_->add_option("--bootstrap", bootstrap)->required();
  dr_->add_option("--topic", topic)->required();
  dr_->add_option("--partition", partition)->required();
  auto* a = app.add_subcommand("accuracy", "Re-delivered and skipped records of candidate offsets, against the data");
  a->add_option("--target", target)->required();
  a->add_option("--topic", topic)->required();
  a->add_option("--partitions", partitions);
  a->add_option("--committed", committed)->required();
  a->add_option("--candidate", candidates, "NAME=FILE")->required();
  CLI11_PARSE(app, argc, argv);
  try {
    if (*f) return fill(bootstrap, topic, partitions, records, size, payload, compression, create);
    if (*c) return consume(bootstrap, topic);
    if (*e) return print_end_offsets(bootstrap, topic);
    if (*w) return wait_equal(source, target, topic, target_topic.empty() ? topic : target_topic, timeout_s);
    if (*cg) return commit_groups(bootstrap, topic, groups, prefix, seed);
    if (*go) return group_offsets(bootstrap, prefix, topic);
    if (*dr_) {
      dr::kafka::Admin admin(admin_config(bootstrap));
      const int64_t start = admin.delete_records(topic, partition, -1, 60s);
      fmt::print("{{\"log_start\": {}}}\n", start);
      return 0;
    }
    if (*a) return accuracy(target, topic, partitions, committed, candidates);
  } catch (const std::exception& ex) {
    fmt::print(stderr, "dr-bench-client: {}\n", ex.what());
    return 1;
  }
  return 2;
}
