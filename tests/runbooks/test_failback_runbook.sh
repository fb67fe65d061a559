#!/usr/bin/env bash
# Runs runbooks/failback.md for real: a group reads part of a topic on the primary while dr-mirror
# copies it; the mirror is killed, the primary takes records the standby never gets, then dies;
# dr-failover moves the group to the standby, where it reads more and producers write new records.
# The old primary comes back, and the runbook resyncs it (the diverged records saved, the rest
# kept), mirrors back, and switches over home. The group then finishes on the original cluster:
# across the three clusters' reads nothing is lost and nothing is read twice, and the diverged
# records are in the save directory and replayed into the chosen topic.
# Usage: test_failback_runbook.sh REPO_ROOT BIN_DIR   (KAFKA_DR_CLUSTERS_DIR from ctest)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
MIRROR_PID=
test_cleanup() {
  [[ -n $MIRROR_PID ]] && kill -9 "$MIRROR_PID" 2>/dev/null || true
  [[ -f $WORK/mirror-back.pid ]] && kill -9 "$(cat "$WORK/mirror-back.pid")" 2>/dev/null || true
  "$ROOT/scripts/kafka-clusters" start --dir "$CLUSTERS" primary >/dev/null 2>&1 || true
}

topic="runbook-failback-$$-$(date +%s)"
group="$topic-app"
produce() {  # produce BOOTSTRAP COUNT PREFIX
  kafka org.apache.kafka.tools.VerifiableProducer --bootstrap-server "$1" --topic "$topic" --max-messages "$2" \
    --value-prefix "$3" >/dev/null
}
consume() {  # consume BOOTSTRAP MAX OUT [IDLE_MS]
  kafka org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$1" --topic "$topic" --group "$group" \
    --from-beginning --max-messages "$2" --timeout-ms "${4:-20000}" "$property_flag" max.poll.records=1 >"$3" 2>/dev/null || true
}
kafka org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_DR_PRIMARY_BOOTSTRAP" --create --topic "$topic" --partitions 3 >/dev/null
produce "$KAFKA_DR_PRIMARY_BOOTSTRAP" 2000 0
consume "$KAFKA_DR_PRIMARY_BOOTSTRAP" 800 "$WORK/read-1-primary"

printf 'bootstrap.servers=%s\n' "$KAFKA_DR_PRIMARY_BOOTSTRAP" >"$WORK/primary.properties"
printf 'bootstrap.servers=%s\n' "$KAFKA_DR_STANDBY_BOOTSTRAP" >"$WORK/standby.properties"
export DR_STATE="$WORK/dr-state.db"
# (a short session: the killed mirror's static member leaves the group soon after the primary is back)
dr-mirror --consumer.config "$WORK/primary.properties" -X "source.group.id=$topic-mirror" -X source.session.timeout.ms=6000 \
  --producer.config "$WORK/standby.properties" --include "$topic" --source-alias primary --target-alias standby \
  --checkpoint-interval-ms 500 --offset.commit.interval.ms 500 --groups "$group" >"$WORK/mirror.log" 2>&1 &
MIRROR_PID=$!
for _ in $(seq 1 120); do
  mapped=$(sqlite3 "$DR_STATE" "select coalesce(sum(length),0) from offset_segments where source_topic='$topic'" 2>/dev/null || echo 0)
  checkpoints=$(sqlite3 "$DR_STATE" "select count(*) from group_checkpoints where group_id = '$group'" 2>/dev/null || echo 0)
  [[ $mapped -eq 2000 && $checkpoints -eq 3 ]] && break
  sleep 0.5
done
[[ $mapped -eq 2000 && $checkpoints -eq 3 ]] || { cat "$WORK/mirror.log"; fail "mirror did not catch up"; }

# The disaster: the mirror dies first, the primary takes 40 more records, then it dies too.
kill -9 "$MIRROR_PID"
MIRROR_PID=
produce "$KAFKA_DR_PRIMARY_BOOTSTRAP" 40 9
"$ROOT/scripts/kafka-clusters" stop --dir "$CLUSTERS" --kill primary >/dev/null
dr-failover --target-config "$WORK/standby.properties" --at "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --groups "$group" \
  --execute >"$WORK/failover.log" 2>&1 || { cat "$WORK/failover.log"; fail "failover"; }

# Life on the standby: the group reads on, producers write new records.
consume "$KAFKA_DR_STANDBY_BOOTSTRAP" 600 "$WORK/read-2-standby"
produce "$KAFKA_DR_STANDBY_BOOTSTRAP" 1000 1

# The old primary comes back.
"$ROOT/scripts/kafka-clusters" start --dir "$CLUSTERS" primary >/dev/null
sleep 8  # the killed mirror's member times out
diverged_topic="$topic.diverged"
kafka org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_DR_PRIMARY_BOOTSTRAP" --create --topic "$diverged_topic" \
  --partitions 3 >/dev/null
export PRIMARY_PROPERTIES="$WORK/primary.properties" STANDBY_PROPERTIES="$WORK/standby.properties"
export SAVE_DIR="$WORK/diverged" DR_TOPICS="$topic" DR_GROUPS="$group" DIVERGED_TOPIC="$diverged_topic"
export DR_MIRROR_LOG="$WORK/mirror-back.log" DR_MIRROR_PIDFILE="$WORK/mirror-back.pid"

bash "$ROOT/tests/runbooks/run_runbook.sh" "$ROOT/runbooks/failback.md" 2>&1 | tee "$WORK/runbook.log"

# The fenced reverse mirror stopped by itself.
back_pid=$(cat "$DR_MIRROR_PIDFILE")
for _ in $(seq 1 40); do kill -0 "$back_pid" 2>/dev/null || break; sleep 0.25; done
kill -0 "$back_pid" 2>/dev/null && fail "the reverse mirror still runs after the switchover"

# Home again: the group finishes on the original primary.
consume "$KAFKA_DR_PRIMARY_BOOTSTRAP" 100000 "$WORK/read-3-primary" 8000  # to the end: duplicates would show
cat "$WORK/read-1-primary" "$WORK/read-2-standby" "$WORK/read-3-primary" >"$WORK/all"
total=$(wc -l <"$WORK/all")
distinct=$(sort -u "$WORK/all" | wc -l)
dups=$(sort "$WORK/all" | uniq -d | wc -l)
echo "read: $(wc -l <"$WORK/read-1-primary") on the primary, $(wc -l <"$WORK/read-2-standby") on the standby, $(wc -l <"$WORK/read-3-primary") on the primary after the switchover home; distinct $distinct, duplicates $dups"
[[ $dups -eq 0 ]] || fail "records read twice"
[[ $distinct -eq 3000 && $total -eq 3000 ]] || fail "records lost: $distinct distinct of 3000"
grep -q '^9\.' "$WORK/all" && fail "a diverged record was read by the application"

# The diverged records: saved, exactly 40, and replayed into the chosen topic.
saved=$(jq '[.partitions[].records] | add' "$SAVE_DIR/manifest.json")
[[ $saved -eq 40 ]] || fail "saved $saved diverged records, want 40"
kafka org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$KAFKA_DR_PRIMARY_BOOTSTRAP" \
  --topic "$diverged_topic" --from-beginning --timeout-ms 10000 >"$WORK/replayed" 2>/dev/null || true
[[ $(grep -c '^9\.' "$WORK/replayed") -eq 40 ]] || fail "replayed $(wc -l <"$WORK/replayed") records, want the 40 diverged"
echo "runbook failback.md: 1 passed, 0 failed"
