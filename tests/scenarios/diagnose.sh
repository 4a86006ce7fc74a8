#!/usr/bin/env bash
# Which timeout did it: real failures made at distinct settings (values no default has), then the
# report's diagnoses must name each setting and value.
set -u
. "$(dirname "$0")/../lib.sh"
trap cleanup EXIT

ns_setup || { not_ok "network namespaces could be set up"; exit 0; }
SYN_RETRIES=2   # 1 + 2 + 4 = 7 s
RETRIES2=3      # 3 s from the first retransmission: the kernel gives up 6.2 s after the first send
KA_INTVL=1
KA_PROBES=3     # 3 s after the first unanswered probe
SERVER_TIMEOUT=1.3
ns_sysctl "$NS_A" net.ipv4.tcp_syn_retries $SYN_RETRIES
ns_sysctl "$NS_A" net.ipv4.tcp_syn_linear_timeouts 0
ns_sysctl "$NS_A" net.ipv4.tcp_retries2 $RETRIES2
ns_sysctl "$NS_A" net.ipv4.tcp_keepalive_time 1
ns_sysctl "$NS_A" net.ipv4.tcp_keepalive_intvl $KA_INTVL
ns_sysctl "$NS_A" net.ipv4.tcp_keepalive_probes $KA_PROBES

OUT=$WORK/diagnose.json
start_tcpfate "$OUT" --record "$WORK/diagnose.db" || exit 0

# SYNs dropped: four connects to one endpoint.
nft_rule "$NS_B" "tcp dport 27001 drop"
for i in 1 2 3 4; do drive syn$i "$NS_A" client "$B4" 27001 connect; done
# Data into a black hole: four connections to one server go silent once up, then send.
py_server datasrv 27010 hold
for i in 1 2 3 4; do
	drive data$i "$NS_A" client "$B4" 27010 hold --after-signal
	wait_line data$i connected
done
nft_rule "$NS_B" "tcp dport 27010 drop"
for i in 1 2 3 4; do kill -USR1 "$(field data$i pid)"; done
# Keepalive into a black hole: four idle connections to one server.
py_server kasrv 27020 hold
for i in 1 2 3 4; do
	drive ka$i "$NS_A" client "$B4" 27020 hold --keepalive
	wait_line ka$i connected
done
nft_rule "$NS_B" "tcp dport 27020 drop"
# The server gives up on each of four requests after 1.3 s, unanswered.
py_server reqsrv 27030 timeout $SERVER_TIMEOUT
for i in 1 2 3 4; do drive req$i "$NS_A" client "$B4" 27030 request; done

# The sockets' own options, set apart from the namespace's: TCP_USER_TIMEOUT on data into a black
# hole, TCP_SYNCNT on SYNs dropped.  Python clients, four of each.
USER_TIMEOUT_MS=2700
SYNCNT=3        # 1 + 2 + 4 + 8 = 15 s, where the namespace's tcp_syn_retries would give 7 s
py_client() { # NAME PORT user-timeout|syncnt
	ip netns exec "$NS_A" python3 -c "
import os, signal, socket
signal.signal(signal.SIGUSR1, lambda *a: None)
s = socket.socket()
if '$3' == 'syncnt':
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, $SYNCNT)
try:
    s.connect(('$B4', $2))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, $USER_TIMEOUT_MS)
    print('connected pid=%d' % os.getpid(), flush=True)
    signal.pause()
    s.send(b'x' * 100)
    s.recv(1)
    print('done result=ok', flush=True)
except OSError as e:
    print('done result=%s' % e.errno, flush=True)
" >"$WORK/$1.out" 2>&1 &
	BG_PIDS+=($!)
}
py_server utsrv 27040 hold
for i in 1 2 3 4; do
	py_client ut$i 27040 user-timeout
	wait_line ut$i connected
done
nft_rule "$NS_B" "tcp dport 27040 drop"
for i in 1 2 3 4; do kill -USR1 "$(field ut$i pid)"; done
nft_rule "$NS_B" "tcp dport 27050 drop"
for i in 1 2 3 4; do py_client syncnt$i 27050 syncnt; done

for n in syn1 syn2 syn3 syn4 data1 data2 data3 data4 ka1 ka2 ka3 ka4 req1 req2 req3 req4 ut1 ut2 ut3 ut4 \
	syncnt1 syncnt2 syncnt3 syncnt4; do
	wait_line $n '^done' 60 || not_ok "$n finished"
done
sleep 0.5
stop_tcpfate

"$TCPFATE" report "$OUT" --format json >"$WORK/report.json" 2>"$WORK/report.err"
check "report: exit status" "$?" 0
# The settings in force were read at each failure: the diagnoses name them as read, not inferred.
READ_NS="read from the connections' network namespace at the failure"
READ_SOCK="set on the sockets themselves, read at the failure"
expect_diag "SYN timeouts: tcp_syn_retries = $SYN_RETRIES named, read" "syn-timeout / syn-retries to $B4:27001" \
	"tcp_syn_retries = $SYN_RETRIES, $READ_NS: the kernel's budget for $SYN_RETRIES retransmits is 7 s \\(default 6: 127 s\\)$"
expect_diag "data timeouts: tcp_retries2 = $RETRIES2 named, read" "retries-exhausted / data to $B4:27010" \
	"tcp_retries2 = $RETRIES2, $READ_NS: .*15 min\\)$"
expect_diag "keepalive timeouts: intvl x probes = $((KA_INTVL * KA_PROBES)) s named, read" \
	"retries-exhausted / keepalive to $B4:27020" \
	"tcp_keepalive_intvl $KA_INTVL s x tcp_keepalive_probes $KA_PROBES = $((KA_INTVL * KA_PROBES)) s, $READ_NS \\(defaults 75 s x 9\\)$"
expect_diag "data timeouts: the sockets' TCP_USER_TIMEOUT = 2.7 s named, read" \
	"retries-exhausted / data to $B4:27040" "TCP_USER_TIMEOUT = 2.7 s, $READ_SOCK"
expect_diag "SYN timeouts: the sockets' TCP_SYNCNT = $SYNCNT named, read (the namespace says $SYN_RETRIES)" \
	"syn-timeout / syn-retries to $B4:27050" \
	"TCP_SYNCNT = $SYNCNT, $READ_SOCK: the kernel's budget for $SYNCNT retransmits is 15 s \\(default 6: 127 s\\)$"
# The value is measured from the request to the server's FIN, which includes the server's own
# wake-up (late_value).
request_timeout=$(late_value $SERVER_TIMEOUT)
expect_diag "the server's 1.3 s request timeout named" "hang-up / request-unanswered to $B4:27030" \
	"the server's request timeout of $request_timeout s"
# The live monitor's exit summary: the same diagnoses, as JSON lines before the summary and on stderr.
check "live exit summary: the same diagnoses as the report" \
	"$(jq -c 'select(.event == "diagnosis") | del(.event)' "$OUT" | jq -sc .)" "$(jq -c .diagnoses "$WORK/report.json")"
if [ "$(jq '.diagnoses | length' "$WORK/report.json")" -gt 0 ]; then
	check "live exit summary: the diagnosis lines come before the summary line" \
		"$(jq -r .event "$OUT" | grep -A1 diagnosis | tail -1)" summary
	grep -q "^tcpfate: diagnoses of the failures shown:" "$OUT.err" &&
		grep -qF "    matches $(jq -r '.diagnoses[0].match' "$WORK/report.json")" "$OUT.err" &&
		ok "live exit summary: the diagnoses on stderr" ||
		not_ok "live exit summary: the diagnoses on stderr: $(tail -5 "$OUT.err")"
elif [ "$SCALE" -gt 1 ]; then
	ok "live exit summary: no diagnosis to show (none made on this emulated CPU)"
else
	not_ok "live exit summary: the report made no diagnosis"
fi
# The recording keeps the settings too: the same diagnoses from it.
"$TCPFATE" report "$WORK/diagnose.db" --format json >"$WORK/report-db.json" 2>>"$WORK/report.err"
check "the recording gives the same diagnoses" "$(jq -c .diagnoses "$WORK/report-db.json")" "$(jq -c .diagnoses "$WORK/report.json")"
check "the recording keeps each failure's settings: TCP_SYNCNT rows" \
	"$(sqlite3 "$WORK/diagnose.db" "SELECT count(*) FROM connections WHERE socket_options = 'TCP_SYNCNT' AND tcp_syn_retries = $SYNCNT")" 4
"$TCPFATE" report "$OUT" >"$WORK/report.txt" 2>>"$WORK/report.err"
grep -q "^Diagnoses$" "$WORK/report.txt" && ok "text report: a Diagnoses section" ||
	not_ok "text report: a Diagnoses section: $(head -5 "$WORK/report.txt")"
echo "# $(grep -A3 "request-unanswered to $B4:27030" "$WORK/report.txt" | head -3 | tr -s ' ')"
