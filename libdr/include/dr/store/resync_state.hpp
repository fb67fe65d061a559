// What dr-resync records in the state file: its per-partition plan and progress, the lease that
// keeps two runs off one link, and the reverse link it leaves behind.
//
// A resync is identified by its audit row (kind 'resync', dr/store/audit.hpp). The plan is recorded
// once, before anything is changed; each partition then moves planned -> saved -> wiped -> seeded ->
// done, every step recorded after it took effect, so a rerun after kill -9 continues where the
// killed run stopped and never saves, deletes or seeds twice.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dr/store/audit.hpp"
#include "dr/store/links.hpp"
#include "dr/store/mirror_state.hpp"
#include "dr/store/offset_segments.hpp"
#include "dr/store/state_store.hpp"

namespace dr::store {

enum class ResyncStep { planned, saved, wiped, seeded, done };
const char* to_string(ResyncStep step) noexcept;

struct ResyncPartition {
  std::string topic;      // on the old primary (the failed-over link's source topic)
  std::string new_topic;  // on the new primary (the link's target topic)
  int32_t partition = 0;
  std::string action;     // "keep", "wipe", "recreate"
  ResyncStep step = ResyncStep::planned;
  int64_t old_end = 0;         // the old primary's end offset when planned
  int64_t common_end = 0;      // old primary offset after the last record the new primary also holds
  int64_t new_common_end = 0;  // new primary offset after its copy of that record
  int64_t diverged_records = 0;
  bool operator==(const ResyncPartition&) const = default;
};

// Records the plan of a resync (every partition at step planned), in one transaction.
void record_resync_plan(StateStore& store, int64_t resync_id, std::span<const ResyncPartition> partitions);
void set_resync_step(StateStore& store, int64_t resync_id, const std::string& topic, int32_t partition,
                     ResyncStep step);
std::vector<ResyncPartition> load_resync_plan(StateStore& store, int64_t resync_id);

// The newest resync of the link that has not finished (killed or still running), if any.
std::optional<AuditRecord> unfinished_resync(StateStore& store, int64_t link_id);
// Every resync of a link, oldest first.
std::vector<AuditRecord> list_resyncs(StateStore& store, int64_t link_id);

// Takes the link's resync lease for this process. dr::Error(refused) naming the holder's host and
// pid while another run holds it: on this host, while its pid is alive; on another host, while
// its heartbeat is younger than stale_after_ms. A dead holder's lease is taken over (logged).
void take_resync_lease(StateStore& store, int64_t link_id, int64_t resync_id, int64_t stale_after_ms);
void release_resync_lease(StateStore& store, int64_t link_id);

// The reverse of a failed-over link F (new primary -> old primary), in one transaction:
// - creates it (active, epoch 1, rename template "{topic}"), or resets one left by an earlier
//   failback cycle (failed_over or retired: epoch + 1, active; its mapping rows, skipped records,
//   topic map and group checkpoints deleted);
// - records its topic map and the seed rows of its mapping (stored as given: rows of a reverse
//   mapping may share target offsets, see dr/resync/inverse_mapping.hpp);
// - retires F with `reason`.
// A reverse link that is active already (a rerun after this step) is returned unchanged.
Link establish_reverse_link(StateStore& store, const Link& forward, std::span<const TopicMapping> reverse_topics,
                            std::span<const PartitionMappingUpdate> seed, const std::string& reason);

}  // namespace dr::store
