#!/usr/bin/env bash
# Which timeout did it, with the real software whose timeouts they are: nginx's proxy_read_timeout,
# a Node.js server's socket timeout, curl's --max-time and a Python client's socket timeout, each
# set to a value no default has.  Four requests meet each; the report's diagnoses must name the
# timeout, its owner (the server's or the clients') and its value.
set -u
. "$(dirname "$0")/../lib.sh"
trap cleanup EXIT

command -v nginx >/dev/null || { not_ok "nginx is installed (make test-deps)"; exit 0; }
NODE=$(command -v node || command -v nodejs)
ns_setup || { not_ok "network namespaces could be set up"; exit 0; }
OUT=$WORK/diagnose_real.json
NGINX_READ_TIMEOUT=2.7   # nginx gives up on the upstream: the upstream sees its client abandon
NODE_TIMEOUT=1.7         # Node closes an idle request: the client sees the server hang up
CURL_MAX_TIME=2.3        # curl gives up: the server sees its client abandon
PYTHON_TIMEOUT=1.9       # Python's http.client gives up: the same
NODE_KEEPALIVE=1.3       # Node's keepAliveTimeout closes idle connections: clients see it as the FIN's delay
                         # (recent Node adds a 1 s buffer: the clients measure when the FIN came themselves)
NGINX_KEEPALIVE=3.1      # nginx's keepalive_timeout: the same
CLIENT_IDLE=2.1          # clients that close their idle connection first: nginx sees their idle timeout
NODE_UNREAD_TIMEOUT=2.9  # a Node client's request timeout, fired on a response it never read
CURL_CONNECT_TIMEOUT=1.6 # curl gives up connecting where SYNs are dropped

# Stalled readers are warned about after 1 s: the Node.js trap below shows its warning, then its end.
start_tcpfate "$OUT" --record "$WORK/diagnose_real.db" --warn-stalled 1 --scan-interval 200 || exit 0

# Servers in B that never answer: nginx's upstream, curl's and Python's.
py_server upstream 27101 hold
py_server curlsrv 27103 hold
py_server pysrv 27104 hold
# Nothing answers SYNs to 27106: curl's connect timeout.
nft_rule "$NS_B" "tcp dport 27106 drop"
# Node in B with server.setTimeout: an idle socket (the request in, no answer) is destroyed, as
# Node does by default; the server says how long after the request its timer fired.
ip netns exec "$NS_B" "$NODE" -e "
const s = require('http').createServer((q) => { q.socket.came = process.hrtime.bigint(); });
s.on('connection', (c) => { c.came = process.hrtime.bigint(); }); // until a request comes
s.setTimeout($NODE_TIMEOUT * 1000, (sock) => {
	console.log('gave_up_after=' + Number(process.hrtime.bigint() - sock.came) / 1e9 + ' sent_at=0');
	sock.destroy(); });
s.listen(27102, '$B4', () => console.log('listening'));" >"$WORK/nodesrv.out" 2>&1 &
BG_PIDS+=($!)
wait_line nodesrv listening
# Node in B with keepAliveTimeout: it answers, then closes the connection once it is idle that long.
# /page is a 20 kB answer, /huge 48 MB (more than both ends' socket buffers hold: the server is never done
# writing it, so its keep-alive timer never starts).
ip netns exec "$NS_B" "$NODE" -e "
const huge = Buffer.alloc(48 << 20, 120), page = 'x'.repeat(20000);
const s = require('http').createServer((q, r) => r.end(q.url === '/huge' ? huge : q.url === '/page' ? page : 'ok'));
s.keepAliveTimeout = $NODE_KEEPALIVE * 1000;
s.listen(27105, '$B4', () => console.log('listening'));" >"$WORK/nodeka.out" 2>&1 &
BG_PIDS+=($!)
wait_line nodeka listening
# Node in B with its defaults: keepAliveTimeout 5 s (and, in recent versions, 1 s more).
ip netns exec "$NS_B" "$NODE" -e "
require('http').createServer((q, r) => r.end('ok')).listen(27107, '$B4', () => console.log('listening'));" \
	>"$WORK/nodedefault.out" 2>&1 &
BG_PIDS+=($!)
wait_line nodedefault listening
# nginx in A in front of the silent upstream.
nginx_start 27111 <<CONF
	server {
		listen 127.0.0.1:27111;
		location / { proxy_pass http://$B4:27101; proxy_read_timeout $(awk -v s=$NGINX_READ_TIMEOUT 'BEGIN { print s * 1000 }')ms; }
	}
	server {
		listen 127.0.0.1:27112;
		keepalive_timeout $(awk -v s=$NGINX_KEEPALIVE 'BEGIN { print s * 1000 }')ms;
		location / { return 200 "ok\n"; }
	}
CONF

# Four requests against each, all at once.
client() { # NAME COMMAND...
	local name=$1
	shift
	(ip netns exec "$NS_A" "$@" >"$WORK/$name.out" 2>&1; echo "done result=$?" >>"$WORK/$name.out") &
}
for i in 1 2 3 4; do
	client nginx$i curl -s -o /dev/null -w '%{http_code}\n' http://127.0.0.1:27111/
	client node$i curl -s -o /dev/null http://$B4:27102/
	# curl says how long it waited for the answer (from sending the request to giving up).
	client curl$i curl -s -o /dev/null --max-time $CURL_MAX_TIME \
		-w 'gave_up_after=%{time_total} sent_at=%{time_pretransfer}\n' http://$B4:27103/
	# As an application does: the connection closed when the timeout is caught (not at exit, which
	# an emulated CPU makes late).
	client py$i python3 -c "
import http.client, socket, time
c = http.client.HTTPConnection('$B4', 27104, timeout=$PYTHON_TIMEOUT)
try:
    c.request('GET', '/')
    sent = time.monotonic()
    c.getresponse()
except socket.timeout:
    print('gave_up_after=%.3f sent_at=0' % (time.monotonic() - sent), flush=True)
    c.close()
    raise SystemExit(1)"
done
# Keep-alive: one request, then the connection left idle for SECONDS before the client closes it.
# It says when the server's FIN came, if it came first (fin_after=S, from the response's end).
idle_client() { # NAME HOST PORT SECONDS
	client "$1" python3 -c "
import http.client, select, time
c = http.client.HTTPConnection('$2', $3)
c.request('GET', '/')
c.getresponse().read()
start = time.monotonic()
if select.select([c.sock], [], [], $4)[0] and c.sock.recv(1) == b'':
    print('fin_after=%.3f' % (time.monotonic() - start), flush=True)
    time.sleep(max(0, $4 - (time.monotonic() - start)))
c.close()"
}
# The median of four measurements on stdin (the second smallest), to a tenth of a second.
median_of_four() { sort -n | sed -n 2p | awk '{ printf "%.1f", $1 }'; }
# What the four clients measured: when the server's FIN came, and how long they waited for an
# answer before they gave up (FILES: a glob under $WORK).
measured_fin() { grep -ho 'fin_after=[0-9.]*' "$WORK/$1"?.out | cut -d= -f2 | median_of_four; }
measured_wait() {
	grep -ho 'gave_up_after=[0-9.]* sent_at=[0-9.]*' "$WORK"/$1.out | awk -F'[= ]' '{ print $2 - $4 }' | median_of_four
}
# client_timeout SECONDS FILES [LATE]: the value a diagnosis of an application's timeout may give.
# Here, the setting.  On an emulated CPU timers fire late, by more under load: the setting (with
# late_value's wake-up) or what the application measured itself, to 0.1 s; with LATE, any tenth
# from the setting to LATE seconds past what it measured (for an application whose own measure
# starts late too).
client_timeout() {
	local m
	if [ "$SCALE" -le 1 ]; then
		late_value "$1"
		return
	fi
	m=$(measured_wait "$2")
	echo "($(late_value "$1")|$(awk -v set="$1" -v m="${m:-0}" -v late="${3:-}" 'BEGIN {
		if (late == "") { printf "%.1f|%.1f|%.1f", m - 0.1, m, m + 0.1; exit }
		hi = (m > set ? m : set) + late
		for (v = set; v <= hi + 0.01; v += 0.1) printf "%s%.1f", (v > set ? "|" : ""), v
	}' | sed 's/\./\\./g'))"
}
# The timeouts' requests first, alone: a dozen more interpreters starting at once would delay
# their timers on an emulated CPU.
for i in 1 2 3 4; do
	for n in nginx node curl py; do wait_line $n$i '^done' 30 || not_ok "$n$i finished"; done
done
# Then the keep-alive clients.  They wait for the server's FIN well past its timeout (Node's own
# 1 s buffer included; longer where timers run SCALE times late) before closing themselves.
for i in 1 2 3 4; do
	idle_client nodeka$i $B4 27105 $(awk -v s=$NODE_KEEPALIVE -v k=$SCALE 'BEGIN { print s + 1 + 1.5 * k }')
	idle_client nginxka$i 127.0.0.1 27112 $(awk -v s=$NGINX_KEEPALIVE -v k=$SCALE 'BEGIN { print s + 1.5 * k }')
	idle_client clientidle$i 127.0.0.1 27112 $CLIENT_IDLE
done
for i in 1 2 3 4; do
	for n in nodeka nginxka clientidle; do wait_line $n$i '^done' 30 || not_ok "$n$i finished"; done
done
# Then Node's default keep-alive timeout, and curl's connect timeout against dropped SYNs (each batch
# small: a dozen interpreters starting at once delay every timer on an emulated CPU).
for i in 1 2 3 4; do
	idle_client nodedefault$i $B4 27107 $(awk -v k=$SCALE 'BEGIN { print 5 + 1 + 1.5 * k }')
	client connect$i curl -s -o /dev/null --connect-timeout $CURL_CONNECT_TIMEOUT \
		-w 'gave_up_after=%{time_total} sent_at=%{time_namelookup}\n' http://$B4:27106/
done
for i in 1 2 3 4; do
	for n in nodedefault connect; do wait_line $n$i '^done' 30 || not_ok "$n$i finished"; done
done
# The Node.js trap: answers left unread.  Node clients that never consume a large response body:
# their request timeout fires and destroys the socket with the answer in it (an RST).  And clients
# that never read a page: the server's keep-alive timeout closes it, and their close resets it.
for i in 1 2 3 4; do
	# (A paused socket does not keep Node running: the interval does, as a server's would.)
	client unread$i "$NODE" -e "
const alive = setInterval(() => {}, 1000);
let came;
const req = require('http').get({ host: '$B4', port: 27105, path: '/huge' }, () => { came = process.hrtime.bigint(); });
req.setTimeout($NODE_UNREAD_TIMEOUT * 1000, () => {
	console.log('timeout gave_up_after=' + Number(process.hrtime.bigint() - came) / 1e9 + ' sent_at=0');
	req.destroy(); clearInterval(alive); });
req.on('error', () => {});"
	client unreadpage$i python3 -c "
import select, socket, time
s = socket.create_connection(('$B4', 27105))
s.sendall(b'GET /page HTTP/1.1\\r\\nHost: b\\r\\n\\r\\n')
p = select.poll()
p.register(s, select.POLLIN)
p.poll()
came = time.monotonic()
p.modify(s, select.POLLRDHUP)  # the FIN, with the page still unread
if p.poll($(awk -v s=$NODE_KEEPALIVE -v k=$SCALE 'BEGIN { print (s + 1 + 1.5 * k) * 1000 }')):
    print('fin_after=%.3f' % (time.monotonic() - came), flush=True)
time.sleep(0.3)
s.close()"
done
for i in 1 2 3 4; do
	for n in unread unreadpage; do wait_line $n$i '^done' 30 || not_ok "$n$i finished"; done
done
sleep 0.5
stop_tcpfate

check "nginx answered 504 (its upstream timed out)" "$(cat "$WORK"/nginx?.out | grep -o '^[0-9]*' | sort -u)" 504
# (On an emulated CPU Node's timer may fire before its loop has read the request: its close then
# resets the connection, and curl says "connection reset", exit 56.)
if [ "$SCALE" -gt 1 ] && [ "$(field node1 result)" == 56 ]; then
	ok "curl against Node: connection reset (exit 56: the request still unread when Node's timer fired)"
else
	check "curl against Node: empty reply (exit 52)" "$(field node1 result)" 52
fi
check "curl --max-time: timed out (exit 28)" "$(field curl1 result)" 28
check "Python: socket timeout (exit 1)" "$(field py1 result)" 1
check "curl --connect-timeout: timed out (exit 28)" "$(field connect1 result)" 28

"$TCPFATE" report "$OUT" --format json >"$WORK/report.json" 2>"$WORK/report.err"
check "report: exit status" "$?" 0
# The same diagnoses from the recording (ok idle closes are kept as rows there, not rolled up) and
# in the live monitor's exit summary.
"$TCPFATE" report "$WORK/diagnose_real.db" --format json >"$WORK/report-db.json" 2>>"$WORK/report.err"
check "the recording gives the same diagnoses" "$(jq -c .diagnoses "$WORK/report-db.json")" "$(jq -c .diagnoses "$WORK/report.json")"
check "the recording kept the idle closes as rows" \
	"$(sqlite3 "$WORK/diagnose_real.db" "SELECT count(*) FROM connections WHERE label = 'ok' AND fin_idle_ms >= 1000 AND dport IN (27105, 27112)")" 8
check "the live exit summary gives the same diagnoses" \
	"$(jq -c 'select(.event == "diagnosis") | del(.event)' "$OUT" | jq -sc .)" "$(jq -c .diagnoses "$WORK/report.json")"
jq -c ".diagnoses[] | {group, match, count}" "$WORK/report.json" | sed "s/^/# /"
expect_diag "nginx's proxy_read_timeout: the clients' request timeout of $NGINX_READ_TIMEOUT s, at its upstream" \
	"hang-up / peer-abandoned on $B4:27101" "the clients' request timeout of $(late_value $NGINX_READ_TIMEOUT) s"
expect_diag "Node's socket timeout: the server's request timeout of $NODE_TIMEOUT s, at its clients" \
	"hang-up / request-unanswered to $B4:27102 from curl" "the server's request timeout of $(client_timeout $NODE_TIMEOUT nodesrv) s"
echo "# curl --max-time $CURL_MAX_TIME s: it gave up after $(measured_wait "curl?") s; Python's timeout $PYTHON_TIMEOUT s: after $(measured_wait "py?") s"
expect_diag "curl --max-time: the clients' request timeout of $CURL_MAX_TIME s, at the server" \
	"hang-up / peer-abandoned on $B4:27103" "the clients' request timeout of $(client_timeout $CURL_MAX_TIME "curl?") s"
expect_diag "curl --connect-timeout: the application's connect timeout of $CURL_CONNECT_TIMEOUT s, the kernel's budget named" \
	"syn-timeout / abandoned to $B4:27106 from curl" \
	"the application's connect timeout of $(client_timeout $CURL_CONNECT_TIMEOUT "connect?") s, before the kernel's own [0-9]+ s \\(tcp_syn_retries = [0-9]+, read at the failure\\)"
expect_diag "Python's socket timeout: the clients' request timeout of $PYTHON_TIMEOUT s, at the server" \
	"hang-up / peer-abandoned on $B4:27104" "the clients' request timeout of $(client_timeout $PYTHON_TIMEOUT "py?") s"
# Idle closes (ok connections): whoever closed them first has that idle timeout.
node_fin=$(measured_fin nodeka)
echo "# Node's keepAliveTimeout $NODE_KEEPALIVE s: its clients saw the FIN after $node_fin s"
check_cmp "Node's keep-alive: its clients saw its FIN (4 of 4)" "$(grep -l 'fin_after=' "$WORK"/nodeka?.out | wc -l)" -eq 4
expect_diag "Node's keepAliveTimeout: the server's idle keep-alive timeout its clients measured ($node_fin s)" \
	"ok / peer-close to $B4:27105 from python3" "the server's idle keep-alive timeout of $(late_value "$node_fin") s"
check "Node's keep-alive: the FIN came at keepAliveTimeout, or 1 s after it (recent Node's buffer)" \
	"$(awk -v m="$node_fin" -v k=$NODE_KEEPALIVE -v late=$((SCALE > 1 ? 2 : 0)) \
		'BEGIN { d = sprintf("%.0f", (m - k) * 10); print (d >= 0 && d <= late) || (d >= 10 && d <= 10 + late) ? "yes" : "no: " m }')" yes
default_fin=$(measured_fin nodedefault)
echo "# Node's default keepAliveTimeout (5 s): its clients saw the FIN after $default_fin s"
check_cmp "Node's default keep-alive: its clients saw its FIN (4 of 4)" "$(grep -l 'fin_after=' "$WORK"/nodedefault?.out | wc -l)" -eq 4
# (Where timers run late, the value may fall outside the default's 2 % and go unnamed.)
named=" \\(Node\\.js keepAliveTimeout.* 5 s"
[ "$SCALE" -gt 1 ] && named=
expect_diag "Node's default keepAliveTimeout: named as Node's default ($default_fin s, as its clients measured)" \
	"ok / peer-close to $B4:27107 from python3" "the server's idle keep-alive timeout of $(late_value "$default_fin") s$named"
# The Node.js trap.
check "Node clients that never read: their request timeout fired (4 of 4)" "$(cat "$WORK"/unread?.out | grep -c '^timeout')" 4
stalled=$(jq -r 'select(.event == "warning" and .kind == "stalled" and .dport == 27105 and .comm == "node") | .cookie' "$OUT" | sort -u)
node_closes=$(jq -r 'select(.event == "close" and .dport == 27105 and .comm == "node") | "\(.label)/\(.cause)/\(.rst_reason) \(.cookie)"' "$OUT")
warned=$(while read -r fate cookie; do grep -qx "$cookie" <<<"$stalled" && echo "$fate"; done <<<"$node_closes")
check "Node clients that never read: reset on close, with the answer unread (4 of 4)" \
	"$(cut -d' ' -f1 <<<"$node_closes" | sort | uniq -c | tr -s ' ')" " 4 reset/local/TCP_ABORT_ON_CLOSE"
if [ "$SCALE" -le 1 ]; then
	check "Node clients that never read: each warned as stalled before its close" "$(grep -c . <<<"$warned")" 4
else
	# Scans run up to seconds late on an emulated CPU: a stall of 2.9 s may go unwarned there.
	check "Node clients that never read: those warned as stalled ($(grep -c . <<<"$warned") of 4) were reset on close" \
		"$(sort -u <<<"$warned" | grep -v '^$' | grep -vc '^reset/local/TCP_ABORT_ON_CLOSE$')" 0
fi
# tcpfate times it from the client's last read to its close, as the kernel saw both.  On an emulated
# CPU Node's callbacks (the clients' own measure starts in one) and its close run late, up to a
# second under load: there the value may be anything from the setting to 1 s past what they measured.
expect_diag "the Node.js trap: a client's request timeout of $NODE_UNREAD_TIMEOUT s on responses it never read" \
	"reset / local, closed with data unread to $B4:27105 from node" \
	"the client's own request timeout of $(client_timeout $NODE_UNREAD_TIMEOUT "unread?" 1) s, fired on a response it had received but not read"
page_fin=$(measured_fin unreadpage)
check_cmp "pages left unread: their clients saw the server's FIN (4 of 4)" "$(grep -l 'fin_after=' "$WORK"/unreadpage?.out | wc -l)" -eq 4
expect_diag "the Node.js trap: the server's keep-alive timeout ($page_fin s, as the clients saw it) on pages left unread" \
	"reset / local, data unread when the peer closed to $B4:27105 from python3" \
	"the server's idle timeout of $(late_value "$page_fin") s.*, met by responses the client never read"
expect_diag "nginx's keepalive_timeout: the server's idle keep-alive timeout of $NGINX_KEEPALIVE s, at its clients" \
	"ok / peer-close to 127.0.0.1:27112 from python3" "the server's idle keep-alive timeout of $(late_value $NGINX_KEEPALIVE) s"
expect_diag "clients that close idle connections after $CLIENT_IDLE s: their idle timeout, at nginx" \
	"ok / peer-close on 127.0.0.1:27112 (nginx)" "the clients' idle connection timeout of $(late_value $CLIENT_IDLE) s"
