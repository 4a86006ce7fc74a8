#!/usr/bin/env bash
# Live warnings from the periodic scan of open connections, made for real: a
# server that never closes after the peer did (close-wait), a client whose
# data is dropped (retransmitting), a server that never reads (stalled), and
# a sender facing a closed window (zero-window).  Instances watch the same
# connections, each scanning them its own way: the default (an iterator over the
# connection table with direct reads, 6.2+), the program tcpfate runs itself
# (where map element iterators are refused), and, where iterators load, the
# iterator with probe reads older kernels need; each must see every warning.
set -u
. "$(dirname "$0")/../lib.sh"
trap cleanup EXIT

ns_setup || { not_ok "network namespaces could be set up"; exit 0; }
NETNS_B=$(netns_inode "$NS_B")

WARN_OPTS=(--scan-interval 200 --warn-close-wait 1 --warn-retrans 1 --warn-stalled 1 --warn-zero-window 1)
loaded() { bpftool prog show 2>/dev/null | grep -c " name $1 "; }
scan_of() { sed -n 's/^tcpfate: ready (.*open connections scanned \(.*\))$/\1/p' "$1.err"; }
declare -A PIDS
start_tcpfate "$WORK/default.json" "${WARN_OPTS[@]}" || exit 0
PIDS[default]=$TCPFATE_PID
TCPFATE_SCAN=run start_tcpfate "$WORK/run.json" "${WARN_OPTS[@]}" || exit 0
PIDS[run]=$TCPFATE_PID
check "forced, the scan is the program tcpfate runs" "$(scan_of "$WORK/run.json")" "by a program tcpfate runs"
case "$(scan_of "$WORK/default.json")" in
"by iterator, direct reads")
	TCPFATE_SCAN=probe start_tcpfate "$WORK/probe.json" "${WARN_OPTS[@]}" || exit 0
	PIDS[probe]=$TCPFATE_PID
	check "the direct-read iterator is loaded once (by the default instance)" "$(loaded tf_scan_direct)" 1
	check "the probe-read iterator is loaded once (by the third)" "$(loaded tf_scan_probe)" 1
	;;
"by iterator, probe reads")
	# No bpf_rdonly_cast before 6.2: the probe-read iterator is the default.
	check "without direct reads, the probe-read iterator is loaded (by the default instance)" \
		"$(loaded tf_scan_direct) $(loaded tf_scan_probe)" "0 1"
	;;
"by a program tcpfate runs")
	# This kernel refuses map element iterators (some sandboxes do): the run path is its default.
	check "iterators refused here: no iterator scan program is loaded" \
		"$(($(loaded tf_scan_direct) + $(loaded tf_scan_probe)))" 0
	;;
*) not_ok "the default instance's scan: '$(scan_of "$WORK/default.json")'" ;;
esac
check "the run scan program is loaded by each instance that uses it" "$(loaded tf_scan_run)" \
	"$(grep -l 'scanned by a program tcpfate runs' "$WORK"/*.json.err | wc -l)"

# close-wait: the client connects and closes; the server neither reads nor closes.
drive cw-srv "$NS_B" server $B4 29101 sink
wait_line cw-srv listening
drive cw-cli "$NS_A" client $B4 29101 connect
# close-wait again, on a socket accepted late: the first scans find it in the
# accept queue, held by no process; its owner must still be found before the warning.
drive la-srv "$NS_B" server $B4 29105 sink --delay 400
wait_line la-srv listening
drive la-cli "$NS_A" client $B4 29105 connect
# retransmitting: established, then everything to the server dropped before the client writes.
drive rt-srv "$NS_B" server $B4 29102 hold
wait_line rt-srv listening
drive rt-cli "$NS_A" client $B4 29102 hold --after-signal
wait_line rt-cli connected
nft_rule "$NS_B" "tcp dport 29102 drop"
kill -USR1 "$(field rt-cli pid)"
# stalled: the client writes a request and waits; the server never reads it.
drive st-srv "$NS_B" server $B4 29103 sink
wait_line st-srv listening
drive st-cli "$NS_A" client $B4 29103 hold --delay 100
# zero-window: the client writes until the server's window is closed.
drive zw-srv "$NS_B" server $B4 29104 sink
wait_line zw-srv listening
drive zw-cli "$NS_A" client $B4 29104 fill
wait_line zw-cli stalled 15

# warning FILE KIND SELECT: the first warning of KIND matching SELECT, waited for.
warning() {
	local deadline=$((SECONDS + 15)) w
	while :; do
		w=$(jq -c "select(.event == \"warning\" and .kind == \"$2\" and ($3))" "$1" 2>/dev/null | head -1)
		[ -n "$w" ] || [ $SECONDS -ge $deadline ] && break
		sleep 0.2
	done
	echo "$w"
}

for variant in "${!PIDS[@]}"; do
	out=$WORK/$variant.json
	w=$(warning "$out" close-wait ".sport == 29101")
	check "$variant: close-wait warning on the server's end" "$(jq -r '[.direction, .state, .pid] | @tsv' <<<"$w")" \
		"$(printf 'in\tCLOSE_WAIT\t%s' "$(field cw-srv pid)")"
	check_cmp "$variant: close-wait lasted at least the threshold (ms)" "$(jq -r .for_ms <<<"$w")" -ge 1000
	check "$variant: close-wait warning in the server's namespace" "$(jq -r .netns <<<"$w")" "$NETNS_B"
	w=$(warning "$out" close-wait ".sport == 29105")
	check "$variant: close-wait on a socket accepted late names its owner" "$(jq -r '[.state, .pid] | @tsv' <<<"$w")" \
		"$(printf 'CLOSE_WAIT\t%s' "$(field la-srv pid)")"

	w=$(warning "$out" retransmitting ".dport == 29102")
	check "$variant: retransmitting warning on the client's end" "$(jq -r '[.direction, .pid] | @tsv' <<<"$w")" \
		"$(printf 'out\t%s' "$(field rt-cli pid)")"
	check_cmp "$variant: retransmitting: RTOs counted" "$(jq -r .retransmits <<<"$w")" -ge 1
	check_cmp "$variant: retransmitting: bytes unacknowledged" "$(jq -r .unacked <<<"$w")" -gt 0

	w=$(warning "$out" stalled ".sport == 29103")
	check "$variant: stalled warning on the server that does not read" "$(jq -r '[.direction, .state] | @tsv' <<<"$w")" \
		"$(printf 'in\tESTABLISHED')"
	check_cmp "$variant: stalled: the request waits unread (bytes)" "$(jq -r .bytes_waiting <<<"$w")" -gt 0

	w=$(warning "$out" zero-window ".dport == 29104")
	check "$variant: zero-window warning on the blocked sender" "$(jq -r '[.direction, .snd_wnd] | @tsv' <<<"$w")" \
		"$(printf 'out\t0')"
	check_cmp "$variant: zero-window: data waits to be sent (bytes)" "$(jq -r .unsent <<<"$w")" -gt 0
done

# Nothing else warned: the idle listening sockets and the instances' own state are quiet.
for variant in "${!PIDS[@]}"; do
	check "$variant: no warning about other ports" \
		"$(jq -c 'select(.event == "warning" and ([.sport, .dport] | any(. >= 29101 and . <= 29105) | not))' \
			"$WORK/$variant.json" | wc -l)" 0
done

for variant in "${!PIDS[@]}"; do
	TCPFATE_PID=${PIDS[$variant]} stop_tcpfate
done
echo "# $PASSED passed, $FAILED failed"
