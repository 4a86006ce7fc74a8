# shellcheck shell=bash
# Shared helpers for scenario tests: two network namespaces joined by a veth
# pair (A = clients, B = servers), real processes in them, and checks that
# print TAP-style "ok - ..." / "not ok - ..." lines for tests/run.sh to count.
#
# Nothing here sends traffic anywhere but the namespaces it creates.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TCPFATE=$ROOT/tcpfate
DRIVE=$ROOT/build/tests/tcpdrive
WORK=$(mktemp -d /tmp/tcpfate-test.XXXXXX)
NS_A=tfA$$
NS_B=tfB$$
A4=10.231.0.1
B4=10.231.0.2
A6=fd00:231::1
B6=fd00:231::2
BG_PIDS=()
# Waits stretch by this factor where everything runs slower (a guest under qemu's TCG sets 8):
# a wait ends as soon as what it waits for is there, so only a failure takes longer.
SCALE=${TEST_TIME_SCALE:-1}

# shellcheck source=tests/tap.sh
. "$ROOT/tests/tap.sh"

ns_setup() {
	ip netns add "$NS_A" && ip netns add "$NS_B" || return 1
	ip link add "tfa$$" netns "$NS_A" type veth peer name "tfb$$" netns "$NS_B" || return 1
	for ns in "$NS_A" "$NS_B"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$NS_A" link set "tfa$$" up
	ip -n "$NS_B" link set "tfb$$" up
	ip -n "$NS_A" addr add $A4/24 dev "tfa$$"
	ip -n "$NS_B" addr add $B4/24 dev "tfb$$"
	ip -n "$NS_A" addr add $A6/64 dev "tfa$$" nodad
	ip -n "$NS_B" addr add $B6/64 dev "tfb$$" nodad
	for ns in "$NS_A" "$NS_B"; do
		nft_in "$ns" "add table inet tcpfate_test"
		nft_in "$ns" "add chain inet tcpfate_test in { type filter hook input priority 0 ; }"
	done
}

# ns_sysctl NS KEY VALUE   (quietly skips keys this kernel lacks)
ns_sysctl() {
	[ -e "/proc/sys/${2//.//}" ] || return 0
	ip netns exec "$1" sysctl -qw "$2=$3"
}

nft_in() { ip netns exec "$1" nft "$2"; }

# Rules for one port in one namespace's input chain.
nft_rule() { nft_in "$1" "add rule inet tcpfate_test in $2"; }

# Lets FINs through, then stops every process in our namespaces, so that no
# orphaned socket retransmits into a deleted namespace for minutes afterwards.
ns_stop_all() {
	for ns in "$NS_A" "$NS_B"; do
		ip netns exec "$ns" nft flush ruleset 2>/dev/null
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
	done
	sleep 0.2
}

netns_inode() { stat -L -c %i "/run/netns/$1"; }

cleanup() {
	ns_stop_all
	for pid in "${BG_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
	wait 2>/dev/null
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"
}

# drive NAME NS ARGS...   runs tcpdrive in NS, output in $WORK/NAME.out
drive() {
	local name=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$DRIVE" "$@" >"$WORK/$name.out" 2>&1 &
	BG_PIDS+=($!)
}

# wait_line NAME REGEX [SECONDS]   (stretched by TEST_TIME_SCALE)
wait_line() {
	local deadline=$((SECONDS + ${3:-10} * SCALE))
	until grep -qE "$2" "$WORK/$1.out" 2>/dev/null; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.05
	done
}

# field NAME KEY   first KEY=value on NAME's output
field() { grep -oE "(^| )$2=[^ ]+" "$WORK/$1.out" 2>/dev/null | head -1 | cut -d= -f2; }

# record FILE JQ-SELECT   the first close record matching
record() { jq -c "select(.event == \"close\" and ($2))" "$1" 2>/dev/null | head -1; }

# expect_record DESC FILE SELECT KEY=VALUE...   (values compared as jq -r prints them)
expect_record() {
	local desc=$1 file=$2 sel=$3 rec kv key want got
	shift 3
	rec=$(record "$file" "$sel")
	if [ -z "$rec" ]; then
		not_ok "$desc: no record matching $sel"
		return
	fi
	# Every key's value in one jq run, one line each (jq starts slowly in an emulated guest).
	local prog="" values i=0
	for kv in "$@"; do
		prog+="${prog:+, }(.${kv%%=*} | if type == \"string\" then . else tojson end)"
	done
	mapfile -t values <<<"$(jq -r "$prog" <<<"$rec")"
	for kv in "$@"; do
		key=${kv%%=*}
		want=${kv#*=}
		got=${values[i++]:-}
		case $want in
		'>='*) check_cmp "$desc: $key" "$got" -ge "${want#>=}" ;;
		'>'*) check_cmp "$desc: $key" "$got" -gt "${want#>}" ;;
		*) check "$desc: $key" "$got" "$want" ;;
		esac
	done
}

# Start tcpfate with JSON output to FILE; waits for its ready line.
start_tcpfate() {
	local out=$1
	shift
	# Emptied here, before the start: a ready line left from an earlier run must not count.
	: >"$out.err"
	"$TCPFATE" --json "$@" >"$out" 2>"$out.err" &
	TCPFATE_PID=$!
	BG_PIDS+=("$TCPFATE_PID")
	local deadline=$((SECONDS + 20 * SCALE))
	until grep -q '^tcpfate: ready' "$out.err" 2>/dev/null; do
		if ! kill -0 "$TCPFATE_PID" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
			not_ok "tcpfate started: $(head -c 300 "$out.err")"
			return 1
		fi
		sleep 0.05
	done
}

stop_tcpfate() {
	kill -INT "$TCPFATE_PID" 2>/dev/null
	wait "$TCPFATE_PID" 2>/dev/null
}

# make_failures NAME COUNT SERVER_MODE|none PORT [NFT-RULE]: COUNT client requests from
# namespace A to B, each to its own port (PORT+i), against a tcpdrive server in
# SERVER_MODE (or none listening); an optional nft rule in B first.
make_failures() {
	local name=$1 count=$2 smode=$3 port=$4 rule=${5:-}
	[ -n "$rule" ] && nft_rule "$NS_B" "$rule"
	for i in $(seq 1 "$count"); do
		if [ "$smode" != none ]; then
			drive "$name$i-srv" "$NS_B" server $B4 $((port + i)) "$smode"
			wait_line "$name$i-srv" listening
		fi
		drive "$name$i-cli" "$NS_A" client $B4 $((port + i)) request
	done
	for i in $(seq 1 "$count"); do wait_line "$name$i-cli" '^done' 15; done
}

# py_server NAME PORT hold|timeout [SECONDS]: a Python server in B on $B4:PORT that accepts any
# number of connections; "hold" reads until the end and never answers, "timeout" gives up on a
# request after SECONDS without answering.  PY_SERVER_NS and PY_SERVER_ADDR put it elsewhere.
py_server() {
	ip netns exec "${PY_SERVER_NS:-$NS_B}" python3 -c "
import socket, sys, threading, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(('${PY_SERVER_ADDR:-$B4}', $2)); l.listen(16); print('listening', flush=True)
def serve(c):
    if '$3' == 'timeout':
        c.recv(1000); time.sleep(${4:-0}); c.close()
    else:
        while c.recv(65536): pass
        c.close()  # the main loop's c still holds the newest socket: closed here, not at the next accept
while True:
    c, _ = l.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
" >"$WORK/$1.out" 2>&1 &
	BG_PIDS+=($!)
	wait_line "$1" listening
}

# diag GROUP-SUBSTRING: "COUNT MATCH" of each diagnosis of that group in $WORK/report.json.
diag() {
	jq -r --arg g "$1" '.diagnoses[] | select(.group | contains($g)) | "\(.count) \(.match)"' "$WORK/report.json"
}
# expect_diag DESC GROUP MATCH-REGEX: the group's diagnosis names the setting, from at least three of
# its four connections.  Where timers and processes run late and unevenly (an emulated CPU:
# TEST_TIME_SCALE > 1), the timings may spread too far for any claim: then no claim is right too,
# and a wrong one is still a failure.
expect_diag() {
	local got
	got=$(diag "$2")
	if [ "$SCALE" -gt 1 ] && [ -z "$got" ]; then
		ok "$1 (no claim: the timings spread too far on this emulated CPU)"
		return
	fi
	# A failure says what the report claimed: a guest's run prints only its failing lines.
	if [ "$(grep -cE "^[34] $3" <<<"$got") $(grep -c . <<<"$got")" == "1 1" ]; then
		ok "$1"
	else
		not_ok "$1: the report said '$(tr '\n' ';' <<<"$got")', want '[34] $3'"
	fi
}

# recorded DB [WHERE]   connections in a recording: its rows, and the ok connections its
# rollups count (a WHERE may name the columns both tables have: ts_end, ports, pid, comm...)
recorded() {
	sqlite3 "$1" "SELECT (SELECT count(*) FROM connections ${2:+WHERE $2}) +
		(SELECT coalesce(sum(connections), 0) FROM ok_rollups ${2:+WHERE $2})" 2>/dev/null
}

# late_value SECONDS: a regex for a delay an application made, as measured from the other end.  It
# includes the application's own wake-up, which on an emulated CPU (SCALE > 1) adds up to 0.2 s.
late_value() {
	if [ "$SCALE" -gt 1 ]; then
		awk -v v="$1" 'BEGIN { printf "(%.1f|%.1f|%.1f)", v, v + 0.1, v + 0.2 }' | sed 's/\./\\./g'
	else
		sed 's/\./\\./g' <<<"$1"
	fi
}

# nginx_start PORT < HTTP-BLOCK-BODY: nginx in A, unprivileged paths under $WORK/nginx, with the
# http block's body from stdin; returns once PORT listens (its pid is in $WORK/nginx/nginx.pid).
nginx_start() {
	mkdir -p "$WORK/nginx"
	{
		cat <<CONF
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log info;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $WORK/nginx/body;
	proxy_temp_path $WORK/nginx/proxy;
	fastcgi_temp_path $WORK/nginx/fastcgi;
	uwsgi_temp_path $WORK/nginx/uwsgi;
	scgi_temp_path $WORK/nginx/scgi;
CONF
		cat
		echo "}"
	} >"$WORK/nginx/nginx.conf"
	ip netns exec "$NS_A" nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" >"$WORK/nginx.out" 2>&1 &
	BG_PIDS+=($!)
	local deadline=$((SECONDS + 10 * SCALE))
	until ip netns exec "$NS_A" ss -ltnH | grep -q ":$1 " || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
}
