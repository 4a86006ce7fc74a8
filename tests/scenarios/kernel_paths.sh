#!/usr/bin/env bash
# Endings the kernel reaches by paths that are easy to mistake, made for real:
#   - ICMP destination unreachable answering a SYN, every code the kernel maps to an
#     errno, IPv4 and IPv6, on the first SYN (handled while connect() holds the socket)
#     and on a retransmitted one (handled from the timer), for clients that connect
#     with a timeout (non-blocking) and clients that block;
#   - data arriving after the application closed: the kernel ends the socket through
#     its received-RST code and sends an RST; nothing was received;
#   - a listener answering a stray segment with an RST: never a connection, never
#     a warning.
set -u
. "$(dirname "$0")/../lib.sh"
trap cleanup EXIT

CONNECT=$ROOT/tests/tools/connect_timeout.py
ns_setup || { not_ok "network namespaces could be set up"; exit 0; }
NETNS_A=$(netns_inode "$NS_A")
NETNS_B=$(netns_inode "$NS_B")
OUT=$WORK/paths.json
# Every rejected SYN gets its ICMP: no rate limit on the answers (they all go to one host).
ns_sysctl "$NS_B" net.ipv4.icmp_ratelimit 0
ns_sysctl "$NS_B" net.ipv6.icmp.ratelimit 0
ns_sysctl "$NS_B" net.ipv4.icmp_msgs_per_sec 100000
# A chain before the rejects that drops the first SYNs of the "retransmitted SYN" cases.
nft_in "$NS_B" "add chain inet tcpfate_test first { type filter hook input priority -10 ; }"
start_tcpfate "$OUT" --scan-interval 200 --warn-stalled 0.5 || exit 0

# --- ICMP destination unreachable answering a SYN ------------------------------------------
# code (nft reject type) | errno | label | cause, per family
ICMP4=("host-unreachable EHOSTUNREACH unreachable host" "net-unreachable ENETUNREACH unreachable net"
	"admin-prohibited EHOSTUNREACH unreachable host" "port-unreachable ECONNREFUSED refused icmp")
ICMP6=("addr-unreachable EHOSTUNREACH unreachable host" "no-route ENETUNREACH unreachable net"
	"admin-prohibited EACCES unreachable prohibited" "port-unreachable ECONNREFUSED refused icmp")
PORT=24000
CASES=()
# icmp_case FAMILY TYPE ERRNO LABEL CAUSE WHEN CLIENT: a port rejected with TYPE, first at once
# (WHEN=first) or only once the first SYN was dropped (WHEN=retrans), and a client on it.
icmp_case() {
	local family=$1 type=$2 when=$6 client=$7 port=$((PORT += 1)) addr proto name
	[ "$family" = 4 ] && addr=$B4 proto=icmp || { addr=$B6; proto=icmpv6; }
	name=icmp$port
	nft_rule "$NS_B" "meta nfproto ipv$family tcp dport $port reject with $proto type $type"
	[ "$when" = retrans ] && nft_in "$NS_B" "add rule inet tcpfate_test first tcp dport $port drop"
	if [ "$client" = timeout ]; then
		# 5 s, stretched where everything is slower: 32 clients start at once, each must outlast a SYN retransmit.
		ip netns exec "$NS_A" python3 "$CONNECT" "$addr" "$port" $((5 * SCALE)) >"$WORK/$name.out" 2>&1 &
		BG_PIDS+=($!)
	else
		drive "$name" "$NS_A" client "$addr" "$port" connect
	fi
	CASES+=("$name $family $port $3 $4 $5 $when $client")
}
for when in first retrans; do
	for client in timeout blocking; do
		for c in "${ICMP4[@]}"; do icmp_case 4 $c $when $client; done
		for c in "${ICMP6[@]}"; do icmp_case 6 $c $when $client; done
	done
done
# The first SYNs of the "retrans" ports were dropped; their retransmits (at 1 s) are rejected.
sleep 0.5
nft_in "$NS_B" "flush chain inet tcpfate_test first"

# --- data after the application closed -----------------------------------------------------
# The server closes at once (a keep-alive timeout); the client writes after the FIN came, while
# the server's socket still waits for the FIN's ACK (dropped here: the FIN crossed the request,
# as in the keep-alive race), so the data meets the closed socket itself.  Each step waits for a
# signal: the server accepts and closes once the rule is in place, the client writes once the
# server has closed.
for family in 4 6; do
	[ "$family" = 4 ] && addr=$B4 || addr=$B6
	drive late$family-srv "$NS_B" server "$addr" $((25000 + family)) close --after-signal
	wait_line late$family-srv listening
	drive late$family-cli "$NS_A" client "$addr" $((25000 + family)) request --after-signal
	wait_line late$family-cli connected
	nft_rule "$NS_B" "tcp dport $((25000 + family)) tcp flags == ack drop"
	kill -USR1 "$(field late$family-srv pid)"
	wait_line late$family-srv '^done'
	kill -USR1 "$(field late$family-cli pid)"
done
for family in 4 6; do wait_line late$family-cli '^done' 10; done
# The kernel's own count of these aborts, before the next section adds others of its kind
# (a close with SO_LINGER 0 counts there too).
aborts_b=$(ip netns exec "$NS_B" nstat -az TcpExtTCPAbortOnData 2>/dev/null | awk '/TcpExtTCPAbortOnData/ { print $2 }')

# --- a listener answering a stray segment ----------------------------------------------------
# The server resets its connection (SO_LINGER 0) but its RST is dropped; the client's next
# segment finds no connection, only the listener, which answers with RSTs of its own (dropped
# for a second too, so it answers several), until the client is told.
for family in 4 6; do
	[ "$family" = 4 ] && addr=$B4 || addr=$B6
	port=$((25100 + family))
	ip netns exec "$NS_B" python3 -c "
import socket, struct, sys, time
fam = socket.AF_INET6 if ':' in '$addr' else socket.AF_INET
l = socket.socket(fam); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('$addr', $port)); l.listen(8); print('listening', flush=True)
c, _ = l.accept(); c.recv(100)
c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); c.close()
print('reset', flush=True); time.sleep(30)" >"$WORK/stray$family-srv.out" 2>&1 &
	BG_PIDS+=($!)
	wait_line stray$family-srv listening
done
ip netns exec "$NS_B" nft add chain inet tcpfate_test out '{ type filter hook output priority 0 ; }'
ip netns exec "$NS_B" nft add rule inet tcpfate_test out tcp sport '{ 25104, 25106 }' tcp flags rst drop
for family in 4 6; do
	[ "$family" = 4 ] && addr=$B4 || addr=$B6
	ip netns exec "$NS_A" python3 -c "
import socket, time
fam = socket.AF_INET6 if ':' in '$addr' else socket.AF_INET
s = socket.socket(fam); s.connect(('$addr', $((25100 + family))))
print('connected lport=%d' % s.getsockname()[1], flush=True)
s.send(b'first'); time.sleep(0.5); s.send(b'second')
try:
    s.recv(100); print('done result=eof', flush=True)
except OSError as e:
    import errno; print('done result=%s' % errno.errorcode[e.errno], flush=True)" >"$WORK/stray$family-cli.out" 2>&1 &
	BG_PIDS+=($!)
done
for family in 4 6; do wait_line stray$family-srv reset 5; done
sleep 1.5 # listener RSTs dropped meanwhile; the scan runs every 200 ms
ip netns exec "$NS_B" nft flush chain inet tcpfate_test out

# --- results -------------------------------------------------------------------------------
for c in "${CASES[@]}"; do
	read -r name family port err label cause when client <<<"$c"
	wait_line "$name" '^done' 10
done
for family in 4 6; do wait_line stray$family-cli '^done' 10; done
sleep 0.5
# What is really open now (not listening) here and in our namespaces: tcpfate counts no more.
connected=0
for ns in "" "$NS_A" "$NS_B"; do
	connected=$((connected + $(${ns:+ip netns exec "$ns"} ss -tanH state connected | wc -l)))
done
stop_tcpfate

for c in "${CASES[@]}"; do
	read -r name family port err label cause when client <<<"$c"
	desc="ICMP $err, IPv$family, on the $when SYN, $client client"
	check "$desc: the application saw $err" "$(field "$name" result)" "$err"
	expect_record "$desc" "$OUT" ".dport == $port and .netns == $NETNS_A" \
		label="$label" cause="$cause" errno="$err" family="$family" direction=out last_state=SYN_SENT \
		pid="$(field "$name" pid)"
done

for family in 4 6; do
	port=$((25000 + family))
	desc="data after the server closed, IPv$family"
	expect_record "$desc: the server's end" "$OUT" ".sport == $port and .netns == $NETNS_B" \
		label=reset cause=local errno=null pid="$(field late$family-srv pid)" rst_reason=TCP_ABORT_ON_DATA
	expect_record "$desc: the client's end (it did receive the RST)" "$OUT" ".dport == $port and .netns == $NETNS_A" \
		label=hang-up cause=idle-reuse pid="$(field late$family-cli pid)"
done
check "data after close: every server end labelled local matches the kernel's TcpExtTCPAbortOnData" \
	"$(jq -c --argjson ns "$NETNS_B" 'select(.event == "close" and .netns == $ns and .rst_reason == "TCP_ABORT_ON_DATA")' "$OUT" | wc -l)" \
	"${aborts_b:-none}"

for family in 4 6; do
	port=$((25100 + family))
	desc="stray segment to a listener, IPv$family"
	check "$desc: the client was told by the listener's RST" "$(field stray$family-cli result)" ECONNRESET
	expect_record "$desc: the server's connection" "$OUT" ".sport == $port and .netns == $NETNS_B" \
		label=reset cause=local
	check "$desc: no record of the listener" \
		"$(jq -c --argjson p "$port" 'select(.event == "close" and .sport == $p and .dport == 0)' "$OUT" | wc -l)" 0
	check "$desc: no warning about the listener" \
		"$(jq -c --argjson p "$port" 'select(.event == "warning" and .sport == $p and .dport == 0)' "$OUT" | wc -l)" 0
done
check "no line at all with netns 0 and port 0" \
	"$(jq -c 'select(.netns == 0 and .dport == 0)' "$OUT" | wc -l)" 0
check_cmp "open at the end: no more than the connected sockets there are (a listener is not one)" \
	"$(jq -r 'select(.event == "summary") | .open_now' "$OUT")" -le "$connected"
check "no warning about any listener" "$(jq -c 'select(.event == "warning" and .state == "LISTEN")' "$OUT" | wc -l)" 0

# --- owners of accepted connections on kernels before 6.3 -------------------------------------
# Without sock_send_length/sock_recv_length, forced here with TCPFATE_OWNER: "read" takes the
# owner from tcp_rcv_space_adjust (a receive that copied data); "accept" from fexit on
# inet_csk_accept where the kernel allows fexit, else from reads as well.
loaded() { bpftool prog show 2>/dev/null | grep -c " name $1 "; }
port=25200
for mode in read accept; do
	port=$((port + 1))
	TCPFATE_OWNER=$mode start_tcpfate "$WORK/owner-$mode.json" || exit 0
	if grep -q "owners of accepted connections taken at accept()" "$WORK/owner-$mode.json.err"; then
		hook=tf_accept
	else
		hook=tf_rcv_space_adjust
	fi
	check "TCPFATE_OWNER=$mode: $hook loaded, sock_*_length not" \
		"$(loaded "$hook") $(loaded tf_send_length) $(loaded tf_recv_length)" "1 0 0"
	[ "$mode" == read ] && check "TCPFATE_OWNER=read: tcp_rcv_space_adjust is the hook" "$hook" tf_rcv_space_adjust
	# The client resets the connection once answered: the server, blocked in recv(), never closes
	# it first, so nothing but the hook under test can name the server.
	drive own$mode-srv "$NS_B" server "$B4" "$port" reply
	wait_line own$mode-srv listening
	ip netns exec "$NS_A" python3 -c "
import socket, struct
s = socket.create_connection(('$B4', $port))
s.sendall(b'GET / HTTP/1.1\r\n\r\n')
s.recv(100)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
s.close()"
	wait_line own$mode-srv '^done'
	sleep 0.3
	stop_tcpfate
	expect_record "TCPFATE_OWNER=$mode: the accepting side names its owner" "$WORK/owner-$mode.json" \
		".sport == $port and .netns == $NETNS_B" label=reset cause=peer pid="$(field own$mode-srv pid)" comm=tcpdrive
done
