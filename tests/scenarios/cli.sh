#!/usr/bin/env bash
# The live CLI as a user meets it: filters, text and JSON output, stopping by
# --duration, SIGTERM and a closed pipe, and one-line errors with the right
# exit status.  Traffic stays on the loopback of a namespace made here.
set -u
. "$(dirname "$0")/../lib.sh"
trap cleanup EXIT

ns_setup || { not_ok "network namespaces could be set up"; exit 0; }
NETNS_A=$(netns_inode "$NS_A")

# One full request/response between two tcpdrive processes in namespace A.
exchange() { # NAME ADDR PORT SERVER_MODE CLIENT_MODE
	drive "$1-srv" "$NS_A" server "$2" "$3" "$4"
	wait_line "$1-srv" listening
	drive "$1-cli" "$NS_A" client "$2" "$3" "$5"
	wait_line "$1-cli" '^done' 10
	wait_line "$1-srv" '^done' 10
}

# --- errors: one line on stderr, status 2 for arguments, 1 for privileges -------
for args in "--pid abc" "--port 0" "--duration -1" "--nope" "extra"; do
	# shellcheck disable=SC2086
	"$TCPFATE" $args >"$WORK/err.out" 2>"$WORK/err.err"
	check "bad arguments '$args': exit status" "$?" 2
	check "bad arguments '$args': one line on stderr" "$(wc -l <"$WORK/err.err")" 1
	check "bad arguments '$args': nothing on stdout" "$(wc -c <"$WORK/err.out")" 0
done
setpriv --reuid=65534 --regid=65534 --clear-groups "$TCPFATE" --duration 1 >/dev/null 2>"$WORK/priv.err"
check "without privileges: exit status" "$?" 1
check "without privileges: one line" "$(wc -l <"$WORK/priv.err")" 1
grep -q "CAP_BPF" "$WORK/priv.err" && ok "without privileges: names what is needed" ||
	not_ok "without privileges: names what is needed ($(cat "$WORK/priv.err"))"

# --- filters --------------------------------------------------------------------
OUT=$WORK/filtered.json
start_tcpfate "$OUT" -x -4 || exit 0
exchange okv4 127.0.0.1 7001 reply request
exchange hangv4 127.0.0.1 7002 no-reply request
exchange hangv6 ::1 7003 no-reply request
drive refused-cli "$NS_A" client 127.0.0.1 7004 connect
wait_line refused-cli '^done'
sleep 0.3
stop_tcpfate
check "-x -4: no ok connection shown" "$(jq -c 'select(.event == "close" and .netns == '"$NETNS_A"' and .label == "ok")' "$OUT" | wc -l)" 0
check "-x -4: no IPv6 connection shown" "$(jq -c 'select(.event == "close" and .family == 6)' "$OUT" | wc -l)" 0
expect_record "-x -4: the IPv4 hang-up is shown" "$OUT" ".netns == $NETNS_A and .dport == 7002" label=hang-up
expect_record "-x -4: the refused connect is shown" "$OUT" ".netns == $NETNS_A and .dport == 7004" label=refused
summary=$(grep '^{"event":"summary"' "$OUT")
check_cmp "summary counts what the filters hid too" "$(jq -r .ended <<<"$summary")" -gt "$(jq -r .shown <<<"$summary")"

OUT=$WORK/pid.json
drive pidsrv "$NS_A" server 127.0.0.1 7010 reply
wait_line pidsrv listening
start_tcpfate "$OUT" -p "$(field pidsrv pid)" || exit 0
drive pidcli "$NS_A" client 127.0.0.1 7010 request
wait_line pidcli '^done' && wait_line pidsrv '^done'
exchange other 127.0.0.1 7011 reply request
sleep 0.3
stop_tcpfate
check "-p: only the server's connection is shown" \
	"$(jq -r 'select(.event == "close") | .pid' "$OUT" | sort -u)" "$(field pidsrv pid)"
expect_record "-p: an accepted connection is found by its owner's PID" "$OUT" "true" direction=in sport=7010

OUT=$WORK/port.json
start_tcpfate "$OUT" --port 7021 -c tcpdrive || exit 0
exchange port1 127.0.0.1 7020 reply request
exchange port2 127.0.0.1 7021 reply request
sleep 0.3
stop_tcpfate
check "--port: both ends of the matching connection, nothing else" \
	"$(jq -r 'select(.event == "close") | [.sport, .dport] | map(select(. == 7021)) | length' "$OUT" | sort -u)" 1
check "--port: two records (client and server)" "$(jq -c 'select(.event == "close")' "$OUT" | wc -l)" 2

# --- text output, --duration, SIGTERM, closed pipe ------------------------------
"$TCPFATE" --duration $((3 * SCALE)) >"$WORK/text.out" 2>"$WORK/text.err" &
TEXT_PID=$!
until grep -q '^tcpfate: ready' "$WORK/text.err" 2>/dev/null; do sleep 0.05; done
exchange text 127.0.0.1 7030 no-reply request
wait "$TEXT_PID"
check "--duration: stops by itself with status 0" "$?" 0
head -1 "$WORK/text.out" | grep -q '^TIME  *PID  *COMM  *DIR  *LOCAL  *REMOTE  *LABEL  *CAUSE  *ERRNO' &&
	ok "text: header line" || not_ok "text: header line: $(head -1 "$WORK/text.out")"
grep -E "^[0-9:.]+ +$(field text-cli pid) +tcpdrive +out +127\.0\.0\.1:[0-9]+ +127\.0\.0\.1:7030 +hang-up +request-unanswered" \
	"$WORK/text.out" >/dev/null && ok "text: one aligned line for the hang-up" ||
	not_ok "text: one aligned line for the hang-up: $(grep 7030 "$WORK/text.out")"
grep -q '^tcpfate: [0-9]* connections ended' "$WORK/text.err" && ok "text: summary on stderr at exit" ||
	not_ok "text: summary on stderr at exit"
grep -q 'events lost 0' "$WORK/text.err" && ok "text: summary reports events lost" ||
	not_ok "text: summary reports events lost"

# SIGTERM right after a connection ends: what is held back is flushed, not lost.
OUT=$WORK/term.json
start_tcpfate "$OUT" --interval 5000 || exit 0
exchange term 127.0.0.1 7040 reply request
kill -TERM "$TCPFATE_PID"
wait "$TCPFATE_PID"
check "SIGTERM: clean exit" "$?" 0
expect_record "SIGTERM: the connection that just ended is printed" "$OUT" ".dport == 7040" label=ok
check "SIGTERM: summary printed" "$(jq -c 'select(.event == "summary")' "$OUT" | wc -l)" 1

# A reader that goes away: tcpfate stops cleanly instead of dying of SIGPIPE.
("$TCPFATE" --json 2>"$WORK/pipe.err"; echo "status=$?" >"$WORK/pipestatus.out") | head -c 1 >/dev/null &
until grep -q '^tcpfate: ready' "$WORK/pipe.err" 2>/dev/null; do sleep 0.05; done
for i in 1 2 3; do exchange "pipe$i" 127.0.0.1 $((7050 + i)) reply request; done
wait_line pipestatus 'status=' 10
check "closed pipe: exits cleanly" "$(cat "$WORK/pipestatus.out" 2>/dev/null)" "status=0"
