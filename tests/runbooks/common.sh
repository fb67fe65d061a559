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
