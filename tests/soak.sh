#!/usr/bin/env bash
# make soak: minutes of loopback churn while SOAK_OPEN idle connections stay
# open, inside a namespace made here.  tcpfate's counts must equal the load
# generator's exactly, nothing may be lost, every connection it saw must be
# accounted for (closed + still open + lost = seen), and its memory must stay
# flat (RSS sampled every second).
#
#   SOAK_SECONDS (default 120)   SOAK_OPEN (default 100000; 1000000 works on 24 GiB)
set -u
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT

SECS=${SOAK_SECONDS:-120}
OPEN=${SOAK_OPEN:-100000}
CHURN=$ROOT/build/bench/churn
OUT=$WORK/soak.json
CAC_PORT=26000
REFUSED_PORT=26500

ns_setup || { not_ok "network namespaces could be set up"; exit 1; }
echo "# soak: $SECS s of churn with $OPEN connections held open"

ip netns exec "$NS_A" "$CHURN" --hold "$OPEN" --hold-only --port 27000 >"$WORK/holder.out" 2>&1 &
HOLDER=$!
BG_PIDS+=("$HOLDER")
deadline=$((SECONDS + 600))
until grep -q holding "$WORK/holder.out" 2>/dev/null; do
	kill -0 "$HOLDER" 2>/dev/null && [ $SECONDS -lt $deadline ] || { not_ok "holding $OPEN connections: $(cat "$WORK/holder.out")"; exit 1; }
	sleep 0.5
done
ok "holding $OPEN open connections"

start_tcpfate "$OUT" -q --max-tracked $((2 * OPEN + 262144)) --port $CAC_PORT --port $((CAC_PORT + 1)) --port $REFUSED_PORT \
	--port $((REFUSED_PORT + 1)) --port $((REFUSED_PORT + 2)) --port $((REFUSED_PORT + 3)) || exit 1
( while kill -0 "$TCPFATE_PID" 2>/dev/null; do
	awk '/^VmRSS:/ { print $2 }' "/proc/$TCPFATE_PID/status" 2>/dev/null
	sleep 1
done ) >"$WORK/rss" &
ip netns exec "$NS_A" "$CHURN" --mode cac --workers 2 --duration "$SECS" --port $CAC_PORT >"$WORK/cac.out" &
CAC=$!
ip netns exec "$NS_A" "$CHURN" --mode refused --workers 4 --count 2000 --port $REFUSED_PORT >"$WORK/refused.out"
wait "$CAC"
sleep 1
stop_tcpfate

cac=$(sed -n 's/.*connections=\([0-9]*\).*/\1/p' "$WORK/cac.out")
refused=$(sed -n 's/.*connections=\([0-9]*\).*/\1/p' "$WORK/refused.out")
summary=$(jq -c 'select(.event == "summary")' "$OUT")
echo "# churn: $(cat "$WORK/cac.out")"
echo "# summary: $summary"
check_cmp "churn made connections" "$cac" -gt 0
# Ends the kernel never shows have no record (README, Accounting): counted as ends_unseen.
check "ok connections + ends unseen = 2 x churn's (both ends)" \
	"$(jq -r '.shown_labels.ok + .ends_unseen' <<<"$summary")" $((2 * cac))
check "refused connections = churn's" "$(jq -r '.shown_labels.refused' <<<"$summary")" "$refused"
check "no other label" "$(jq -r '.shown_labels | to_entries | map(select(.key != "ok" and .key != "refused")) | map(.value) | add' <<<"$summary")" 0
check "events lost" "$(jq -r .events_lost <<<"$summary")" 0
check "connections untracked" "$(jq -r .untracked <<<"$summary")" 0
check "late facts lost" "$(jq -r .late_facts_lost <<<"$summary")" 0
check "every close the kernel submitted was reported" "$(jq -r .ended <<<"$summary")" "$(jq -r .closes_submitted <<<"$summary")"
check "accounting: closed + still open + lost + unseen = seen" \
	"$(jq -r '.ended + .open_now + .events_lost + .ends_unseen' <<<"$summary")" "$(jq -r .tracked <<<"$summary")"
# Ends the kernel never shows (socket freed with no CLOSE and no destroy event): about one in a
# million here; counted and said, and a regression that loses more fails this.
check_cmp "ends unseen at most 2 per million" "$(jq -r '.ends_unseen * 1000000' <<<"$summary")" -le \
	"$(jq -r '[.tracked * 2, 2000000] | max' <<<"$summary")"
check_cmp "still open at the end includes the held connections" "$(jq -r .open_now <<<"$summary")" -ge $((2 * OPEN))
samples=$(wc -l <"$WORK/rss")
check_cmp "RSS sampled every second" "$samples" -ge $((SECS / 2))
# Flat: after the first tenth of the run, RSS never grows by more than 4 MiB.
# Flat: tables reach a high-water mark in bursts (after long scans) during the first part and
# stay there; a leak keeps growing, so the last third's peak would pass the earlier peak.
growth=$(awk '{ v[NR] = $1 } END { h = int(NR * 2 / 3); for (i = 1; i <= NR; i++) if (i <= h) { if (v[i] > a) a = v[i] } else if (v[i] > b) b = v[i]; print b - a }' "$WORK/rss")
check_cmp "RSS stays flat (last third's peak over the earlier peak, KiB)" "$growth" -le 1024
check_cmp "RSS under 32 MiB with $((2 * OPEN)) sockets open (KiB)" "$(sort -n "$WORK/rss" | tail -1)" -le 32768
echo "# peak RSS $(sort -n "$WORK/rss" | tail -1) KiB; every 5 s: $(awk 'NR % 5 == 1' "$WORK/rss" | tr '\n' ' ')"
kill "$HOLDER" 2>/dev/null
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
