# The set-up the runbook tests share; `source` it with the test's arguments (REPO_ROOT BIN_DIR) and
# KAFKA_DR_CLUSTERS_DIR from ctest. It gives:
#   ROOT BIN CLUSTERS WORK, the clusters' KAFKA_DR_* variables (clusters.env), the tools on PATH;
#   kafka CLASS ARGS...   a Kafka Java tool on the fixture's class path;
#   fail MESSAGE          print and exit 1;
#   property_flag         the console consumer's flag for a client property on this Kafka version;
#   test_cleanup          define it in the test for what to undo at exit (before $WORK is removed).
set -euo pipefail
ROOT=$1
BIN=$2
CLUSTERS=$KAFKA_DR_CLUSTERS_DIR
source "$CLUSTERS/clusters.env"
WORK=$(mktemp -d)
runbook_test_exit() {
  if declare -F test_cleanup >/dev/null; then test_cleanup || true; fi
  rm -rf "$WORK"
}
trap runbook_test_exit EXIT
kafka() { "$ROOT/scripts/kafka-clusters" run-class "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
export PATH="$BIN:$PATH"
unset DR_DRILL_FAULT

# Kafka 4.2 renamed the console consumer's --consumer-property to --command-property and prints
# the deprecation notice for the old name on stdout, among the records: use the name this version has.
property_flag=--consumer-property
console_help=$(kafka org.apache.kafka.tools.consumer.ConsoleConsumer --help 2>&1 || true)
if [[ $console_help == *--command-property* ]]; then
  property_flag=--command-property
fi

# start_production TOPIC GROUP: "production" for the drill runbooks. A topic of 2 partitions with
# 300 records on the primary; GROUP reads 150 of them and commits (the values in $WORK/read-primary);
# client configs $WORK/primary.properties and $WORK/standby.properties; DR_STATE=$WORK/dr-state.db;
# a dr-mirror (pid in MIRROR_PID, log $WORK/mirror.log) copying the topic and checkpointing GROUP.
# Returns when the mirror has copied all 300 records and checkpointed GROUP (fails after 60 s).
MIRROR_PID=
start_production() {
  local topic=$1 group=$2 mapped=0 checkpointed=0
  kafka org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_DR_PRIMARY_BOOTSTRAP" --create --topic "$topic" \
    --partitions 2 >/dev/null
  kafka org.apache.kafka.tools.VerifiableProducer --bootstrap-server "$KAFKA_DR_PRIMARY_BOOTSTRAP" --topic "$topic" \
    --max-messages 300 >/dev/null
  kafka org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$KAFKA_DR_PRIMARY_BOOTSTRAP" --topic "$topic" \
    --group "$group" --from-beginning --max-messages 150 --timeout-ms 20000 >"$WORK/read-primary" 2>/dev/null || true
  [[ $(wc -l <"$WORK/read-primary") -eq 150 ]] || fail "the group read $(wc -l <"$WORK/read-primary") records on the primary, not 150"
  printf 'bootstrap.servers=%s\n' "$KAFKA_DR_PRIMARY_BOOTSTRAP" >"$WORK/primary.properties"
  printf 'bootstrap.servers=%s\n' "$KAFKA_DR_STANDBY_BOOTSTRAP" >"$WORK/standby.properties"
  export DR_STATE="$WORK/dr-state.db"
  dr-mirror --consumer.config "$WORK/primary.properties" -X "source.group.id=$topic-mirror" \
    --producer.config "$WORK/standby.properties" --include "$topic" --source-alias primary --target-alias standby \
    --checkpoint-interval-ms 500 --groups "$group" >"$WORK/mirror.log" 2>&1 &
  MIRROR_PID=$!
  for _ in $(seq 1 120); do
    if [[ -f $DR_STATE ]]; then  # (sqlite3 would create it, with the wrong mode)
      mapped=$(sqlite3 "$DR_STATE" "select coalesce(sum(length),0) from offset_segments where source_topic='$topic'" 2>/dev/null || echo 0)
      checkpointed=$(sqlite3 "$DR_STATE" "select count(*) from group_checkpoints where group_id='$group'" 2>/dev/null || echo 0)
    fi
    [[ $mapped -eq 300 && $checkpointed -gt 0 ]] && return 0
    sleep 0.5
  done
  cat "$WORK/mirror.log"
  fail "the production mirror did not copy and checkpoint within 60 s (mapped $mapped of 300)"
}
