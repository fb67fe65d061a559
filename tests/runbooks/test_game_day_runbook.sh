#!/usr/bin/env bash
# Runs runbooks/game-day.md for real: a planned game day on the shared test clusters. A group has
# read half of a topic on the primary while a production dr-mirror copies the topic and checkpoints
# the group; producers and consumers are stopped, and the runbook moves the group. The game day must
# pass with nothing lost and nothing read twice, and the group must then read on the standby exactly
# the records it had not read on the primary.
# Usage: test_game_day_runbook.sh REPO_ROOT BIN_DIR   (KAFKA_DR_CLUSTERS_DIR from ctest)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
test_cleanup() { [[ -z $MIRROR_PID ]] || kill -9 "$MIRROR_PID" 2>/dev/null; }

topic="runbook-gameday-$$-$(date +%s)"
group="$topic-app"
start_production "$topic" "$group"

export PRIMARY_PROPERTIES="$WORK/primary.properties" STANDBY_PROPERTIES="$WORK/standby.properties"
export DR_GROUPS="^$group\$" GAME_DAY_DIR="$WORK/game-day" QUIET_PERIOD=2s
bash "$ROOT/tests/runbooks/run_runbook.sh" "$ROOT/runbooks/game-day.md" 2>&1 | tee "$WORK/runbook.log"

report=$GAME_DAY_DIR/report.json
jq -e '.verdict == "passed" and .scope == "groups" and .mode == "planned" and .lost == 0 and .duplicates == 0
       and .rpo_records == 0 and .rto_commit_ms > 0 and (.partition_results | length) == 2' "$report" >/dev/null ||
  fail "report: $(jq -c '{verdict, lost, duplicates, rpo_records, rto_commit_ms, reasons, partition_results}' "$report")"
jq -e 'all(.partition_results[]; .standby_committed == .exact_offset)' "$report" >/dev/null ||
  fail "committed offsets: $(jq -c .partition_results "$report")"
dr-drill history --format json | jq -e 'length == 1 and .[0].verdict == "passed" and .[0].scope == "groups"' >/dev/null ||
  fail "history: $(dr-drill history --format json)"
[[ $(dr-status --format json | jq -r '.links[] | select(.name == "primary->standby") | .state') == failed_over ]] ||
  fail "the link is not failed over"
# The fenced link's mirror stops by itself.
for _ in $(seq 1 60); do kill -0 "$MIRROR_PID" 2>/dev/null || break; sleep 0.5; done
kill -0 "$MIRROR_PID" 2>/dev/null && fail "the link's dr-mirror still runs after the game day"
MIRROR_PID=

# The group resumes on the standby with exactly what it had not read: nothing lost, nothing twice.
kafka org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$KAFKA_DR_STANDBY_BOOTSTRAP" --topic "$topic" \
  --group "$group" --max-messages 1000 --timeout-ms 10000 >"$WORK/read-standby" 2>/dev/null || true
sort "$WORK/read-primary" "$WORK/read-standby" >"$WORK/read-all"
[[ $(wc -l <"$WORK/read-standby") -eq 150 ]] || fail "the group read $(wc -l <"$WORK/read-standby") records on the standby, not 150"
[[ $(sort -u "$WORK/read-all" | wc -l) -eq 300 ]] || fail "read on both clusters: $(sort -u "$WORK/read-all" | wc -l) distinct of 300"
echo "runbook game-day.md: 1 passed, 0 failed; RTO to offsets committed $(jq .rto_commit_ms "$report") ms"
