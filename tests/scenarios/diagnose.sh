#!/usr/bin/env bash
# Which timeout did it: real failures made at distinct settings (values no default has), then the
# report's diagnoses must name each setting and value.  Clients in A fail under A's sysctls and
# their sockets' own options, clients in B under B's: several values of each setting in one run.
set -u
. "$(dirname "$0")/../lib.sh"
trap cleanup EXIT

ns_setup || { not_ok "network namespaces could be set up"; exit 0; }
SYN_RETRIES=2   # 1 + 2 + 4 = 7 s (since 6.5, with 3 more retransmits: tcp_syn_linear_timeouts left at 4)
RETRIES2=3      # 3 s from the first retransmission: the kernel gives up 6.2 s after the first send
B_SYN_RETRIES=3 # 1 + 2 + 4 + 8 = 15 s; since 6.5 with tcp_syn_linear_timeouts 2: 1, 1, 1, 2, 4, 8 = 17 s
B_SYN_LINEAR=2
B_RETRIES2=5    # 12.6 s from the first retransmission
KA_INTVL=1
KA_PROBES=3     # 3 s after the first unanswered probe
SERVER_TIMEOUT=1.3
ns_sysctl "$NS_A" net.ipv4.tcp_syn_retries $SYN_RETRIES
ns_sysctl "$NS_A" net.ipv4.tcp_retries2 $RETRIES2
ns_sysctl "$NS_B" net.ipv4.tcp_syn_retries $B_SYN_RETRIES
ns_sysctl "$NS_B" net.ipv4.tcp_syn_linear_timeouts $B_SYN_LINEAR
ns_sysctl "$NS_B" net.ipv4.tcp_retries2 $B_RETRIES2
ns_sysctl "$NS_A" net.ipv4.tcp_keepalive_time 1
ns_sysctl "$NS_A" net.ipv4.tcp_keepalive_intvl $KA_INTVL
ns_sysctl "$NS_A" net.ipv4.tcp_keepalive_probes $KA_PROBES

# syn_drop NAME CLIENT-NS SERVER-NS ADDR PORT: four connects whose SYNs SERVER-NS drops.
syn_drop() {
	nft_rule "$3" "tcp dport $5 drop"
	for i in 1 2 3 4; do drive $1$i "$2" client "$4" $5 connect; done
}
# data_hole NAME CLIENT-NS SERVER-NS ADDR PORT: four connections to a server in SERVER-NS go silent
# once up (it drops what comes), then send.
data_hole() {
	PY_SERVER_NS=$3 PY_SERVER_ADDR=$4 py_server $1srv $5 hold
	for i in 1 2 3 4; do
		drive $1$i "$2" client "$4" $5 hold --after-signal
		wait_line $1$i connected
	done
	nft_rule "$3" "tcp dport $5 drop"
	for i in 1 2 3 4; do kill -USR1 "$(field $1$i pid)"; done
}

OUT=$WORK/diagnose.json
start_tcpfate "$OUT" --record "$WORK/diagnose.db" || exit 0

# SYNs dropped, and data into a black hole, under A's sysctls.
syn_drop syn "$NS_A" "$NS_B" "$B4" 27001
data_hole data "$NS_A" "$NS_B" "$B4" 27010
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
SYNCNT=3        # 1 + 2 + 4 + 8 = 15 s, where the namespace's tcp_syn_retries would give 7 s (since
                # 6.5, with A's tcp_syn_linear_timeouts at its default 4: 1, 1, 1, 1, 1, 2, 4 = 19 s)
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

# The other way, under B's sysctls: SYNs from B dropped in A, and data from B into a black hole in A.
syn_drop bsyn "$NS_B" "$NS_A" "$A4" 27060
data_hole bdata "$NS_B" "$NS_A" "$A4" 27070

for n in syn1 syn2 syn3 syn4 data1 data2 data3 data4 ka1 ka2 ka3 ka4 req1 req2 req3 req4 ut1 ut2 ut3 ut4 \
	syncnt1 syncnt2 syncnt3 syncnt4 bsyn1 bsyn2 bsyn3 bsyn4 bdata1 bdata2 bdata3 bdata4; do
	wait_line $n '^done' 60 || not_ok "$n finished"
done
sleep 0.5
stop_tcpfate

"$TCPFATE" report "$OUT" --format json >"$WORK/report.json" 2>"$WORK/report.err"
check "report: exit status" "$?" 0
# The settings in force were read at each failure: the diagnoses name them as read, not inferred.
READ_NS="read from the connections' network namespace at the failure"
READ_SOCK="set on the sockets themselves, read at the failure"
# When the kernel gives up, and after how many retransmits: since 6.5 the first SYN timeouts stay at
# 1 s (tcp_syn_linear_timeouts, 4 unless set) and add as many retransmits.
if [ -e /proc/sys/net/ipv4/tcp_syn_linear_timeouts ]; then
	LINEAR_A=", with tcp_syn_linear_timeouts = 4 \\(the first 5 timeouts stay at 1 s\\)"
	LINEAR_B=", with tcp_syn_linear_timeouts = $B_SYN_LINEAR \\(the first 3 timeouts stay at 1 s\\)"
	SYN_A="7 s after the first SYN, after 5 retransmits \\(default 6: 131 s\\)"
	SYNCNT_A="19 s after the first SYN, after 7 retransmits \\(default 6: 131 s\\)"
	SYN_B="17 s after the first SYN, after 5 retransmits \\(default 6: 129 s\\)"
else
	LINEAR_A= LINEAR_B=
	SYN_A="7 s after the first SYN, after 2 retransmits \\(default 6: 127 s\\)"
	SYNCNT_A="15 s after the first SYN, after 3 retransmits \\(default 6: 127 s\\)"
	SYN_B="15 s after the first SYN, after 3 retransmits \\(default 6: 127 s\\)"
fi
expect_diag "SYN timeouts: tcp_syn_retries = $SYN_RETRIES named, read" "syn-timeout / syn-retries to $B4:27001" \
	"tcp_syn_retries = $SYN_RETRIES, $READ_NS$LINEAR_A: the kernel gives up $SYN_A$"
expect_diag "SYN timeouts in B: tcp_syn_retries = $B_SYN_RETRIES with tcp_syn_linear_timeouts = $B_SYN_LINEAR named, read" \
	"syn-timeout / syn-retries to $A4:27060" "tcp_syn_retries = $B_SYN_RETRIES, $READ_NS$LINEAR_B: the kernel gives up $SYN_B$"
expect_diag "data timeouts: tcp_retries2 = $RETRIES2 named, read" "retries-exhausted / data to $B4:27010" \
	"tcp_retries2 = $RETRIES2, $READ_NS: .*15 min\\)$"
expect_diag "data timeouts in B: tcp_retries2 = $B_RETRIES2 named, read" "retries-exhausted / data to $A4:27070" \
	"tcp_retries2 = $B_RETRIES2, $READ_NS: its budget is 12\\.6 s .*15 min\\)$"
# What the kernel did, as tcpfate saw it: the retransmits it counted are the ones the model says.
if [ "$SCALE" -le 1 ]; then
	for g in "$B4:27001" "$B4:27050" "$A4:27060"; do
		check "SYN timeouts to $g: the retransmits seen are the kernel's count" \
			"$(jq -r --arg g "$g" '.diagnoses[] | select(.group | contains($g)) | .finding' "$WORK/report.json" |
				grep -o '[0-9]* retransmits seen' | cut -d' ' -f1)" \
			"$(jq -r --arg g "$g" '.diagnoses[] | select(.group | contains($g)) | .match' "$WORK/report.json" |
				grep -o 'after [0-9]* retransmits' | cut -d' ' -f2)"
	done
fi
expect_diag "keepalive timeouts: intvl x probes = $((KA_INTVL * KA_PROBES)) s named, read" \
	"retries-exhausted / keepalive to $B4:27020" \
	"tcp_keepalive_intvl $KA_INTVL s x tcp_keepalive_probes $KA_PROBES = $((KA_INTVL * KA_PROBES)) s, $READ_NS \\(defaults 75 s x 9\\), after tcp_keepalive_time 1 s idle: $((1 + KA_INTVL * KA_PROBES)) s from the last data to the end$"
expect_diag "data timeouts: the sockets' TCP_USER_TIMEOUT = 2.7 s named, read" \
	"retries-exhausted / data to $B4:27040" "TCP_USER_TIMEOUT = 2.7 s, $READ_SOCK"
expect_diag "SYN timeouts: the sockets' TCP_SYNCNT = $SYNCNT named, read (the namespace says $SYN_RETRIES)" \
	"syn-timeout / syn-retries to $B4:27050" \
	"TCP_SYNCNT = $SYNCNT, $READ_SOCK$LINEAR_A: the kernel gives up $SYNCNT_A$"
# The value is measured from the request to the server's FIN, which includes the server's own
# wake-up (late_value).
request_timeout=$(late_value $SERVER_TIMEOUT)
expect_diag "the server's 1.3 s request timeout named" "hang-up / request-unanswered to $B4:27030" \
	"the server's request timeout of $request_timeout s"
# Each diagnosis names example connections: real ones, as the close records show them.
examples=$(jq -r '.diagnoses[].examples[] | "\(.ts) \(.saddr):\(.sport) \(.daddr):\(.dport) \(.pid)"' "$WORK/report.json" | sort)
closes=$(jq -r 'select(.event == "close") | "\(.ts) \(.saddr):\(.sport) \(.daddr):\(.dport) \(.pid)"' "$OUT" | sort)
check "diagnoses: three examples each (or as many as the cluster has)" \
	"$(jq '[.diagnoses[] | (.examples | length) == ([.count, 3] | min)] | all' "$WORK/report.json")" true
check "diagnoses: every example is a connection tcpfate recorded (time, ends, pid)" \
	"$(comm -23 <(sort -u <<<"$examples") <(sort -u <<<"$closes") | head -3)" ""
# And against what the test made: the data timeouts' examples are its own clients (pid, port).
made=$(for i in 1 2 3 4; do echo "$(field data$i pid) $(field data$i lport)"; done | sort)
shown=$(jq -r --arg g "$B4:27010" '.diagnoses[] | select(.group | contains($g)) | .examples[] | "\(.pid) \(.sport)"' \
	"$WORK/report.json" | sort)
# (On an emulated CPU the group may make no claim, and show none.)
[ "$SCALE" -gt 1 ] && [ -z "$shown" ] || check "diagnoses: the data timeouts' three examples are clients this test started" \
	"$(grep -c . <<<"$shown") $(comm -12 <(echo "$shown") <(echo "$made") | wc -l)" "3 3"
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
if [ -e /proc/sys/net/ipv4/tcp_syn_linear_timeouts ]; then
	check "the recording keeps tcp_syn_linear_timeouts: B's SYN timeouts" \
		"$(sqlite3 "$WORK/diagnose.db" "SELECT count(*) FROM connections WHERE dport = 27060 AND tcp_syn_linear_timeouts = $B_SYN_LINEAR")" 4
else
	check "the recording: no tcp_syn_linear_timeouts on a kernel without it" \
		"$(sqlite3 "$WORK/diagnose.db" "SELECT count(*) FROM connections WHERE tcp_syn_linear_timeouts IS NOT NULL")" 0
fi
"$TCPFATE" report "$OUT" >"$WORK/report.txt" 2>>"$WORK/report.err"
grep -q "^Diagnoses$" "$WORK/report.txt" && ok "text report: a Diagnoses section" ||
	not_ok "text report: a Diagnoses section: $(head -5 "$WORK/report.txt")"
echo "# $(grep -A3 "request-unanswered to $B4:27030" "$WORK/report.txt" | head -3 | tr -s ' ')"
