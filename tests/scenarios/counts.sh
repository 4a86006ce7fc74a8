#!/usr/bin/env bash
# The benchmark's load generator and tcpfate agree on how many connections
# ended, at a modest rate: every connection has two ends, every refused
# connect one.  (Timings live in `make bench`; this only checks counts.)
set -u
. "$(dirname "$0")/../lib.sh"
trap cleanup EXIT

CHURN=$ROOT/build/bench/churn
ns_setup || { not_ok "network namespaces could be set up"; exit 0; }
NETNS_A=$(netns_inode "$NS_A")
OUT=$WORK/counts.json

start_tcpfate "$OUT" || exit 0
cac=$(ip netns exec "$NS_A" "$CHURN" --mode cac --count 20000 --workers 2 --port 19000)
rr=$(ip netns exec "$NS_A" "$CHURN" --mode rr --count 10000 --workers 1 --port 19100)
refused=$(ip netns exec "$NS_A" "$CHURN" --mode refused --count 50 --workers 1 --port 19200)
sleep 0.5
stop_tcpfate

ends() { # PORT [PORT]: closes in namespace A with either port at one end
	jq -c --argjson ns "$NETNS_A" --argjson lo "$1" --argjson hi "${2:-$1}" \
		'select(.event == "close" and .netns == $ns and
			((.sport >= $lo and .sport <= $hi) or (.dport >= $lo and .dport <= $hi)))' "$OUT" | wc -l
}
count() { sed -n 's/.*connections=\([0-9]*\).*/\1/p' <<<"$1"; }

check "churn cac: 20000 connections made" "$(count "$cac")" 20000
# Exact is the goal; about one end in 40,000-1,000,000 is currently neither reported nor counted
# as lost (the accounting gap of issue 7). Tolerate at most one here so CI is not flaky, and say so.
seen=$(ends 19000 19001)
check_cmp "churn cac: tcpfate saw both ends of each (at most 1 of 40000 unaccounted)" "$seen" -ge 39999
[ "$seen" -eq 40000 ] || echo "# counts: $((40000 - seen)) end(s) unaccounted (known gap, issue 7)"
check "churn cac: all ok" "$(jq -c --argjson ns "$NETNS_A" 'select(.event == "close" and .netns == $ns and .sport >= 19000 and .sport <= 19001 and .label != "ok")' "$OUT" | wc -l)" 0
check "churn rr: 10000 connections made" "$(count "$rr")" 10000
seen=$(ends 19100)
check_cmp "churn rr: tcpfate saw both ends of each (at most 1 of 20000 unaccounted)" "$seen" -ge 19999
check_cmp "churn rr: request and response bytes on every client record" \
	"$(jq -c --argjson ns "$NETNS_A" 'select(.event == "close" and .netns == $ns and .dport == 19100 and .tx_bytes == 64 and .rx_bytes == 64)' "$OUT" | wc -l)" -ge 9999
check "churn refused: 50 refused connects" "$(count "$refused")" 50
check "churn refused: tcpfate labelled each refused" \
	"$(jq -c --argjson ns "$NETNS_A" 'select(.event == "close" and .netns == $ns and .dport == 19200 and .label == "refused")' "$OUT" | wc -l)" 50
summary=$(jq -c 'select(.event == "summary")' "$OUT")
check "no events lost" "$(jq -r .events_lost <<<"$summary")" 0
check "no connections untracked" "$(jq -r .untracked <<<"$summary")" 0
