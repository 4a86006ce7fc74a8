#!/usr/bin/env bash
# make soak-record: --record at full loopback churn for a minute, inside a namespace made
# here, with failures made at a known count.  Nothing may be dropped; the recording must
# hold every connection the load generators made (ok ones counted in rollups, failures a
# row each); and the file must grow with the failures, not with the ok traffic: the
# figures (bytes per failure, bytes per million ok connections) are printed.
#
#   SOAK_SECONDS (default 60)   SOAK_FAILURES (default 3000: refused connects, in three bursts)
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

SECS=${SOAK_SECONDS:-60}
FAILURES=${SOAK_FAILURES:-3000}
CHURN=$ROOT/build/bench/churn
OUT=$WORK/soak.json
DB=$WORK/soak.db
CAC_PORT=26000
REFUSED_PORT=26500

ns_setup || { not_ok "network namespaces could be set up"; exit 1; }
echo "# soak-record: $SECS s of churn, $FAILURES refused connects, recorded"
start_tcpfate "$OUT" -q --record "$DB" || exit 1
# The load starts as soon as tcpfate is ready; the failures come in three bursts during it.
ip netns exec "$NS_A" "$CHURN" --mode cac --workers 2 --duration "$SECS" --port $CAC_PORT >"$WORK/cac.out" &
CAC=$!
: >"$WORK/refused.out"
for burst in 1 2 3; do
	sleep $((SECS / 4))
	ip netns exec "$NS_A" "$CHURN" --mode refused --workers 1 --count $((FAILURES / 3)) \
		--port $((REFUSED_PORT + burst)) >>"$WORK/refused.out"
done
wait "$CAC"
sleep 1
stop_tcpfate

cac=$(sed -n 's/.*connections=\([0-9]*\).*/\1/p' "$WORK/cac.out")
refused=$(sed -n 's/.*connections=\([0-9]*\).*/\1/p' "$WORK/refused.out" | awk '{ s += $1 } END { print s + 0 }')
summary=$(jq -c 'select(.event == "summary")' "$OUT")
echo "# churn: $(cat "$WORK/cac.out")"
echo "# summary: $summary"
check_cmp "churn made connections" "$cac" -gt 100000
check "refused connects made" "$refused" $((FAILURES / 3 * 3))
check "events lost" "$(jq -r .events_lost <<<"$summary")" 0
check "rows dropped by the recorder" "$(jq -r .records_dropped <<<"$summary")" 0
check "every connection that ended was recorded" "$(jq -r '.records_written == .ended' <<<"$summary")" true

# What the recording holds, against what the load generators made (both ends of each churn
# connection; ends the kernel never shows are counted as ends_unseen, README "Accounting").
ok_recorded=$(sqlite3 "$DB" "SELECT coalesce(sum(connections), 0) FROM ok_rollups WHERE sport BETWEEN $CAC_PORT AND $((CAC_PORT + 1)) OR dport BETWEEN $CAC_PORT AND $((CAC_PORT + 1))")
check "ok connections recorded (rollups) + ends unseen = 2 x churn's" \
	"$((ok_recorded + $(jq -r .ends_unseen <<<"$summary")))" $((2 * cac))
check "ok connections kept as rows" "$(sqlite3 "$DB" "SELECT count(*) FROM connections WHERE label = 'ok'")" 0
check "refused connects recorded, a row each" \
	"$(sqlite3 "$DB" "SELECT count(*) FROM connections WHERE label = 'refused' AND dport > $REFUSED_PORT AND dport <= $((REFUSED_PORT + 3))")" "$refused"
check "no other failure" "$(sqlite3 "$DB" "SELECT count(*) FROM connections WHERE label != 'refused'")" 0
report=$("$TCPFATE" report "$DB" --format json)
check "the report counts them all" "$(jq -r '[.labels.ok, .labels.refused] | @tsv' <<<"$report")" \
	"$(printf '%s\t%s' "$ok_recorded" "$refused")"

# Where the bytes went: each table with its indexes (SQLite's dbstat).
bytes() { sqlite3 "$DB" "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN ($1)"; }
rows_bytes=$(bytes "'connections', 'connections_ts', 'connections_label_ts'")
rollup_bytes=$(bytes "'ok_rollups', 'ok_rollups_ts'")
per_failure=$((rows_bytes / refused))
per_million_ok=$((rollup_bytes * 1000000 / ok_recorded))
echo "# file $(stat -c %s "$DB") bytes; failures: $rows_bytes bytes for $refused ($per_failure per failure);" \
	"ok: $rollup_bytes bytes for $ok_recorded ($per_million_ok per million)"
echo "# ok rollup rows: $(sqlite3 "$DB" 'SELECT count(*) FROM ok_rollups') for $SECS s"
# Growth with ok traffic: a rollup per second and key (here four keys: the client's and the
# server's end of each of the two churn ports; a record that comes in after its second was
# written starts another), never a row per connection.
check_cmp "ok rollup rows: about one per second and key" "$(sqlite3 "$DB" 'SELECT count(*) FROM ok_rollups')" -le $((2 * 4 * (SECS + 2)))
check_cmp "an ok connection costs under 1 % of a failure's bytes" $((rollup_bytes * 100)) -lt $((per_failure * ok_recorded))
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
