#!/usr/bin/env bash
# The systemd units in deploy/systemd: systemd-analyze verify accepts them (with ExecStart pointing
# at the dr-drill just built), the timer's schedule parses and fires four times a year, and every
# flag the service passes to dr-drill run exists (so a renamed flag cannot rot the unit).
# Usage: test_systemd_units.sh SOURCE_DIR BIN_DIR
set -euo pipefail
SRC=$1
BIN=$2
UNITS=$SRC/deploy/systemd
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed (scripts/setup installs systemd)"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# verify resolves ExecStart's program: point it at the build's dr-drill.
sed "s|/usr/local/bin/dr-drill|$BIN/dr-drill|" "$UNITS/kafka-dr-drill.service" >"$WORK/kafka-dr-drill.service"
cp "$UNITS/kafka-dr-drill.timer" "$WORK/"
out=$(cd "$WORK" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no ./kafka-dr-drill.timer ./kafka-dr-drill.service 2>&1) || {
  echo "$out"
  fail "systemd-analyze verify rejected the units"
}
# verify exits 0 on some warnings: treat any complaint about our units as a failure.
if grep -E 'kafka-dr-drill\.(service|timer)' <<<"$out"; then fail "systemd-analyze verify complained (above)"; fi
echo "ok: systemd-analyze verify"

# A broken unit must be caught by the same check (the check can fail).
sed 's/^Type=oneshot/Type=oneshot-typo/' "$WORK/kafka-dr-drill.service" >"$WORK/broken.service"
broken=$(cd "$WORK" && systemd-analyze verify --man=no ./broken.service 2>&1 || true)
grep -q "broken.service" <<<"$broken" || fail "a typo in Type= was not reported: $broken"
echo "ok: a broken unit is reported"

calendar=$(sed -n 's/^OnCalendar=//p' "$UNITS/kafka-dr-drill.timer")
[[ -n $calendar ]] || fail "the timer has no OnCalendar="
next=$(systemd-analyze calendar --iterations=5 "$calendar")
months=$(grep -oE '[0-9]{4}-[0-9]{2}-[0-9]{2}' <<<"$next" | cut -d- -f2 | sort -u | tr '\n' ' ')
[[ $months == "01 04 07 10 " ]] || fail "the timer does not fire once a quarter: months $months"
echo "ok: the timer fires quarterly ($calendar)"

help=$("$BIN/dr-drill" run --help)
flags=$(sed -n '/^ExecStart=/,/^[^ ]/p' "$UNITS/kafka-dr-drill.service" | grep -oE -- '--[a-z][a-z-]+' | sort -u)
for f in $flags; do
  grep -q -- "$f" <<<"$help" || fail "the service passes $f, which dr-drill run does not have"
done
grep -q "^DR_DRILL_RPO=" "$UNITS/drill.env" || fail "drill.env does not show the RPO objective"
echo "ok: dr-drill run has every flag the service passes:" $flags
