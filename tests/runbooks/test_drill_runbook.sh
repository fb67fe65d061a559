#!/usr/bin/env bash
# Runs runbooks/drill.md for real, on the shared test clusters, while "production" runs beside it:
# a topic with a consumer group that has committed offsets, and a production dr-mirror copying and
# checkpointing them into the production state file. The drill must pass, and production must be
# untouched: the topic's end offsets and the group's committed offsets on both clusters are the
# same before and after, the production link is still active at the same epoch, its mirror still
# runs, the report shows its lag, and the canary topic is gone from both clusters.
# Usage: test_drill_runbook.sh REPO_ROOT BIN_DIR   (KAFKA_DR_CLUSTERS_DIR from ctest)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
test_cleanup() { [[ -z $MIRROR_PID ]] || kill -9 "$MIRROR_PID" 2>/dev/null; }

topic="runbook-drill-prod-$$-$(date +%s)"
group="$topic-app"
start_production "$topic" "$group"

# Production as Kafka sees it: the group's committed offsets and the topic's end offsets.
snapshot() {  # snapshot BOOTSTRAP
  kafka org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server "$1" --group "$group" --describe \
    2>/dev/null | awk -v t="$topic" '$2 == t { print $2, $3, $4, $5 }' | sort
}
snapshot "$KAFKA_DR_PRIMARY_BOOTSTRAP" >"$WORK/primary-before"
snapshot "$KAFKA_DR_STANDBY_BOOTSTRAP" >"$WORK/standby-before"
[[ $(wc -l <"$WORK/primary-before") -eq 2 ]] || fail "no committed offsets of $group on the primary: $(cat "$WORK/primary-before")"
link_before=$(dr-status --format json | jq -c '.links[] | select(.name == "primary->standby") | {state, epoch}')
[[ $link_before == *'"active"'* ]] || fail "production link: $link_before"

export PRIMARY_PROPERTIES="$WORK/primary.properties" STANDBY_PROPERTIES="$WORK/standby.properties"
export DRILL_DIR="$WORK/drill-2026-Q4" DRILL_WARMUP=6s
bash "$ROOT/tests/runbooks/run_runbook.sh" "$ROOT/runbooks/drill.md" 2>&1 | tee "$WORK/runbook.log"

# The drill passed, measured what it should, and says so everywhere.
report=$DRILL_DIR/report.json
jq -e '.verdict == "passed" and .lost == 0 and .duplicates == .expected_duplicates and .rto_ms > 0' "$report" >/dev/null ||
  fail "report: $(jq -c '{verdict, lost, duplicates, expected_duplicates, rto_ms, reasons}' "$report")"
jq -e '.production | length == 1 and .[0].link == "primary->standby" and .[0].state == "active" and .[0].lag_records == 0' \
  "$report" >/dev/null || fail "production lag in the report: $(jq -c .production "$report")"
dr-drill history --format json | jq -e 'length == 1 and .[0].verdict == "passed"' >/dev/null || fail "history"
dr-status | grep -q '^last drill      #1 ' || fail "dr-status does not show the drill"

# Production untouched.
snapshot "$KAFKA_DR_PRIMARY_BOOTSTRAP" >"$WORK/primary-after"
snapshot "$KAFKA_DR_STANDBY_BOOTSTRAP" >"$WORK/standby-after"
diff "$WORK/primary-before" "$WORK/primary-after" || fail "the production group or topic changed on the primary"
diff "$WORK/standby-before" "$WORK/standby-after" || fail "the production group changed on the standby"
link_after=$(dr-status --format json | jq -c '.links[] | select(.name == "primary->standby") | {state, epoch}')
[[ $link_after == "$link_before" ]] || fail "the production link changed: $link_before -> $link_after"
kill -0 "$MIRROR_PID" 2>/dev/null || { tail -20 "$WORK/mirror.log"; fail "the production mirror stopped during the drill"; }
for b in "$KAFKA_DR_PRIMARY_BOOTSTRAP" "$KAFKA_DR_STANDBY_BOOTSTRAP"; do
  kafka org.apache.kafka.tools.TopicCommand --bootstrap-server "$b" --list | grep -q '^kafka-dr\.drill\.' &&
    fail "a canary topic is left on $b"
done
echo "runbook drill.md: 1 passed, 0 failed; RPO $(jq .rpo_records "$report") records, RTO $(jq .rto_ms "$report") ms"
