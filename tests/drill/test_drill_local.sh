#!/usr/bin/env bash
# The rehearsal a newcomer runs: `dr-drill run --local` starts two Kafka clusters of its own, drills
# against them and must pass. Its JSON report must hold RPO, RTO, lost = 0 and duplicates equal to
# what dr-failover's plan explains; the HTML page must carry its three charts; the history must
# remember the drill; the clusters must be gone afterwards.
# Usage: test_drill_local.sh REPO_ROOT BIN_DIR   (DR_DRILL_KAFKA_VERSION: the Kafka release to use)
set -euo pipefail
ROOT=$1
BIN=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
if [[ -n ${DR_DRILL_KAFKA_VERSION:-} ]]; then export KAFKA_VERSION=$DR_DRILL_KAFKA_VERSION; fi
unset DR_STATE DR_DRILL_FAULT

set +e
"$BIN/dr-drill" run --local --work-dir "$WORK/rehearsal" --warmup 5s --clusters-script "$ROOT/scripts/kafka-clusters" \
  --format json >"$WORK/out.json" 2>"$WORK/err.log"
rc=$?
set -e
cat "$WORK/err.log"
[[ $rc -eq 0 ]] || { cat "$WORK/out.json"; fail "dr-drill run --local exited with $rc"; }

report=$WORK/rehearsal/drill/report.json
[[ -f $report ]] || fail "no report.json in $WORK/rehearsal/drill"
cmp <(jq -S . "$report") <(jq -S . "$WORK/out.json") || fail "--format json printed something else than report.json"
jq -e '.verdict == "passed" and .passed == true' "$report" >/dev/null || fail "verdict: $(jq -c .reasons "$report")"
jq -e '(.rpo_records | type == "number") and .rpo_records >= 0 and (.rpo_ms | type == "number")' "$report" >/dev/null ||
  fail "no RPO in the report"
jq -e '.rto_ms > 0 and .rto_plan_ms > 0 and .rto_commit_ms >= .rto_plan_ms and .rto_first_record_ms == .rto_ms' "$report" \
  >/dev/null || fail "RTO steps: $(jq -c '[.rto_plan_ms, .rto_commit_ms, .rto_first_record_ms, .rto_ms]' "$report")"
jq -e '.lost == 0' "$report" >/dev/null || fail "records lost: $(jq .lost "$report")"
jq -e '.duplicates == .expected_duplicates' "$report" >/dev/null ||
  fail "duplicates $(jq .duplicates "$report"), the plan explains $(jq .expected_duplicates "$report")"
jq -e '[.partition_results[] | .consumed_standby] | add > 0' "$report" >/dev/null || fail "nothing read on the standby"
jq -e '[.steps[] | .ok] | all' "$report" >/dev/null || fail "a step failed"
jq -e '.command | test("dr-drill run --local")' "$report" >/dev/null || fail "the command line is not in the report"
jq -e '[.clusters[] | .cluster_id | length > 0] | all' "$report" >/dev/null || fail "cluster ids missing"
if [[ -n ${KAFKA_VERSION:-} ]]; then
  jq -e --arg v "$KAFKA_VERSION" '[.clusters[] | .kafka_version == $v] | all' "$report" >/dev/null ||
    fail "the report does not name Kafka $KAFKA_VERSION: $(jq -c '[.clusters[].kafka_version]' "$report")"
fi

html=$WORK/rehearsal/drill/report.html
[[ $(grep -o 'data:image/svg+xml;base64,' "$html" | wc -l) -eq 3 ]] || fail "the HTML page lacks its three charts"
grep -q 'Chart not drawn' "$html" && fail "a chart was not drawn"
grep -q '^# Failover drill #1: PASSED' "$WORK/rehearsal/drill/report.md" || fail "report.md header"

"$BIN/dr-drill" history --state "$WORK/rehearsal/dr-state.db" --format json >"$WORK/history.json"
jq -e 'length == 1 and .[0].verdict == "passed"' "$WORK/history.json" >/dev/null || fail "history: $(cat "$WORK/history.json")"

[[ ! -d $WORK/rehearsal/clusters ]] || fail "the local clusters were not removed"
echo "drill.local: passed; RPO $(jq .rpo_records "$report") records / $(jq .rpo_ms "$report") ms, RTO $(jq .rto_ms "$report") ms, lost 0, duplicates $(jq .duplicates "$report") (plan $(jq .expected_duplicates "$report"))"
