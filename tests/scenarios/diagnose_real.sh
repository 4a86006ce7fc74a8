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

start_tcpfate "$OUT" || exit 0

# Servers in B that never answer: nginx's upstream, curl's and Python's.
py_server upstream 27101 hold
py_server curlsrv 27103 hold
py_server pysrv 27104 hold
# Node in B with server.setTimeout: an idle socket (the request in, no answer) is destroyed.
ip netns exec "$NS_B" "$NODE" -e "
const s = require('http').createServer(() => {});
s.setTimeout($NODE_TIMEOUT * 1000);
s.listen(27102, '$B4', () => console.log('listening'));" >"$WORK/node.out" 2>&1 &
BG_PIDS+=($!)
wait_line node listening
# nginx in A in front of the silent upstream.
nginx_start 27111 <<CONF
	server {
		listen 127.0.0.1:27111;
		location / { proxy_pass http://$B4:27101; proxy_read_timeout $(awk -v s=$NGINX_READ_TIMEOUT 'BEGIN { print s * 1000 }')ms; }
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
	client curl$i curl -s -o /dev/null --max-time $CURL_MAX_TIME http://$B4:27103/
	# As an application does: the connection closed when the timeout is caught (not at exit, which
	# an emulated CPU makes late).
	client py$i python3 -c "
import http.client, socket
c = http.client.HTTPConnection('$B4', 27104, timeout=$PYTHON_TIMEOUT)
try:
    c.request('GET', '/')
    c.getresponse()
except socket.timeout:
    c.close()
    raise SystemExit(1)"
done
for i in 1 2 3 4; do
	for n in nginx node curl py; do wait_line $n$i '^done' 30 || not_ok "$n$i finished"; done
done
sleep 0.5
stop_tcpfate

check "nginx answered 504 (its upstream timed out)" "$(cat "$WORK"/nginx?.out | grep -o '^[0-9]*' | sort -u)" 504
check "curl against Node: empty reply (exit 52)" "$(field node1 result)" 52
check "curl --max-time: timed out (exit 28)" "$(field curl1 result)" 28
check "Python: socket timeout (exit 1)" "$(field py1 result)" 1

"$TCPFATE" report "$OUT" --format json >"$WORK/report.json" 2>"$WORK/report.err"
check "report: exit status" "$?" 0
jq -c ".diagnoses[] | {group, match, count}" "$WORK/report.json" | sed "s/^/# /"
expect_diag "nginx's proxy_read_timeout: the clients' request timeout of $NGINX_READ_TIMEOUT s, at its upstream" \
	"hang-up / peer-abandoned on $B4:27101" "the clients' request timeout of $(late_value $NGINX_READ_TIMEOUT) s"
expect_diag "Node's socket timeout: the server's request timeout of $NODE_TIMEOUT s, at its clients" \
	"hang-up / request-unanswered to $B4:27102 from curl" "the server's request timeout of $(late_value $NODE_TIMEOUT) s"
expect_diag "curl --max-time: the clients' request timeout of $CURL_MAX_TIME s, at the server" \
	"hang-up / peer-abandoned on $B4:27103" "the clients' request timeout of $(late_value $CURL_MAX_TIME) s"
expect_diag "Python's socket timeout: the clients' request timeout of $PYTHON_TIMEOUT s, at the server" \
	"hang-up / peer-abandoned on $B4:27104" "the clients' request timeout of $(late_value $PYTHON_TIMEOUT) s"
