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

# snapshot FILE: its bytes (hash), mtime (ns) and mode; a tool that wrote, migrated or chmod'ed it changes one.
snapshot() { printf '%s %s' "$(sha256sum <"$1" | cut -d' ' -f1)" "$(stat -c '%y %a' "$1")"; }
# unchanged NAME FILE SNAPSHOT: checks FILE still has SNAPSHOT.
unchanged() {
  local now
  now=$(snapshot "$2")
  if [[ $now == "$3" ]]; then echo "ok   $1"; passed=$((passed + 1)); else echo "FAIL $1: $3 -> $now"; failed=$((failed + 1)); fi
}
# make_state_file PATH: a state file of the current schema (WAL, mode 0644) with a link primary->standby and a
# mapping for orders/0, made with sqlite3 from migrations/ since no tool here may create one without Kafka.
make_state_file() {
  local n=0 m
  for m in "$SRC/migrations"/[0-9]*.sql; do sqlite3 "$1" <"$m"; n=$((n + 1)); done
  sqlite3 "$1" "PRAGMA user_version=$n; PRAGMA journal_mode=WAL;
    INSERT INTO clusters VALUES ('id-p', 'primary', 'p:9092', 1, 1), ('id-s', 'standby', 's:9092', 1, 1);
    INSERT INTO links (link_id, name, source_cluster_id, target_cluster_id, created_ms, updated_ms)
      VALUES (1, 'primary->standby', 'id-p', 'id-s', 1, 1);
    INSERT INTO topic_map VALUES (1, 'orders', 'orders', 1, 1, 1);
    INSERT INTO offset_segments VALUES (1, 'orders', 0, 0, 100, 50, 1000, 2000);" >/dev/null
  chmod 644 "$1"
}
# read_only_dir DIR CMD...: runs CMD with DIR read-only: a read-only bind mount in a private mount namespace as
# root (root ignores permission bits), mode 0555 otherwise.
read_only_dir() {
  local dir=$1
  shift
  if [[ $(id -u) -eq 0 ]]; then
    unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"' sh "$dir" "$@"
  else
    chmod 555 "$dir"
    "$@"
    local rc=$?
    chmod 755 "$dir"
    return $rc
  fi
}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

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

# No raw control byte (other than newline and tab) may reach the terminal from a file or a flag.
expect_no_control_bytes() {
  local name=$1
  shift 2
  "$@" >"$WORK/out.bin" 2>&1
  if LC_ALL=C grep -qP '[\x00-\x08\x0b-\x1f\x7f]' "$WORK/out.bin"; then
    echo "FAIL $name: raw control bytes in the output:"; od -c "$WORK/out.bin" | head -5 | sed 's/^/    /'; failed=$((failed + 1)); return
  fi
  echo "ok   $name"
  passed=$((passed + 1))
}

# MirrorMaker 1's own files (item 12): keys of the Java clients are mapped or ignored, never unknown.
printf 'bootstrap.servers=127.0.0.1:9092\nacks=all\nmax.block.ms=9223372036854775807\nmax.in.flight.requests.per.connection=1\n' >"$WORK/mm1-producer.properties"
printf 'bootstrap.servers=127.0.0.1:9092\ngroup.id=mm1\nfetch.max.wait.ms=250\nexclude.internal.topics=true\n' >"$WORK/mm1-consumer.properties"
expect "dr-config MirrorMaker 1 producer: max.block.ms ignored with a warning" 0 "mm1-producer.properties:3: ignoring 'max.block.ms'" -- "$BIN/dr-config" --role producer --config "$WORK/mm1-producer.properties"
expect "dr-config MirrorMaker 1 consumer: fetch.max.wait.ms is fetch.wait.max.ms" 0 "fetch.wait.max.ms += 250 +# .*mm1-consumer.properties:3" -- "$BIN/dr-config" --config "$WORK/mm1-consumer.properties"
expect "dr-config --java-keys prints the Java key table" 0 "^\| \`fetch.max.wait.ms\` \|" -- "$BIN/dr-config" --java-keys

# Contradictions librdkafka would only report when a client is created (item 13), at load with FILE:LINE.
printf 'bootstrap.servers=127.0.0.1:9092\nacks=1\nenable.idempotence=true\n' >"$WORK/acks1.properties"
expect "dr-config acks=1 with idempotence: exit 2 naming file:line" 2 "acks1.properties:2: .*idempotence.*acks=all" -- "$BIN/dr-config" --role producer --config "$WORK/acks1.properties"
expect "dr-config acks=1 with idempotence, any role" 2 "acks1.properties:2: " -- "$BIN/dr-config" --config "$WORK/acks1.properties"
printf 'bootstrap.servers=127.0.0.1:9092\ngroup.id=g\nsession.timeout.ms=400000\n' >"$WORK/session.properties"
expect "dr-config session.timeout.ms above max.poll.interval.ms: exit 2 naming file:line" 2 "session.properties:3: session.timeout.ms=400000 .* must be at most max.poll.interval.ms" -- "$BIN/dr-config" --config "$WORK/session.properties"
printf '\xfe\xed\xfe\xed\x00\x00\x00\x02' >"$WORK/client.keystore.jks"
printf 'bootstrap.servers=127.0.0.1:9092\nsecurity.protocol=SSL\nssl.keystore.location=%s\nssl.keystore.password=x\n' "$WORK/client.keystore.jks" >"$WORK/jks.properties"
expect "dr-config JKS keystore without ssl.keystore.type: exit 2 naming file:line" 2 "jks.properties:3: .*JKS.*keytool -importkeystore .*-deststoretype PKCS12" -- "$BIN/dr-config" --config "$WORK/jks.properties"
printf 'not a keystore\n' >"$WORK/client.p12"
printf 'ssl.keystore.location=%s\nssl.keystore.password=x\nssl.keystore.type=PKCS12\n' "$WORK/client.p12" >"$WORK/notp12.properties"
expect "dr-config keystore without PKCS#12 content: exit 2 naming file:line" 2 "notp12.properties:1: .*keytool -importkeystore" -- "$BIN/dr-config" --config "$WORK/notp12.properties"
printf 'group.id=g\n' >"$WORK/nobootstrap.properties"
expect "dr-config --ping without bootstrap.servers names the file: exit 2" 2 "nobootstrap.properties: .*bootstrap.servers" -- "$BIN/dr-config" --config "$WORK/nobootstrap.properties" --ping

# Numbers are read strictly: librdkafka would take "45s" as 45 (milliseconds).
expect "dr-config refuses a number with a unit: exit 2" 2 "-X: invalid value for 'session.timeout.ms': '45s' is not a whole number" -- "$BIN/dr-config" -X session.timeout.ms=45s
expect "dr-config refuses a number in exponent notation: exit 2" 2 "not a whole number" -- "$BIN/dr-config" -X fetch.min.bytes=1e3
expect "dr-config takes a plain number and words" 0 "linger.ms += 20" -- "$BIN/dr-config" -X linger.ms=20 -X acks=all -X enable.idempotence=true

# Control bytes from files and flags are echoed escaped (item 13).
printf 'bootstrap.servers=127.0.0.1:9092\nno.such\x1b[2Jkey=1\n' >"$WORK/esc-key.properties"
expect "dr-config escapes ESC in an unknown key" 2 "esc-key.properties:2: unknown property 'no.such\\\\x1b\[2Jkey'" -- "$BIN/dr-config" --config "$WORK/esc-key.properties"
expect_no_control_bytes "dr-config: no raw ESC from an unknown key" -- "$BIN/dr-config" --config "$WORK/esc-key.properties"
printf 'linger.ms=5\x1b]0;owned\x07\n' >"$WORK/esc-value.properties"
expect_no_control_bytes "dr-config: no raw control bytes from an invalid value" -- "$BIN/dr-config" --config "$WORK/esc-value.properties"
printf 'bootstrap.servers=127.0.0.1:9092\\u0000evil\n' >"$WORK/nul.properties"
expect "dr-config refuses a NUL byte (librdkafka would cut the value there)" 2 "nul.properties:1: .*\\\\x00" -- "$BIN/dr-config" --config "$WORK/nul.properties"
expect_no_control_bytes "dr-config: no raw control bytes from -X" -- "$BIN/dr-config" -X $'no.such.key\r\e[31m=1'
out=$("$BIN/dr-config" -X =hunter2-nokey 2>&1); rc=$?
if [[ $rc -eq 2 ]] && ! grep -q hunter2 <<<"$out" && grep -q "key before '=' is missing" <<<"$out"; then
  echo "ok   dr-config: -X =VALUE without a key is refused without echoing the value"; passed=$((passed + 1))
else
  echo "FAIL dr-config: -X =VALUE: exit $rc, want 2 and no value echoed"; echo "$out" | sed 's/^/    /'; failed=$((failed + 1))
fi
expect_no_control_bytes "dr-config: no raw control bytes from a malformed line" -- "$BIN/dr-config" --config <(printf 'a=1\n\x1b[31mkey\n')
printf 'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p" x\\u001b[2J="1";\n' >"$WORK/esc-jaas.properties"
expect_no_control_bytes "dr-config: no raw control bytes in warnings" -- "$BIN/dr-config" --config "$WORK/esc-jaas.properties"

expect "dr-status on a missing file: exit 2" 2 "state file does not exist" -- "$BIN/dr-status" --state "$WORK/none.db"
: >"$WORK/empty.db"
make_state_file "$WORK/good.db"
expect "dr-status reads a state file" 0 "link primary->standby" -- "$BIN/dr-status" --state "$WORK/good.db"
expect "dr-status json" 0 '"schema_version"' -- "$BIN/dr-status" --state "$WORK/good.db" --format json
cp "$WORK/good.db" "$WORK/newer.db"
sqlite3 "$WORK/newer.db" "PRAGMA user_version=999;"
sum_before=$(sha256sum "$WORK/newer.db" | cut -d' ' -f1)
expect "dr-status refuses a newer state file: exit 3" 3 "schema version 999.*newer kafka-dr" -- "$BIN/dr-status" --state "$WORK/newer.db"
sum_after=$(sha256sum "$WORK/newer.db" | cut -d' ' -f1)
if [[ $sum_before == "$sum_after" ]]; then echo "ok   newer state file left untouched"; passed=$((passed + 1)); else echo "FAIL newer state file was modified"; failed=$((failed + 1)); fi
echo "not a database" >"$WORK/text.db"
expect "dr-status refuses a non-SQLite file: exit 2" 2 "not an SQLite database" -- "$BIN/dr-status" --state "$WORK/text.db"
if [[ $(cat "$WORK/text.db") == "not a database" ]]; then echo "ok   non-SQLite file left untouched"; passed=$((passed + 1)); else echo "FAIL non-SQLite file modified"; failed=$((failed + 1)); fi

printf 'bootstrap.servers=127.0.0.1:1\n' >"$WORK/standby.properties"

# Item 11: tools that only read never create, migrate, chmod or write the state file.
snap=$(snapshot "$WORK/empty.db")
expect "dr-status on an empty file: exit 2" 2 "empty.db: the state file is empty" -- "$BIN/dr-status" --state "$WORK/empty.db"
expect "dr-translate-offsets on an empty file: exit 2" 2 "empty.db: the state file is empty" -- \
  "$BIN/dr-translate-offsets" --state "$WORK/empty.db" --topic orders --partition 0 --offset 5
unchanged "readers leave an empty file empty (not migrated)" "$WORK/empty.db" "$snap"
expect "dr-translate-offsets on a missing file: exit 2, not created" 2 "state file does not exist" -- \
  "$BIN/dr-translate-offsets" --state "$WORK/absent.db" --topic orders --partition 0 --offset 5
if [[ -e $WORK/absent.db ]]; then echo "FAIL a reader created a state file"; failed=$((failed + 1)); else echo "ok   no file created"; passed=$((passed + 1)); fi
make_state_file "$WORK/read.db"
snap=$(snapshot "$WORK/read.db")
expect "dr-translate-offsets reads a state file" 0 "orders +0 +5 +105 +exact" -- \
  "$BIN/dr-translate-offsets" --state "$WORK/read.db" --topic orders --partition 0 --offset 5
expect "dr-status warns about a mode group/others can read" 0 "read.db: the state file has mode 0644" -- \
  "$BIN/dr-status" --state "$WORK/read.db"
unchanged "readers leave bytes, mtime and mode of a state file alone" "$WORK/read.db" "$snap"
expect "dr-failover keeps an existing mode (and warns)" 2 "mode 0644.*Left as it is" -- \
  "$BIN/dr-failover" --state "$WORK/read.db" --target-config "$WORK/standby.properties" --at -5m --link no-such-link
unchanged "a writer leaves bytes, mtime and mode alone when it stops on bad input" "$WORK/read.db" "$snap"
cp "$WORK/newer.db" "$WORK/newer2.db"
snap=$(snapshot "$WORK/newer2.db")
expect "dr-failover refuses a newer state file: exit 3" 3 "newer kafka-dr" -- \
  "$BIN/dr-failover" --state "$WORK/newer2.db" --target-config "$WORK/standby.properties" --at -5m
unchanged "a refusal writes nothing" "$WORK/newer2.db" "$snap"

# Not a state file: exit 2 at once, never blocking on a FIFO.
mkfifo "$WORK/fifo.db"
expect "dr-translate-offsets on a FIFO: exit 2, no hang" 2 "fifo.db: not a state file: the path is a FIFO" -- \
  timeout 10 "$BIN/dr-translate-offsets" --state "$WORK/fifo.db" --topic orders --partition 0 --offset 5
expect "dr-status on a FIFO: exit 2, no hang" 2 "not a state file: the path is a FIFO" -- timeout 10 "$BIN/dr-status" --state "$WORK/fifo.db"
expect "dr-failover on a FIFO: exit 2, no hang" 2 "not a state file: the path is a FIFO" -- \
  timeout 10 "$BIN/dr-failover" --state "$WORK/fifo.db" --target-config "$WORK/standby.properties" --at -5m
expect "dr-status on /dev/null: exit 2" 2 "/dev/null: not a state file: the path is a character device" -- \
  timeout 10 "$BIN/dr-status" --state /dev/null
expect "dr-failover on /dev/null: exit 2" 2 "/dev/null: not a state file: the path is a character device" -- \
  timeout 10 "$BIN/dr-failover" --state /dev/null --target-config "$WORK/standby.properties" --at -5m
expect "dr-status on a directory: exit 2" 2 "not a state file: the path is a directory" -- "$BIN/dr-status" --state "$WORK"
if [[ $(stat -c '%F %a' /dev/null) == "character special file 666" ]]; then echo "ok   /dev/null untouched"; passed=$((passed + 1)); else echo "FAIL /dev/null was changed"; failed=$((failed + 1)); fi

# Item 10: a read-only file system is "not writable", never "corrupt"; readers read there.
mkdir "$WORK/ro"
make_state_file "$WORK/ro/dr-state.db"
snap=$(snapshot "$WORK/ro/dr-state.db")
expect "dr-status reads a state file on a read-only file system" 0 "link primary->standby" -- \
  read_only_dir "$WORK/ro" "$BIN/dr-status" --state "$WORK/ro/dr-state.db"
expect "dr-translate-offsets reads a state file on a read-only file system" 0 "orders +0 +5 +105 +exact" -- \
  read_only_dir "$WORK/ro" "$BIN/dr-translate-offsets" --state "$WORK/ro/dr-state.db" --topic orders --partition 0 --offset 5
expect "dr-failover on a read-only file system: exit 1, not writable" 1 "ro/dr-state.db: the state file is not writable \((Read-only file system|Permission denied)\)" -- \
  read_only_dir "$WORK/ro" "$BIN/dr-failover" --state "$WORK/ro/dr-state.db" --target-config "$WORK/standby.properties" --at -5m
out=$(read_only_dir "$WORK/ro" "$BIN/dr-failover" --state "$WORK/ro/dr-state.db" --target-config "$WORK/standby.properties" --at -5m 2>&1)
if grep -qiE "corrupt|move it aside" <<<"$out"; then echo "FAIL a read-only state file is called corrupt: $out"; failed=$((failed + 1)); else echo "ok   not called corrupt"; passed=$((passed + 1)); fi
unchanged "nothing written on the read-only file system" "$WORK/ro/dr-state.db" "$snap"
if [[ $(ls "$WORK/ro") == "dr-state.db" ]]; then echo "ok   no -wal/-shm left"; passed=$((passed + 1)); else echo "FAIL files appeared: $(ls "$WORK/ro")"; failed=$((failed + 1)); fi

# A state file with one link and a 3-partition topic (as dr-mirror records them), for the tools that only read.
make_state_file "$WORK/link.db"
sqlite3 "$WORK/link.db" "
UPDATE topic_map SET partitions = 3;
DELETE FROM offset_segments;
INSERT INTO offset_segments VALUES (1, 'orders', 0, 0, 0, 100, 1763791200000, 1763791201000);
INSERT INTO group_checkpoints VALUES (1, 'billing', 'orders', 0, 1763791201000, 40);
INSERT INTO group_checkpoint_reads VALUES (1, 'billing', 1763791201000);"

# Numbers out of range for any flag are errors naming the flag, never clamped or wrapped (item 5).
expect "dr-translate-offsets: negative --offset names the flag" 2 "--offset: .*-5.*(0 or more|out of range)" -- \
  "$BIN/dr-translate-offsets" --state "$WORK/link.db" --topic orders --partition 0 --offset -5
expect "dr-translate-offsets: negative --partition names the flag" 2 "--partition: .*-1.*(0 or more|out of range)" -- \
  "$BIN/dr-translate-offsets" --state "$WORK/link.db" --topic orders --partition -1 --offset 5

expect "dr-translate-offsets: --partition beyond int32 is refused" 2 "--partition: .*4294967296" -- \
  "$BIN/dr-translate-offsets" --state "$WORK/link.db" --topic orders --partition 4294967296 --offset 5
expect "dr-translate-offsets: --offset beyond int64 is refused, not clamped" 2 "--offset: .*99999999999999999999" -- \
  "$BIN/dr-translate-offsets" --state "$WORK/link.db" --topic orders --partition 0 --offset 99999999999999999999
expect "dr-translate-offsets: --partition 010 is not octal 8" 2 "--partition: .*010" -- \
  "$BIN/dr-translate-offsets" --state "$WORK/link.db" --topic orders --partition 010 --offset 5
expect "dr-translate-offsets: --offset 0x10 is not hexadecimal 16" 2 "--offset: .*0x10" -- \
  "$BIN/dr-translate-offsets" --state "$WORK/link.db" --topic orders --partition 0 --offset 0x10
expect "dr-translate-offsets: --at epoch seconds says what was meant" 2 \
  "1763791200 looks like epoch seconds; epoch milliseconds would be 1763791200000" -- \
  "$BIN/dr-translate-offsets" --state "$WORK/link.db" --at 1763791200
expect "dr-failover: --at 2025-02-31 does not exist" 2 "February 2025 has 28 days" -- \
  "$BIN/dr-failover" --state "$WORK/link.db" --target-config "$WORK/standby.properties" --at 2025-02-31T00:00:00Z
expect "dr-failover: --at zone +25:00 does not exist" 2 "zone \+25:00 does not exist" -- \
  "$BIN/dr-failover" --state "$WORK/link.db" --target-config "$WORK/standby.properties" --at 2025-11-10T10:00:00+25:00
for flag in --offset.commit.interval.ms --checkpoint-interval-ms --topic-refresh-ms --prune-interval-ms \
            --unreachable-timeout-ms --shutdown-timeout-ms --num.streams; do
  expect "dr-mirror: negative $flag is refused naming it" 2 "$flag: .*-5" -- \
    timeout 10 "$BIN/dr-mirror" --consumer.config "$WORK/consumer.properties" --producer.config "$WORK/standby.properties" \
    --include orders --state "$WORK/mirror.db" "$flag" -5
  expect "dr-mirror: $flag beyond int64 is refused naming it" 2 "$flag: .*99999999999999999999" -- \
    timeout 10 "$BIN/dr-mirror" --consumer.config "$WORK/consumer.properties" --producer.config "$WORK/standby.properties" \
    --include orders --state "$WORK/mirror.db" "$flag" 99999999999999999999
done
expect "dr-mirror: --num.streams 0 is refused" 2 "--num.streams: .*0" -- \
  timeout 10 "$BIN/dr-mirror" --consumer.config "$WORK/consumer.properties" --producer.config "$WORK/standby.properties" \
  --include orders --state "$WORK/mirror.db" --num.streams 0
expect "dr-mirror: --replication-factor -2 is refused" 2 "--replication-factor: .*-2" -- \
  timeout 10 "$BIN/dr-mirror" --consumer.config "$WORK/consumer.properties" --producer.config "$WORK/standby.properties" \
  --include orders --state "$WORK/mirror.db" --replication-factor -2

expect "dr-failover: negative --timeout-ms is refused naming it" 2 "--timeout-ms: .*-5" -- \
  timeout 10 "$BIN/dr-failover" --state "$WORK/link.db" --target-config "$WORK/standby.properties" --at -1m --timeout-ms -5
expect "dr-failover: --timeout-ms 0 is refused naming it" 2 "--timeout-ms: .*0" -- \
  timeout 10 "$BIN/dr-failover" --state "$WORK/link.db" --target-config "$WORK/standby.properties" --at -1m --timeout-ms 0

# dr-translate-offsets: a partition the topic does not have (issue 9, item 13).
expect "dr-translate-offsets: a partition the topic does not have is exit 2 naming topic and partition" 2 \
  "orders has 3 partitions \(0 to 2\); there is no partition 3" -- \
  "$BIN/dr-translate-offsets" --state "$WORK/link.db" --topic orders --partition 3 --offset 5
expect "dr-translate-offsets: a partition inside the topic still answers" 0 "orders +0 +5 +5 +exact" -- \
  "$BIN/dr-translate-offsets" --state "$WORK/link.db" --topic orders --partition 0 --offset 5
# dr-failover checks every input before it contacts the standby (127.0.0.1:9 answers nothing) (item 13).
expect "dr-failover: a bad --groups regex is exit 2 at once, before any network call" 2 "--groups: invalid regular expression" -- \
  timeout 10 "$BIN/dr-failover" --state "$WORK/link.db" --target-config "$WORK/standby.properties" --at -1m --groups '(' --timeout-ms 20000

# No secret given on a command line is echoed back (issue 9, item 8).
out=$(timeout 10 "$BIN/dr-mirror" --consumer.config "$WORK/consumer.properties" --producer.config "$WORK/standby.properties" \
  --include orders --state "$WORK/mirror.db" -X sasl.password=hunter2-unprefixed 2>&1)
rc=$?
if [[ $rc -eq 2 ]] && ! grep -q hunter2 <<<"$out" && grep -q "sasl.password=\*\*\*\*\*\*\*\*" <<<"$out"; then
  echo "ok   dr-mirror: an -X key without source./target. is refused without echoing its secret"; passed=$((passed + 1))
else
  echo "FAIL dr-mirror: -X without prefix: exit $rc, want 2 and no secret"; echo "$out" | sed 's/^/    /'; failed=$((failed + 1))
fi

# dr-resync and dr-failover --planned: input checked before anything is contacted or written (issue 10).
make_state_file "$WORK/resync.db"
before=$(snapshot "$WORK/resync.db")
expect "dr-resync --help teaches" 0 "Examples:" -- "$BIN/dr-resync" --help
expect "dr-resync --quiet-period without a unit: exit 2 naming the flag" 2 "--quiet-period: '30': a duration needs a unit" -- \
  "$BIN/dr-resync" --state "$WORK/resync.db" --old-primary-config "$WORK/consumer.properties" \
  --new-primary-config "$WORK/standby.properties" --quiet-period 30
expect "dr-resync --confirm without --execute: exit 2" 2 "--confirm goes with --execute" -- \
  "$BIN/dr-resync" --state "$WORK/resync.db" --old-primary-config "$WORK/consumer.properties" \
  --new-primary-config "$WORK/standby.properties" --confirm id-p
expect "dr-resync an -X without old./new.: exit 2, value not echoed" 2 "-X: 'sasl.password...' is neither" -- \
  "$BIN/dr-resync" --state "$WORK/resync.db" --old-primary-config "$WORK/consumer.properties" \
  --new-primary-config "$WORK/standby.properties" -X sasl.password=hunter2
expect "dr-resync on an active link: exit 3 before any cluster is contacted" 3 "link primary->standby is active" -- \
  timeout 10 "$BIN/dr-resync" --state "$WORK/resync.db" --link 'primary->standby' --old-primary-config "$WORK/consumer.properties" \
  --new-primary-config "$WORK/standby.properties" --timeout-ms 60000
expect "dr-resync --execute without --confirm on a fenced link: exit 3 before any cluster is contacted" 3 "type its cluster id back with --confirm id-p" -- \
  sh -c "sqlite3 '$WORK/resync2.db' '' && cp '$WORK/resync.db' '$WORK/resync2.db' && sqlite3 '$WORK/resync2.db' \"UPDATE links SET state = 'failed_over'\" && timeout 10 '$BIN/dr-resync' --state '$WORK/resync2.db' --link 'primary->standby' --old-primary-config '$WORK/consumer.properties' --new-primary-config '$WORK/standby.properties' --execute"
expect "dr-resync replay from a directory without a manifest: exit 2" 2 "no manifest.json" -- \
  "$BIN/dr-resync" replay --from "$WORK" --config "$WORK/standby.properties" --topic t
[[ $(snapshot "$WORK/resync.db") == "$before" ]] && { echo "ok   dr-resync refusals left the state file as it was"; passed=$((passed + 1)); } ||
  { echo "FAIL dr-resync changed the state file"; failed=$((failed + 1)); }
expect "dr-failover --planned with --at: exit 2" 2 "--planned and --at exclude each other" -- \
  "$BIN/dr-failover" --state "$WORK/resync.db" --target-config "$WORK/standby.properties" --planned --at -5m
expect "dr-failover without --at or --planned: exit 2" 2 "--at: required" -- \
  "$BIN/dr-failover" --state "$WORK/resync.db" --target-config "$WORK/standby.properties"

# dr-drill: input checked before any cluster is contacted or anything is written (issue 11).
expect "dr-drill --help teaches" 0 "Examples:" -- "$BIN/dr-drill" --help
expect "dr-drill run --help names the exit code of a failed drill" 0 "4 the drill ran and FAILED" -- "$BIN/dr-drill" run --help
expect "dr-drill run without --primary-config: exit 2 naming the flag" 2 "--primary-config.*required" -- \
  "$BIN/dr-drill" run --standby-config "$WORK/standby.properties" --state "$WORK/drill.db" --work-dir "$WORK/d1"
expect "dr-drill run --local with --primary-config: exit 2" 2 "--local starts its own clusters" -- \
  "$BIN/dr-drill" run --local --primary-config "$WORK/consumer.properties" --work-dir "$WORK/d2"
expect "dr-drill --rpo-objective without a unit: exit 2 naming the flag" 2 "--rpo-objective: '30': a duration needs a unit" -- \
  "$BIN/dr-drill" run --primary-config "$WORK/consumer.properties" --standby-config "$WORK/standby.properties" --rpo-objective 30
expect "dr-drill --rate out of range: exit 2" 2 "--rate" -- \
  "$BIN/dr-drill" run --primary-config "$WORK/consumer.properties" --standby-config "$WORK/standby.properties" --rate 5
expect "dr-drill a config file that does not exist: exit 2 naming it" 2 "$WORK/missing.properties" -- \
  "$BIN/dr-drill" run --primary-config "$WORK/missing.properties" --standby-config "$WORK/standby.properties" \
  --state "$WORK/drill.db" --work-dir "$WORK/d3"
expect "dr-drill an invalid canary topic name: exit 2 naming the flag" 2 "--canary-topic.*not a valid Kafka name" -- \
  "$BIN/dr-drill" run --primary-config "$WORK/consumer.properties" --standby-config "$WORK/standby.properties" \
  --state "$WORK/drill.db" --work-dir "$WORK/d4" --canary-topic 'bad topic'
out=$("$BIN/dr-drill" run --primary-config "$WORK/consumer.properties" --standby-config "$WORK/standby.properties" \
  --state "$WORK/drill.db" --work-dir "$WORK/d5" -X sasl.password=hunter2secret 2>&1)
rc=$?
if [[ $rc -eq 2 && $out == *"'sasl.password=...': say which cluster"* && $out != *hunter2secret* ]]; then
  echo "ok   dr-drill -X without primary./standby.: exit 2, the value not echoed"; passed=$((passed + 1))
else
  echo "FAIL dr-drill -X without primary./standby.: exit $rc"; echo "$out" | sed 's/^/    /'; failed=$((failed + 1))
fi
# The game day (--scope groups): its flags checked before any cluster is contacted.
expect "dr-drill --groups without --scope groups: exit 2" 2 "add --scope groups" -- \
  "$BIN/dr-drill" run --primary-config "$WORK/consumer.properties" --standby-config "$WORK/standby.properties" \
  --groups billing --work-dir "$WORK/d6"
expect "dr-drill --scope groups without --groups: exit 2 naming the flag" 2 "--groups: a game day fails over real groups" -- \
  "$BIN/dr-drill" run --scope groups --primary-config "$WORK/consumer.properties" --standby-config "$WORK/standby.properties" \
  --state "$WORK/drill.db" --work-dir "$WORK/d7"
expect "dr-drill --scope groups --execute without --confirm: exit 2 naming the flag" 2 "--confirm: a game day really fails" -- \
  "$BIN/dr-drill" run --scope groups --groups billing --execute --primary-config "$WORK/consumer.properties" \
  --standby-config "$WORK/standby.properties" --state "$WORK/drill.db" --work-dir "$WORK/d8"
expect "dr-drill --scope groups with a bad regex: exit 2" 2 "--groups: '\[' is not a valid regex" -- \
  "$BIN/dr-drill" run --scope groups --groups '[' --primary-config "$WORK/consumer.properties" \
  --standby-config "$WORK/standby.properties" --state "$WORK/drill.db" --work-dir "$WORK/d9"
expect "dr-drill --mode sideways: exit 2" 2 "--mode" -- \
  "$BIN/dr-drill" run --scope groups --groups billing --mode sideways --primary-config "$WORK/consumer.properties" \
  --standby-config "$WORK/standby.properties"
expect "dr-drill --scope groups --local: exit 2" 2 "--local runs the canary drill only" -- \
  "$BIN/dr-drill" run --scope groups --groups billing --local --work-dir "$WORK/d10"
for d in d1 d2 d3 d4 d5 d6 d7 d8 d9 d10; do
  [[ -e $WORK/$d ]] && { echo "FAIL dr-drill bad input created $WORK/$d"; failed=$((failed + 1)); }
done
[[ -e $WORK/drill.db ]] && { echo "FAIL dr-drill bad input created the state file"; failed=$((failed + 1)); }
expect "dr-drill history of a state file that does not exist: exit 2" 2 "$WORK/nothing.db" -- \
  "$BIN/dr-drill" history --state "$WORK/nothing.db"
make_state_file "$WORK/drills.db"
expect "dr-drill history with no drill: exit 0, says so" 0 "no drill" -- "$BIN/dr-drill" history --state "$WORK/drills.db"
expect "dr-status with no drill says so" 0 "last drill +none recorded" -- "$BIN/dr-status" --state "$WORK/drills.db"
expect "dr-status --drill-max-age-days 0: exit 2" 2 "--drill-max-age-days" -- \
  "$BIN/dr-status" --state "$WORK/drills.db" --drill-max-age-days 0

echo "cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
