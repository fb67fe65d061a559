#include "dr/resync/record_range.hpp"

#include <fmt/format.h>

#include "dr/error.hpp"

namespace dr::resync {

void read_range(const kafka::ClientConfig& config, const std::string& label, const std::string& topic, int32_t partition,
                int64_t from, int64_t to, std::chrono::milliseconds timeout,
                const std::function<bool(const kafka::Record&)>& each) {
  if (from >= to) return;
  kafka::ClientConfig c = config;
  c.set_default("enable.partition.eof", "true");
  c.set_default("auto.offset.reset", "error");  // a range below the log start is an error, not a jump to the end
  kafka::Consumer consumer(c, label);
  consumer.assign({{topic, partition, from}});
  using Clock = std::chrono::steady_clock;
  auto last_progress = Clock::now();
  int64_t next = from;
  while (next < to) {
    if (auto r = consumer.poll(std::chrono::milliseconds(200))) {
      if (r->offset >= to) break;
      if (r->offset < from) continue;
      next = r->offset + 1;
      last_progress = Clock::now();
      if (!each(*r)) break;
      continue;
    }
    // No record: at the end of the partition, or past offsets that hold none (markers, compaction).
    if (auto pos = consumer.position(topic, partition); pos && *pos > next) {
      next = *pos;
      last_progress = Clock::now();
    }
    if (next >= to) break;
    if (Clock::now() - last_progress > timeout) {
      throw Error(ErrorKind::kafka,
                  fmt::format("reading offsets {}..{}: no progress at offset {} for {} ms (records deleted meanwhile, or "
                              "the cluster is unreachable)",
                              from, to - 1, next, timeout.count()),
                  {.cluster = label, .topic = topic, .partition = partition});
    }
  }
  consumer.close(std::chrono::seconds(5));
}

}  // namespace dr::resync
