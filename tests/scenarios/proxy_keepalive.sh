#!/usr/bin/env bash
# The keep-alive race behind a reverse proxy, with the real software it comes from: nginx
# proxies to a Node.js upstream over upstream keep-alive, and Node's keep-alive timeout (1 s)
# is shorter than nginx's (60 s).  Node closes an idle connection just as nginx reuses it:
# Node's FIN is lost on the way (dropped here, so the race happens every time), nginx sends
# the next request on the connection, and Node's kernel answers that data with an RST.
# Node received no RST: its end is a reset it sent (the kernel's reason: abort on data).
set -u
. "$(dirname "$0")/../lib.sh"
trap cleanup EXIT

command -v nginx >/dev/null || { not_ok "nginx is installed (make test-deps)"; exit 0; }
NODE_HTTP=$ROOT/tests/tools/node_http.js
ns_setup || { not_ok "network namespaces could be set up"; exit 0; }
NETNS_A=$(netns_inode "$NS_A")
NETNS_B=$(netns_inode "$NS_B")
OUT=$WORK/proxy.json

# Node upstreams in B, one per family.
for family in 4 6; do
	[ "$family" = 4 ] && addr=$B4 || addr=$B6
	ip netns exec "$NS_B" node "$NODE_HTTP" server "$addr" $((26000 + family)) short-keepalive \
		>"$WORK/node$family.out" 2>&1 &
	BG_PIDS+=($!)
	wait_line node$family listening
done
# nginx in A: port 2610F proxies to the family-F upstream, keeping upstream connections open.
nginx_start 26106 <<CONF
	upstream node4 { server $B4:26004; keepalive 4; keepalive_timeout 60s; }
	upstream node6 { server [$B6]:26006; keepalive 4; keepalive_timeout 60s; }
	server {
		listen 127.0.0.1:26104;
		location / { proxy_pass http://node4; proxy_http_version 1.1; proxy_set_header Connection ""; }
	}
	server {
		listen 127.0.0.1:26106;
		location / { proxy_pass http://node6; proxy_http_version 1.1; proxy_set_header Connection ""; }
	}
CONF
# Node's FINs never reach nginx.
nft_rule "$NS_A" "tcp sport { 26004, 26006 } tcp flags & fin == fin drop"

start_tcpfate "$OUT" || exit 0
get() { ip netns exec "$NS_A" curl -s -o /dev/null -w '%{http_code}' --max-time $((10 * SCALE)) "http://127.0.0.1:$1/"; }
for family in 4 6; do
	check "IPv$family: the first request through nginx" "$(get $((26100 + family)))" 200
done
# Node closes its idle ends (after 1 s; Node 20 rounds up to its next check); nginx never
# hears of it: both of Node's ends wait in FIN_WAIT1 for an ACK that will not come.
deadline=$((SECONDS + 10 * SCALE))
until [ "$(ip netns exec "$NS_B" ss -tanH state fin-wait-1 '( sport = :26004 or sport = :26006 )' | wc -l)" -eq 2 ] ||
	[ $SECONDS -ge $deadline ]; do sleep 0.1; done
check "Node closed both idle upstream connections" \
	"$(ip netns exec "$NS_B" ss -tanH state fin-wait-1 '( sport = :26004 or sport = :26006 )' | wc -l)" 2
for family in 4 6; do
	check "IPv$family: the request that meets the race (nginx retries it)" "$(get $((26100 + family)))" 200
done
sleep 0.5
stop_tcpfate
aborts=$(ip netns exec "$NS_B" nstat -az TcpExtTCPAbortOnData 2>/dev/null | awk '/TcpExtTCPAbortOnData/ { print $2 }')
nginx_pid=$(cat "$WORK/nginx/nginx.pid" 2>/dev/null)

for family in 4 6; do
	port=$((26000 + family))
	desc="IPv$family keep-alive race"
	expect_record "$desc: Node's end is a reset it sent" "$OUT" \
		".sport == $port and .netns == $NETNS_B and .label == \"reset\"" \
		cause=local errno=null rst_reason=TCP_ABORT_ON_DATA pid="$(field node$family pid)" comm=node \
		direction=in family="$family"
	expect_record "$desc: nginx's end received it" "$OUT" \
		".dport == $port and .netns == $NETNS_A and .label == \"reset\"" \
		cause=peer errno=ECONNRESET comm=nginx direction=out family="$family"
	check "$desc: no end of Node's labelled as a reset received" \
		"$(jq -c --argjson p "$port" --argjson ns "$NETNS_B" \
			'select(.event == "close" and .netns == $ns and .sport == $p and .cause == "peer")' "$OUT" | wc -l)" 0
done
check "Node's resets sent = the kernel's TcpExtTCPAbortOnData in Node's namespace" \
	"$(jq -c --argjson ns "$NETNS_B" 'select(.event == "close" and .netns == $ns and .rst_reason == "TCP_ABORT_ON_DATA")' "$OUT" | wc -l)" \
	"${aborts:-none}"
[ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null
true
