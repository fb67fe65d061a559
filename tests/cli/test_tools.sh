#!/usr/bin/env bash
# Command-line behaviour of the tools: exit codes and messages. No broker needed.
# Usage: test_tools.sh BIN_DIR
set -uo pipefail
BIN=$1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
passed=0
failed=0

# expect NAME WANT_EXIT PATTERN -- CMD...: runs CMD, checks exit code and that stderr+stdout match PATTERN.
expect() {
  local name=$1 want=$2 pattern=$3
  shift 4
  local out rc
  out=$("$@" 2>&1)
  rc=$?
  if [[ $rc -ne $want ]]; then
    echo "FAIL $name: exit $rc, want $want"; echo "$out" | sed 's/^/    /'; failed=$((failed + 1)); return
  fi
  if [[ -n $pattern ]] && ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL $name: output does not match /$pattern/"; echo "$out" | sed 's/^/    /'; failed=$((failed + 1)); return
  fi
  echo "ok   $name"
  passed=$((passed + 1))
}

cat >"$WORK/consumer.properties" <<'P'
# MirrorMaker 1 consumer config
bootstrap.servers=127.0.0.1:9092
group.id=mirror
key.deserializer=org.apache.kafka.common.serialization.ByteArrayDeserializer
partition.assignment.strategy=org.apache.kafka.clients.consumer.RoundRobinAssignor
sasl.password=hunter2
P
printf 'bootstrap.servers=127.0.0.1:9092\n\nfetch.wait.max.ms=100\nno.such.key=1\n' >"$WORK/unknown.properties"
printf 'bootstrap.servers=127.0.0.1:9092\ngroup.id\n' >"$WORK/malformed.properties"

expect "dr-config --help teaches" 0 "Examples:" -- "$BIN/dr-config" --help
expect "dr-config valid file" 0 "partition.assignment.strategy += roundrobin" -- "$BIN/dr-config" --config "$WORK/consumer.properties"
expect "dr-config warns on ignored java keys" 0 "WARN .*consumer.properties:4: ignoring 'key.deserializer'" -- "$BIN/dr-config" --config "$WORK/consumer.properties"
expect "dr-config masks secrets" 0 "sasl.password += \*\*\*\*\*\*\*\*" -- "$BIN/dr-config" --config "$WORK/consumer.properties" --all
out=$("$BIN/dr-config" --config "$WORK/consumer.properties" --all --format json 2>&1)
if grep -q hunter2 <<<"$out"; then echo "FAIL dr-config leaked a secret"; failed=$((failed + 1)); else echo "ok   dr-config json has no secret"; passed=$((passed + 1)); fi
expect "dr-config unknown key: exit 2 naming file:line" 2 "unknown.properties:4: unknown property 'no.such.key'" -- "$BIN/dr-config" --config "$WORK/unknown.properties"
expect "dr-config malformed line: exit 2 naming file:line" 2 "malformed.properties:2: malformed line" -- "$BIN/dr-config" --config "$WORK/malformed.properties"
expect "dr-config unreadable file: exit 2 naming it" 2 "$WORK/missing.properties: cannot read config file" -- "$BIN/dr-config" --config "$WORK/missing.properties"
expect "dr-config bad -X: exit 2 naming the flag" 2 "-X: invalid value for 'linger.ms'" -- "$BIN/dr-config" -X linger.ms=soon
expect "dr-config unknown flag: exit 2" 2 "" -- "$BIN/dr-config" --no-such-flag

# MirrorMaker 1's own files (item 12): keys of the Java clients are mapped or ignored, never unknown.
printf 'bootstrap.servers=127.0.0.1:9092\nacks=all\nmax.block.ms=9223372036854775807\nmax.in.flight.requests.per.connection=1\n' >"$WORK/mm1-producer.properties"
printf 'bootstrap.servers=127.0.0.1:9092\ngroup.id=mm1\nfetch.max.wait.ms=250\nexclude.internal.topics=true\n' >"$WORK/mm1-consumer.properties"
expect "dr-config MirrorMaker 1 producer: max.block.ms ignored with a warning" 0 "mm1-producer.properties:3: ignoring 'max.block.ms'" -- "$BIN/dr-config" --role producer --config "$WORK/mm1-producer.properties"
expect "dr-config MirrorMaker 1 consumer: fetch.max.wait.ms is fetch.wait.max.ms" 0 "fetch.wait.max.ms += 250 +# .*mm1-consumer.properties:3" -- "$BIN/dr-config" --config "$WORK/mm1-consumer.properties"
expect "dr-config --java-keys prints the Java key table" 0 "^\| \`fetch.max.wait.ms\` \|" -- "$BIN/dr-config" --java-keys

expect "dr-status on a missing file: exit 2" 2 "state file does not exist" -- "$BIN/dr-status" --state "$WORK/none.db"
: >"$WORK/empty.db"
expect "dr-status initialises an empty file" 0 "schema version +[0-9]+" -- "$BIN/dr-status" --state "$WORK/empty.db"
expect "dr-status json" 0 '"schema_version"' -- "$BIN/dr-status" --state "$WORK/empty.db" --format json
cp "$WORK/empty.db" "$WORK/newer.db"
sqlite3 "$WORK/newer.db" "PRAGMA user_version=999;"
sum_before=$(sha256sum "$WORK/newer.db" | cut -d' ' -f1)
expect "dr-status refuses a newer state file: exit 3" 3 "schema version 999.*newer kafka-dr" -- "$BIN/dr-status" --state "$WORK/newer.db"
sum_after=$(sha256sum "$WORK/newer.db" | cut -d' ' -f1)
if [[ $sum_before == "$sum_after" ]]; then echo "ok   newer state file left untouched"; passed=$((passed + 1)); else echo "FAIL newer state file was modified"; failed=$((failed + 1)); fi
echo "not a database" >"$WORK/text.db"
expect "dr-status refuses a non-SQLite file: exit 2" 2 "not an SQLite database" -- "$BIN/dr-status" --state "$WORK/text.db"
if [[ $(cat "$WORK/text.db") == "not a database" ]]; then echo "ok   non-SQLite file left untouched"; passed=$((passed + 1)); else echo "FAIL non-SQLite file modified"; failed=$((failed + 1)); fi

echo "cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
