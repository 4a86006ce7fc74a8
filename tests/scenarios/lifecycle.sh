#!/usr/bin/env bash
# Every label, over IPv4 and IPv6, made to happen for real between two network
# namespaces, on the connecting and the accepting side; then tcpfate's records
# are checked against what the applications saw, and against the kernel's own
# counters (nstat).
set -u
. "$(dirname "$0")/../lib.sh"

trap cleanup EXIT

OUT=$WORK/tcpfate.json
REQUEST_BYTES=33   # tcpdrive's request: "GET / HTTP/1.1\r\nHost: tcpfate\r\n\r\n"
RESPONSE_BYTES=38  # "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
SYN_RETRIES=2
KEEPALIVE_PROBES=2

ns_setup || { not_ok "network namespaces could be set up"; exit 0; }
NETNS_A=$(netns_inode "$NS_A")
NETNS_B=$(netns_inode "$NS_B")
for ns in "$NS_A" "$NS_B"; do
	ns_sysctl "$ns" net.ipv4.tcp_syn_retries $SYN_RETRIES
	ns_sysctl "$ns" net.ipv4.tcp_syn_linear_timeouts 0 # 6.5+: else the first 4 SYN RTOs are extra
	ns_sysctl "$ns" net.ipv4.tcp_retries2 3
	ns_sysctl "$ns" net.ipv4.tcp_keepalive_time 1
	ns_sysctl "$ns" net.ipv4.tcp_keepalive_intvl 1
	ns_sysctl "$ns" net.ipv4.tcp_keepalive_probes $KEEPALIVE_PROBES
done

aborts_on_timeout() { ip netns exec "$1" nstat -asz TcpExtTCPAbortOnTimeout | awk '/TCPAbortOnTimeout/ { print $2 }'; }

# --- acts: each makes one connection meet one fate ------------------------------
# Arguments: FAMILY SERVER_ADDR PORT; names are NAME$FAMILY.

act_pair() { # NAME F ADDR PORT SERVER_MODE CLIENT_MODE [client options]
	local n=$1$2 addr=$3 port=$4 smode=$5 cmode=$6
	shift 6
	drive "$n-srv" "$NS_B" server "$addr" "$port" "$smode"
	wait_line "$n-srv" listening || return
	drive "$n-cli" "$NS_A" client "$addr" "$port" "$cmode" "$@"
	wait_line "$n-cli" '^done' 30
	wait_line "$n-srv" '^done' 10
}

act_connect_fail() { # NAME F ADDR PORT NFT-RULE-OR-EMPTY
	local n=$1$2 addr=$3 port=$4 rule=$5
	[ -n "$rule" ] && nft_rule "$NS_B" "$rule"
	drive "$n-cli" "$NS_A" client "$addr" "$port" connect
	wait_line "$n-cli" '^done' 30
}

# The network goes silent after the connection is up: drop in NS what comes to/from PORT.
act_silence() { # NAME F ADDR PORT SERVER_MODE CLIENT_MODE CLIENT_OPTS WAIT_FOR DROP_NS DROP_MATCH
	local n=$1$2 addr=$3 port=$4 smode=$5 cmode=$6 copts=$7 wait_for=$8 drop_ns=$9 match=${10}
	local sopts=""
	[ "$smode" == "hold-ka" ] && smode=hold && sopts=--keepalive
	# shellcheck disable=SC2086
	drive "$n-srv" "$NS_B" server "$addr" "$port" "$smode" $sopts
	wait_line "$n-srv" listening || return
	# shellcheck disable=SC2086
	drive "$n-cli" "$NS_A" client "$addr" "$port" "$cmode" $copts
	wait_line "$n-cli" "$wait_for" 10 || return
	nft_rule "$drop_ns" "$match $port drop"
	# The request goes out only now that the network is silent, however long nft took.
	[[ "$copts" == *--after-signal* ]] && kill -USR1 "$(field "$n-cli" pid)"
	wait_line "$n-cli" '^done' 30
	wait_line "$n-srv" '^done' 30
}

ACT_PIDS=()
bg() { "$@" & ACT_PIDS+=($!); }

run_acts() { # F SERVER_ADDR BASE_PORT
	local f=$1 b=$2 p=$3 nfp
	[ "$f" == 4 ] && nfp="meta nfproto ipv4" || nfp="meta nfproto ipv6"
	local unreach="icmp type host-unreachable" portunreach="icmp type port-unreachable"
	[ "$f" == 6 ] && unreach="icmpv6 type addr-unreachable" && portunreach="icmpv6 type port-unreachable"

	bg act_pair ok "$f" "$b" $((p + 1)) reply request
	bg act_pair hangout "$f" "$b" $((p + 2)) no-reply request
	bg act_pair hangin "$f" "$b" $((p + 3)) wait-eof send-close
	bg act_pair linger "$f" "$b" $((p + 4)) linger0 request
	bg act_pair unread "$f" "$b" $((p + 5)) unread-close request
	bg act_connect_fail refused "$f" "$b" $((p + 6)) ""
	bg act_connect_fail icmprefused "$f" "$b" $((p + 7)) "$nfp tcp dport $((p + 7)) reject with $portunreach"
	bg act_connect_fail unreach "$f" "$b" $((p + 8)) "$nfp tcp dport $((p + 8)) reject with $unreach"
	bg act_connect_fail syntimeout "$f" "$b" $((p + 9)) "tcp dport $((p + 9)) drop"
	bg act_silence dataout "$f" "$b" $((p + 10)) hold hold --after-signal '^connected' "$NS_B" "tcp dport"
	bg act_silence kaout "$f" "$b" $((p + 11)) hold hold --keepalive '^connected' "$NS_B" "tcp dport"
	bg act_silence zwout "$f" "$b" $((p + 12)) sink fill "" '^stalled' "$NS_B" "tcp dport"
	bg act_silence datain "$f" "$b" $((p + 13)) stream hold "" '^connected' "$NS_A" "tcp sport"
	bg act_silence kain "$f" "$b" $((p + 14)) hold-ka hold "" '^connected' "$NS_A" "tcp sport"
}

# --- asserts ----------------------------------------------------------------------

client_sel() { echo ".netns == $NETNS_A and .family == $1 and .sport == $(field "$2-cli" lport) and .dport == $3"; }
server_sel() { echo ".netns == $NETNS_B and .family == $1 and .sport == $3 and .dport == $(field "$2-cli" lport)"; }

assert_client() { # DESC NAME F PORT APP_RESULT KEY=VALUE...
	local desc=$1 n=$2$3 f=$3 port=$4 result=$5
	shift 5
	check "v$f $desc: client application saw" "$(field "$n-cli" result)" "$result"
	expect_record "v$f $desc: client" "$OUT" "$(client_sel "$f" "$n" "$port")" \
		pid="$(field "$n-cli" pid)" comm=tcpdrive direction=out family="$f" "$@"
}

assert_server() { # DESC NAME F PORT KEY=VALUE...
	local desc=$1 n=$2$3 f=$3 port=$4
	shift 4
	expect_record "v$f $desc: server" "$OUT" "$(server_sel "$f" "$n" "$port")" \
		pid="$(field "$n-srv" pid)" comm=tcpdrive direction=in family="$f" "$@"
}

assert_all() { # F BASE_PORT
	local f=$1 p=$2
	assert_client "ok" ok "$f" $((p + 1)) ok label=ok cause=local-close errno=null \
		tx_bytes=$REQUEST_BYTES rx_bytes=$RESPONSE_BYTES 'connect_ms=>0' 'duration_ms=>0' start_known=true
	assert_server "ok" ok "$f" $((p + 1)) label=ok cause=peer-close errno=null \
		rx_bytes=$REQUEST_BYTES tx_bytes=$RESPONSE_BYTES

	assert_client "hang-up" hangout "$f" $((p + 2)) eof label=hang-up cause=request-unanswered errno=null \
		tx_bytes=$REQUEST_BYTES rx_bytes=0
	assert_server "hang-up" hangout "$f" $((p + 2)) label=hang-up cause=closed-unanswered

	assert_server "client gave up" hangin "$f" $((p + 3)) label=hang-up cause=peer-abandoned errno=null \
		rx_bytes=$REQUEST_BYTES tx_bytes=0
	assert_client "client gave up" hangin "$f" $((p + 3)) ok label=hang-up cause=closed-unanswered

	assert_client "linger 0" linger "$f" $((p + 4)) ECONNRESET label=reset cause=peer errno=ECONNRESET
	assert_server "linger 0" linger "$f" $((p + 4)) label=reset cause=local rst_reason=TCP_STATE

	assert_client "unread close" unread "$f" $((p + 5)) ECONNRESET label=reset cause=peer errno=ECONNRESET
	assert_server "unread close" unread "$f" $((p + 5)) label=reset cause=local rst_reason=TCP_ABORT_ON_CLOSE

	assert_client "refused" refused "$f" $((p + 6)) ECONNREFUSED label=refused cause=rst errno=ECONNREFUSED \
		connect_ms=null
	assert_client "icmp refused" icmprefused "$f" $((p + 7)) ECONNREFUSED label=refused cause=icmp errno=ECONNREFUSED
	assert_client "unreachable" unreach "$f" $((p + 8)) EHOSTUNREACH label=unreachable cause=host errno=EHOSTUNREACH
	assert_client "syn timeout" syntimeout "$f" $((p + 9)) ETIMEDOUT label=syn-timeout cause=syn-retries \
		errno=ETIMEDOUT syn_retrans=$SYN_RETRIES 'time_to_fail_ms=>1000'

	assert_client "data timeout" dataout "$f" $((p + 10)) ETIMEDOUT label=retries-exhausted cause=data \
		errno=ETIMEDOUT 'retrans=>=3' 'rto_retrans=>=3' 'time_to_fail_ms=>500'
	assert_client "keepalive timeout" kaout "$f" $((p + 11)) ETIMEDOUT label=retries-exhausted cause=keepalive \
		errno=ETIMEDOUT keepalive_probes=$KEEPALIVE_PROBES retrans=0 'time_to_fail_ms=>1000'
	assert_client "zero-window timeout" zwout "$f" $((p + 12)) ETIMEDOUT label=retries-exhausted \
		cause=zero-window errno=ETIMEDOUT 'zero_window_probes=>=1' 'time_to_fail_ms=>100'
	check "v$f data timeout (accepting side): server application saw" "$(field "datain$f-srv" result)" ETIMEDOUT
	assert_server "data timeout" datain "$f" $((p + 13)) label=retries-exhausted cause=data errno=ETIMEDOUT \
		'rto_retrans=>=3'
	check "v$f keepalive timeout (accepting side): server application saw" "$(field "kain$f-srv" result)" ETIMEDOUT
	assert_server "keepalive timeout" kain "$f" $((p + 14)) label=retries-exhausted cause=keepalive \
		errno=ETIMEDOUT keepalive_probes=$KEEPALIVE_PROBES
}

# --- connections that predate tcpfate -----------------------------------------------
drive pre4-srv "$NS_B" server $B4 20999 reply
drive pre6-srv "$NS_B" server $B6 21999 reply
wait_line pre4-srv listening && wait_line pre6-srv listening
# They end 3 s in (stretched where everything is slower): after tcpfate has started.
drive pre4-cli "$NS_A" client $B4 20999 request --delay $((3000 * SCALE))
drive pre6-cli "$NS_A" client $B6 21999 request --delay $((3000 * SCALE))
wait_line pre4-cli connected && wait_line pre6-cli connected

# --- run ---------------------------------------------------------------------------
start_tcpfate "$OUT" || exit 0
timeouts_a=$(aborts_on_timeout "$NS_A")
timeouts_b=$(aborts_on_timeout "$NS_B")
run_acts 4 $B4 20400
run_acts 6 $B6 20600
# Simultaneous open: a socket connected to its own address goes SYN_SENT -> SYN_RECV -> ESTABLISHED.
ip netns exec "$NS_A" python3 -c '
import os, socket
s = socket.socket()
s.bind(("127.0.0.1", 20998))
s.connect(("127.0.0.1", 20998))
s.sendall(b"x" * 10)
got = s.recv(10)
s.close()
print("pid=%d got=%d" % (os.getpid(), len(got)))' >"$WORK/selfconnect.out" 2>&1
wait_line pre4-cli '^done' 10
wait_line pre6-cli '^done' 10
wait "${ACT_PIDS[@]}" 2>/dev/null
timeouts_a=$(($(aborts_on_timeout "$NS_A") - timeouts_a))
timeouts_b=$(($(aborts_on_timeout "$NS_B") - timeouts_b))
sleep 0.5
# Keepalive facts are kept by socket address and forgotten at the socket's end: with every act
# over, none is left (from a timer hook that worked out the wrong address, all would be).
check "keepalive facts: none left once the connections ended" \
	"$(bpftool -j map dump name keepalive_timer 2>/dev/null | jq length)" 0
stop_tcpfate

assert_all 4 20400
assert_all 6 20600

for f in 4 6; do
	port=$([ $f == 4 ] && echo 20999 || echo 21999)
	check "v$f predates tcpfate: client application saw" "$(field pre$f-cli result)" ok
	expect_record "v$f predates tcpfate: client" "$OUT" "$(client_sel $f pre$f $port)" \
		pid="$(field pre$f-cli pid)" comm=tcpdrive label=ok start_known=false duration_ms=null
	expect_record "v$f predates tcpfate: server" "$OUT" "$(server_sel $f pre$f $port)" \
		pid="$(field pre$f-srv pid)" start_known=false
done

check "simultaneous open: the application connected and read its own bytes" "$(field selfconnect got)" 10
self_sel=".netns == $NETNS_A and .sport == 20998 and .dport == 20998"
expect_record "simultaneous open: followed from connect() as one outgoing connection" "$OUT" "$self_sel" \
	direction=out pid="$(field selfconnect pid)" comm=python3 label=ok start_known=true tx_bytes=10
check "simultaneous open: one record" "$(jq -c "select(.event == \"close\" and $self_sel)" "$OUT" | wc -l)" 1

# The kernel's own count of timeouts, per namespace, against tcpfate's labels.
count_timeouts() { # NETNS_INODE
	jq -s --argjson ns "$1" '[.[] | select(.event == "close" and .netns == $ns
		and (.label == "syn-timeout" or .label == "retries-exhausted"))] | length' "$OUT"
}
check "nstat TcpExtTCPAbortOnTimeout in the client namespace = tcpfate's timeouts there" \
	"$timeouts_a" "$(count_timeouts "$NETNS_A")"
check "nstat TcpExtTCPAbortOnTimeout in the server namespace = tcpfate's timeouts there" \
	"$timeouts_b" "$(count_timeouts "$NETNS_B")"
check_cmp "nstat saw the timeouts at all" "$timeouts_a" -ge 8

summary=$(grep '^{"event":"summary"' "$OUT")
check "summary: no events lost" "$(jq -r .events_lost <<<"$summary")" 0
check "summary: no connections untracked" "$(jq -r .untracked <<<"$summary")" 0
check "summary: no late facts lost" "$(jq -r .late_facts_lost <<<"$summary")" 0
