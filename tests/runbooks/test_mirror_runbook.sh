#!/usr/bin/env bash
# Runs runbooks/mirror.md against the two real clusters of the integration fixture.
# Usage: test_mirror_runbook.sh REPO_ROOT BIN_DIR   (KAFKA_DR_CLUSTERS_DIR from ctest)
set -euo pipefail
ROOT=$1
BIN=$2
source "$KAFKA_DR_CLUSTERS_DIR/clusters.env"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
kafka() { "$ROOT/scripts/kafka-clusters" run-class "$@"; }

topic="runbook-mirror-$$-$(date +%s)"
kafka org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_DR_PRIMARY_BOOTSTRAP" --create --topic "$topic" --partitions 4 >/dev/null
kafka org.apache.kafka.tools.VerifiableProducer --bootstrap-server "$KAFKA_DR_PRIMARY_BOOTSTRAP" --topic "$topic" \
  --max-messages 5000 >/dev/null

cat >"$WORK/source.properties" <<P
# MirrorMaker 1 consumer config, unchanged
bootstrap.servers=$KAFKA_DR_PRIMARY_BOOTSTRAP
group.id=runbook-mirror-$$
key.deserializer=org.apache.kafka.common.serialization.ByteArrayDeserializer
value.deserializer=org.apache.kafka.common.serialization.ByteArrayDeserializer
fetch.max.wait.ms=500
exclude.internal.topics=true
partition.assignment.strategy=org.apache.kafka.clients.consumer.CooperativeStickyAssignor
P
cat >"$WORK/target.properties" <<P
# MirrorMaker 1 producer config, unchanged (MirrorMaker 1 also sets max.block.ms itself)
bootstrap.servers=$KAFKA_DR_STANDBY_BOOTSTRAP
compression.type=lz4
acks=all
max.block.ms=9223372036854775807
max.in.flight.requests.per.connection=5
key.serializer=org.apache.kafka.common.serialization.ByteArraySerializer
value.serializer=org.apache.kafka.common.serialization.ByteArraySerializer
P
export SOURCE_PROPERTIES="$WORK/source.properties" TARGET_PROPERTIES="$WORK/target.properties"
export TOPICS="$topic" DR_STATE="$WORK/dr-state.db" PATH="$BIN:$PATH"

bash "$ROOT/tests/runbooks/run_runbook.sh" "$ROOT/runbooks/mirror.md"

# The runbook's result: the standby holds every record, and the state file says so.
src=$(kafka org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$KAFKA_DR_PRIMARY_BOOTSTRAP" --topic "$topic" | sort)
dst=$(kafka org.apache.kafka.tools.GetOffsetShell --bootstrap-server "$KAFKA_DR_STANDBY_BOOTSTRAP" --topic "$topic" | sort)
echo "source end offsets: $(tr '\n' ' ' <<<"$src")"
echo "target end offsets: $(tr '\n' ' ' <<<"$dst")"
[[ -n $src && $src == "$dst" ]] || { echo "FAIL: end offsets differ"; exit 1; }
python3 - "$topic" <<'PY'
import json, sys
status = json.load(open("/tmp/dr-status.json"))
topics = {t["topic"]: t for l in status["links"] for t in l["topics"]}
t = topics.get(sys.argv[1])
assert t is not None, f"{sys.argv[1]} not in dr-status output"
assert t["mapped_records"] == 5000 and t["skipped_records"] == 0, t
assert status["links"][0]["state"] == "active"
print("dr-status:", t)
PY
echo "runbook mirror.md: 1 passed, 0 failed"
