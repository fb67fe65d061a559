// dr-resync --mirror: the reverse link's mirror, run in this process until it has caught up, with
// progress on stderr (records/s, records remaining, ETA).
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "dr/error.hpp"
#include "dr/kafka/client.hpp"
#include "dr/log.hpp"
#include "dr/mirror/mirror.hpp"
#include "dr/store/links.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/store/state_store.hpp"
#include "resync/context.hpp"

namespace dr::resync::detail {

namespace {

constexpr auto kProgressEvery = std::chrono::seconds(5);

std::string duration_text(int64_t seconds) {
  if (seconds >= 3600) return fmt::format("{}h{:02}m", seconds / 3600, seconds / 60 % 60);
  if (seconds >= 60) return fmt::format("{}m{:02}s", seconds / 60, seconds % 60);
  return fmt::format("{}s", seconds);
}

// Records the reverse mapping has not reached yet, summed over the resynced partitions.
int64_t remaining(Context& ctx, const ResyncReport& report, int64_t* mapped_total) {
  auto store = store::StateStore::open(ctx.options.state_path, {.create_if_missing = false, .access = store::Access::read_only});
  int64_t link_id = 0;
  for (const auto& l : store::list_links(store)) {
    if (l.name == report.reverse_link) link_id = l.id;
  }
  int64_t left = 0, mapped_sum = 0;
  for (const PartitionPlan& p : report.partitions) {
    int64_t mapped = 0;
    for (const auto& r : store::load_segments(store, link_id, p.new_topic, p.partition)) {
      mapped = std::max(mapped, r.source_end().value());
    }
    const auto wm = ctx.new_primary.admin->watermarks(p.new_topic, p.partition, ctx.timeout);
    left += std::max<int64_t>(0, wm.high - std::max(mapped, wm.low));
    mapped_sum += mapped;
  }
  *mapped_total = mapped_sum;
  return left;
}

}  // namespace

void run_reverse_mirror(Context& ctx, const ResyncReport& report) {
  mirror::MirrorOptions m;
  m.consumer_config = ctx.options.new_primary_config;
  m.producer_config = ctx.options.old_primary_config;
  m.overrides.push_back("source.group.id=" + report.mirror_group);
  for (const std::string& x : ctx.options.overrides) {
    m.overrides.push_back((x.rfind("old.", 0) == 0 ? "target." : "source.") + x.substr(4));
  }
  for (const TopicPlan& t : report.topics) {
    std::string escaped;
    for (char c : t.new_topic) escaped += c == '.' ? std::string("\\.") : std::string(1, c);
    m.include += (m.include.empty() ? "" : "|") + escaped;
  }
  m.state_path = ctx.options.state_path;
  m.source_alias = report.new_alias;
  m.target_alias = report.old_alias;
  m.until_caught_up = true;

  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  std::thread progress([&] {
    int64_t last_mapped = -1;
    auto last = std::chrono::steady_clock::now();
    std::unique_lock lock(mu);
    while (!cv.wait_for(lock, kProgressEvery, [&] { return finished; })) {
      try {
        int64_t mapped = 0;
        const int64_t left = remaining(ctx, report, &mapped);
        const auto now = std::chrono::steady_clock::now();
        const double seconds = std::chrono::duration<double>(now - last).count();
        const double rate = last_mapped < 0 || seconds <= 0 ? 0 : static_cast<double>(mapped - last_mapped) / seconds;
        dr::log::info("reverse mirror {}: {:.0f} records/s, {} record(s) remaining, ETA {}", report.reverse_link, rate, left,
                      rate > 0 ? duration_text(static_cast<int64_t>(static_cast<double>(left) / rate)) : std::string("unknown"));
        last_mapped = mapped;
        last = now;
      } catch (const Error& e) {
        dr::log::warn("reverse mirror progress not available: {}", e.what());
      }
    }
  });
  auto stop_progress = [&] {
    {
      std::lock_guard lock(mu);
      finished = true;
    }
    cv.notify_all();
    progress.join();
  };
  try {
    const auto summary = mirror::run_mirror(m);
    stop_progress();
    dr::log::info("reverse mirror {}: {} ({} record(s) copied)", report.reverse_link,
                  summary.ending == mirror::MirrorSummary::Ending::caught_up ? "caught up" : "stopped",
                  summary.records_mirrored);
  } catch (...) {
    stop_progress();
    throw;
  }
}

}  // namespace dr::resync::detail
