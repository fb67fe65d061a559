#!/usr/bin/env bash
# Runs runbooks/failover.md for real: a group reads part of a topic on the primary, dr-mirror copies
# it and checkpoints the group, the primary is killed, the runbook's commands fail the group over,
# and the group resumes on the standby without losing a record. A second group already has a
# consumer on the standby when the failover runs, so the first --execute is partial (exit 1) and the
# runbook's "finishing a partial failover" procedure moves it once that consumer is gone. The
# primary is restarted at the end (the clusters are shared with the other tests).
# Usage: test_failover_runbook.sh REPO_ROOT BIN_DIR   (KAFKA_DR_CLUSTERS_DIR from ctest)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
MIRROR_PID=
EARLY_PID=
test_cleanup() {
  [[ -n $MIRROR_PID ]] && kill -9 "$MIRROR_PID" 2>/dev/null || true
  [[ -n $EARLY_PID ]] && kill -9 "$EARLY_PID" 2>/dev/null || true
  "$ROOT/scripts/kafka-clusters" start --dir "$CLUSTERS" primary >/dev/null 2>&1 || true
}

topic="runbook-failover-$$-$(date +%s)"
group="$topic-app"
early="$topic-early"  # a group whose consumers start on the standby before the failover
kafka org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_DR_PRIMARY_BOOTSTRAP" --create --topic "$topic" --partitions 3 >/dev/null
kafka org.apache.kafka.tools.VerifiableProducer --bootstrap-server "$KAFKA_DR_PRIMARY_BOOTSTRAP" --topic "$topic" \
  --max-messages 3000 >/dev/null
# The application reads 1000 records on the primary and commits exactly what it read.
kafka org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$KAFKA_DR_PRIMARY_BOOTSTRAP" --topic "$topic" \
  --group "$group" --from-beginning --max-messages 1000 "$property_flag" max.poll.records=1 >"$WORK/read-on-primary" 2>/dev/null
kafka org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$KAFKA_DR_PRIMARY_BOOTSTRAP" --topic "$topic" \
  --group "$early" --from-beginning --max-messages 600 "$property_flag" max.poll.records=1 >/dev/null 2>&1

cat >"$WORK/source.properties" <<P
bootstrap.servers=$KAFKA_DR_PRIMARY_BOOTSTRAP
group.id=$topic-mirror
P
printf 'bootstrap.servers=%s\n' "$KAFKA_DR_STANDBY_BOOTSTRAP" >"$WORK/standby.properties"
export SOURCE_PROPERTIES="$WORK/source.properties" STANDBY_PROPERTIES="$WORK/standby.properties"
export DR_STATE="$WORK/dr-state.db" DR_GROUPS="$topic-.*"
dr-mirror --consumer.config "$SOURCE_PROPERTIES" --producer.config "$STANDBY_PROPERTIES" --include "$topic" \
  --source-alias primary --target-alias standby --checkpoint-interval-ms 500 --offset.commit.interval.ms 500 \
  --groups "$DR_GROUPS" --unreachable-timeout-ms 600000 >"$WORK/mirror.log" 2>&1 &
MIRROR_PID=$!
for _ in $(seq 1 120); do
  mapped=$(sqlite3 "$DR_STATE" "select coalesce(sum(length),0) from offset_segments where source_topic='$topic'" 2>/dev/null || echo 0)
  checkpoints=$(sqlite3 "$DR_STATE" "select count(*) from group_checkpoints where group_id in ('$group', '$early')" 2>/dev/null || echo 0)
  [[ $mapped -eq 3000 && $checkpoints -eq 6 ]] && break
  sleep 0.5
done
[[ $mapped -eq 3000 && $checkpoints -eq 6 ]] || { cat "$WORK/mirror.log"; echo "FAIL: mirror did not catch up"; exit 1; }

# A consumer of the second group starts on the standby too early. The operator stops it once the
# first --execute has skipped its group (step 4b): a watcher does that when the first failover's
# audit row is complete. (It would leave by itself after 120 s without records.)
kafka org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$KAFKA_DR_STANDBY_BOOTSTRAP" --topic "$topic" \
  --group "$early" --timeout-ms 120000 >/dev/null 2>&1 &
EARLY_PID=$!
for _ in $(seq 1 60); do
  kafka org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server "$KAFKA_DR_STANDBY_BOOTSTRAP" \
    --describe --group "$early" --members 2>/dev/null | grep -q "$early" && break
  sleep 0.5
done

(
  for _ in $(seq 1 600); do
    done_rows=$(sqlite3 "$DR_STATE" "select count(*) from failovers where finished_ms is not null" 2>/dev/null || echo 0)
    [[ $done_rows -gt 0 ]] && break
    sleep 0.5
  done
  pkill -TERM -f -- "--group $early" || true
) &

# The disaster.
"$ROOT/scripts/kafka-clusters" stop --dir "$CLUSTERS" --kill primary >/dev/null
export FAILOVER_AT=$(date -u +%Y-%m-%dT%H:%M:%SZ)

bash "$ROOT/tests/runbooks/run_runbook.sh" "$ROOT/runbooks/failover.md" 2>&1 | tee "$WORK/runbook.log"
# The first --execute was partial (the early group was skipped), and step 4b finished it.
grep -q "dr-failover exit code 1" "$WORK/runbook.log" || { echo "FAIL: the first --execute was not partial"; exit 1; }
grep -qE "already moved by an earlier run of this failover: $group" "$WORK/runbook.log" ||
  { echo "FAIL: finishing the failover did not leave the moved group alone"; exit 1; }
wait "$EARLY_PID" 2>/dev/null || true
EARLY_PID=
# The early group now stands where it stood on the primary (600 records read: 600 committed in all).
early_committed=$(kafka org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server "$KAFKA_DR_STANDBY_BOOTSTRAP" \
  --describe --group "$early" 2>/dev/null | awk -v t="$topic" '$2 == t { sum += $4 } END { print sum + 0 }')
[[ $early_committed -eq 600 ]] || { echo "FAIL: the early group's committed offsets sum to $early_committed, want 600"; exit 1; }

# The fenced mirror stopped by itself with exit code 3.
for _ in $(seq 1 40); do kill -0 "$MIRROR_PID" 2>/dev/null || break; sleep 0.25; done
if kill -0 "$MIRROR_PID" 2>/dev/null; then echo "FAIL: the mirror still runs after the fence"; exit 1; fi
set +e; wait "$MIRROR_PID"; code=$?; set -e
MIRROR_PID=
[[ $code -eq 3 ]] || { tail -5 "$WORK/mirror.log"; echo "FAIL: mirror exit code $code, want 3"; exit 1; }

# The application resumes on the standby with the same group: nothing lost, nothing twice.
kafka org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$KAFKA_DR_STANDBY_BOOTSTRAP" --topic "$topic" \
  --group "$group" --timeout-ms 15000 "$property_flag" max.poll.records=1 >"$WORK/read-on-standby" 2>/dev/null || true
primary_n=$(wc -l <"$WORK/read-on-primary")
standby_n=$(wc -l <"$WORK/read-on-standby")
distinct=$(sort -u "$WORK/read-on-primary" "$WORK/read-on-standby" | wc -l)
dups=$(sort "$WORK/read-on-primary" "$WORK/read-on-standby" | uniq -d | wc -l)
echo "read on the primary: $primary_n, on the standby after failover: $standby_n, distinct: $distinct, duplicates: $dups"
[[ $distinct -eq 3000 ]] || { echo "FAIL: records lost"; exit 1; }
[[ $dups -eq 0 ]] || { echo "FAIL: duplicates"; exit 1; }
echo "runbook failover.md: 1 passed, 0 failed"
