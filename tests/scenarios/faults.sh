#!/usr/bin/env bash
# Faults and least privilege: stopping within a second, SIGHUP reopening files
# moved by log rotation, a full disk counted while monitoring goes on, two
# instances side by side, --user with every capability dropped, files created
# 0600, symbolic links refused, a socket freed without a close event (simulated
# through the connection table) found gone and reported once, a full connection
# table said while it happens.
set -u
. "$(dirname "$0")/../lib.sh"

MNT=
faults_cleanup() {
	[ -n "$MNT" ] && umount "$MNT" 2>/dev/null
	cleanup
}
trap faults_cleanup EXIT

CHURN=$ROOT/build/bench/churn
ns_setup || { not_ok "network namespaces could be set up"; exit 0; }
NETNS_A=$(netns_inode "$NS_A")

exchange() { # NAME PORT
	drive "$1-srv" "$NS_A" server 127.0.0.1 "$2" reply
	wait_line "$1-srv" listening
	drive "$1-cli" "$NS_A" client 127.0.0.1 "$2" request
	wait_line "$1-cli" '^done' 10
	wait_line "$1-srv" '^done' 10
}

# --- SIGTERM: out within a second, having printed what it had ------------------------
start_tcpfate "$WORK/term.json" || exit 0
exchange term 28001
t0=$(date +%s%N)
kill -TERM "$TCPFATE_PID"
wait "$TCPFATE_PID"
status=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "SIGTERM: exit status" "$status" 0
check_cmp "SIGTERM: stopped within a second (ms; stretched by TEST_TIME_SCALE)" "$ms" -lt $((1000 * SCALE))
expect_record "SIGTERM: the last connection was flushed" "$WORK/term.json" ".dport == 28001" label=ok

# --- SIGHUP: log rotation ----------------------------------------------------------------
LOG=$WORK/rotate.log
"$TCPFATE" --json --output "$LOG" --record "$WORK/rotate.db" 2>"$WORK/rotate.err" &
PID=$!
BG_PIDS+=("$PID")
until grep -q '^tcpfate: ready' "$WORK/rotate.err" 2>/dev/null; do sleep 0.05; done
check "--output file is mode 0600" "$(stat -c %a "$LOG")" 600
exchange before 28011
# Rotated once both ends of the first connection are in the file and in the recording (waited
# for, not slept on: a slow machine takes longer), and reopened before the second.
deadline=$((SECONDS + 10 * SCALE))
until [ "$(grep -cE '"(s|d)port":28011,' "$LOG")" -ge 2 ] &&
	[ "$(recorded "$WORK/rotate.db" 'dport = 28011 OR sport = 28011')" = 2 ] ||
	[ $SECONDS -ge $deadline ]; do
	sleep 0.1
done
mv "$LOG" "$LOG.1"
mv "$WORK/rotate.db" "$WORK/rotate.db.1"
kill -HUP "$PID"
until grep -q 'reopened' "$WORK/rotate.err" || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
exchange after 28012
sleep 0.5
kill -INT "$PID"
wait "$PID"
expect_record "SIGHUP: the earlier connection is in the rotated file" "$LOG.1" ".dport == 28011" label=ok
expect_record "SIGHUP: the later connection is in the new file" "$LOG" ".dport == 28012" label=ok
check "SIGHUP: the new file is 0600 too" "$(stat -c %a "$LOG")" 600
check "SIGHUP: the recording was reopened under its name" \
	"$(recorded "$WORK/rotate.db" 'dport = 28012 OR sport = 28012')" 2
grep -q 'reopened' "$WORK/rotate.err" && ok "SIGHUP: said so" || not_ok "SIGHUP: said so"

# --- a full disk: counted, said, and monitoring goes on --------------------------------------
MNT=$WORK/small
mkdir -p "$MNT"
mount -t tmpfs -o size=256k tcpfate-test "$MNT"
# Stopped by SIGTERM once the load is done, however long that took.
"$TCPFATE" --json --output "$MNT/out.json" >/dev/null 2>"$WORK/full.err" &
PID=$!
BG_PIDS+=("$PID")
until grep -q '^tcpfate: ready' "$WORK/full.err" 2>/dev/null; do sleep 0.05; done
ip netns exec "$NS_A" "$CHURN" --mode cac --count 5000 --workers 1 --port 28100 >/dev/null
exchange late 28021
sleep 0.5
kill -TERM "$PID"
wait "$PID"
check "full disk: ran to the end (exit 0)" "$?" 0
grep -q 'cannot write output' "$WORK/full.err" && ok "full disk: reported" || not_ok "full disk: reported"
check "full disk: reported once, not per line" "$(grep -c 'cannot write output' "$WORK/full.err")" 1
grep -qE 'output write errors [1-9]' "$WORK/full.err" && ok "full disk: write errors counted" ||
	not_ok "full disk: write errors counted: $(tail -2 "$WORK/full.err")"
grep -qE '^tcpfate: [0-9]+ connections ended' "$WORK/full.err" && ok "full disk: the summary still comes" ||
	not_ok "full disk: the summary still comes"

# A recording on the same small disk (emptied first, so that the schema fits): rows the disk
# refuses are counted, and recorded + dropped = ended.  A row for every connection (ok ones
# counted per second would never fill it).
rm -f "$MNT/out.json"
"$TCPFATE" --json --record "$MNT/rec.db" --record-ok full >"$WORK/fullrec.json" 2>"$WORK/fullrec.err" &
PID=$!
BG_PIDS+=("$PID")
until grep -q '^tcpfate: ready' "$WORK/fullrec.err" 2>/dev/null; do
	kill -0 "$PID" 2>/dev/null || break
	sleep 0.05
done
ip netns exec "$NS_A" "$CHURN" --mode cac --count 5000 --workers 1 --port 28100 >/dev/null
sleep 0.5
kill -TERM "$PID"
wait "$PID"
check "full disk, recording: ran to the end (exit 0)" "$?" 0
summary=$(grep '^{"event":"summary"' "$WORK/fullrec.json")
check_cmp "full disk, recording: dropped rows counted" "$(jq -r .records_dropped <<<"$summary")" -gt 0
check "full disk, recording: recorded + dropped = ended" \
	"$(jq -r '.records_written + .records_dropped == .ended' <<<"$summary")" true
grep -qE 'recording dropped [1-9]' "$WORK/fullrec.err" && ok "full disk, recording: said in the summary" ||
	not_ok "full disk, recording: said in the summary: $(tail -3 "$WORK/fullrec.err")"

# --- two instances side by side see the same connection ---------------------------------------
start_tcpfate "$WORK/one.json" || exit 0
FIRST=$TCPFATE_PID
start_tcpfate "$WORK/two.json" || exit 0
exchange both 28031
sleep 0.3
stop_tcpfate
TCPFATE_PID=$FIRST
stop_tcpfate
expect_record "two instances: the first sees it" "$WORK/one.json" ".dport == 28031" label=ok
expect_record "two instances: the second sees it" "$WORK/two.json" ".dport == 28031" label=ok

# --- --user: every capability dropped, and it still works ---------------------------------------
start_tcpfate "$WORK/user.json" --user nobody --warn-stalled 1 || exit 0
check "--user nobody: runs as uid 65534" "$(awk '/^Uid:/ { print $2 }' "/proc/$TCPFATE_PID/status")" 65534
check "--user nobody: no effective capability" "$(awk '/^CapEff:/ { print $2 }' "/proc/$TCPFATE_PID/status")" \
	0000000000000000
check "--user nobody: no permitted capability" "$(awk '/^CapPrm:/ { print $2 }' "/proc/$TCPFATE_PID/status")" \
	0000000000000000
exchange user 28041
drive sink-srv "$NS_A" server 127.0.0.1 28042 sink
wait_line sink-srv listening
drive sink-cli "$NS_A" client 127.0.0.1 28042 fill
wait_line sink-cli stalled 15
# The warning comes from the scan, a second or so after the stall: waited for, not slept on.
deadline=$((SECONDS + 10 * SCALE))
until grep '"event":"warning"' "$WORK/user.json" | grep '"kind":"stalled"' | grep -q '"sport":28042' ||
	[ $SECONDS -ge $deadline ]; do
	sleep 0.2
done
stop_tcpfate
expect_record "--user nobody: connections are still recorded" "$WORK/user.json" ".dport == 28041" label=ok \
	pid="$(field user-cli pid)"
check "--user nobody: the scan of open connections still works" \
	"$(jq -c 'select(.event == "warning" and .kind == "stalled" and .sport == 28042)' "$WORK/user.json" | wc -l)" 1
"$TCPFATE" --user no-such-user-here --duration 1 >/dev/null 2>"$WORK/nouser.err"
check "--user unknown: exit status" "$?" 1
check "--user unknown: one line" "$(wc -l <"$WORK/nouser.err")" 1

# --- symbolic links are refused ----------------------------------------------------------------
ln -s /etc/passwd "$WORK/planted"
"$TCPFATE" --output "$WORK/planted" --duration 1 >/dev/null 2>"$WORK/link.err"
check "--output through a symbolic link: refused (exit 1)" "$?" 1
grep -q 'symbolic link' "$WORK/link.err" && ok "--output through a symbolic link: says so" ||
	not_ok "--output through a symbolic link: $(cat "$WORK/link.err")"
"$TCPFATE" --record "$WORK/planted" --duration 1 >/dev/null 2>"$WORK/link2.err"
check "--record through a symbolic link: refused (exit 1)" "$?" 1
"$TCPFATE" report "$WORK/term.json" -o "$WORK/planted" >/dev/null 2>&1
check "report -o through a symbolic link: refused" "$(head -c 4 /etc/passwd)" "root"

# --- a socket freed without a close event: found gone, reported once ------------------------
# The kernel frees about one socket per million under churn with no close event (README
# "Accounting").  Stand-in: the entry of an open socket gets another cookie, as if the memory
# at its address held a new socket now.  The next scan must report it from what the entry knew,
# with its own namespace (the socket can no longer say), and the socket, in fact alive, is
# followed again.
conns_map() { # PID: the id of that tcpfate's fixed table of connection entries
	local id
	for id in $(awk '/^map_id:/ { print $2 }' /proc/"$1"/fdinfo/* 2>/dev/null | sort -u); do
		bpftool -j map show id "$id" | jq -r 'select(.name == "conn_slots") | .id'
	done
}
wait_json() { # FILE JQ-SELECT: waits (10 s at most) for a line matching
	local deadline=$((SECONDS + 10))
	until [ -n "$(jq -c "select($2)" "$1" 2>/dev/null)" ] || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
}
start_tcpfate "$WORK/gone.json" || exit 0
drive gone-srv "$NS_A" server 127.0.0.1 28061 hold
wait_line gone-srv listening
drive gone-cli "$NS_A" client 127.0.0.1 28061 hold
wait_line gone-srv accepted
lport=$(field gone-cli lport)
map=$(conns_map "$TCPFATE_PID")
entry=$(bpftool -j map dump id "$map" |
	jq -c --argjson p "$lport" '.[] | select(.formatted.value.c.sport == 28061 and .formatted.value.c.dport == $p)')
# The top byte of the entry's cookie: offsetof(struct conn_entry, c) + offsetof(struct conn, cookie)
# + 7 (little-endian), with both offsets read from the BTF the loaded map carries.
btf_offset() { # BTF-ID STRUCT MEMBER: the member's byte offset
	bpftool -j btf dump id "$1" | jq --arg s "$2" --arg m "$3" \
		'.types[] | select(.kind == "STRUCT" and .name == $s) | .members[] | select(.name == $m) | .bits_offset / 8'
}
btf=$(bpftool -j map show id "$map" | jq -r .btf_id)
cookie_top=$(($(btf_offset "$btf" conn_entry c) + $(btf_offset "$btf" conn cookie) + 7))
if [ -n "$entry" ] && bpftool map update id "$map" key $(jq -r '.key | join(" ")' <<<"$entry") \
	value $(jq -r --argjson at "$cookie_top" '.value | .[$at] = "0xff" | join(" ")' <<<"$entry"); then
	ok "found gone: the server end's entry got another cookie"
else
	not_ok "found gone: the server end's entry (map '$map') got another cookie"
fi
wait_json "$WORK/gone.json" '.close_seen == false'
kill "$(field gone-srv pid)" "$(field gone-cli pid)"
wait_json "$WORK/gone.json" '.dport == 28061'
sleep 0.3
stop_tcpfate
expect_record "found gone: reported from its entry" "$WORK/gone.json" '.close_seen == false' \
	netns="$NETNS_A" family=4 direction=in saddr=127.0.0.1 sport=28061 dport="$lport" \
	last_state=ESTABLISHED label=ok start_known=true duration_ms='>=0'
check "found gone: reported once" "$(jq -c 'select(.close_seen == false)' "$WORK/gone.json" | wc -l)" 1
expect_record "found gone: the socket, alive after all, is followed again from its close" "$WORK/gone.json" \
	'.sport == 28061 and .close_seen != false' netns="$NETNS_A" start_known=false label=ok
summary=$(grep '^{"event":"summary"' "$WORK/gone.json")
check "found gone: counted in the summary" "$(jq -r .sockets_found_gone <<<"$summary")" 1
check "found gone: accounting adds up" \
	"$(jq -r '.ended + .open_now + .events_lost + .ends_unseen == .tracked' <<<"$summary")" true

# --- a full connection table: said while it happens, counted, the accounting still adds up ----
# Holds COUNT loopback connections open in $NS_A (in $HOLD) and waits until they are.
hold_open() { # COUNT PORT LOG
	ip netns exec "$NS_A" "$CHURN" --mode cac --hold "$1" --hold-only --port "$2" >"$3" 2>&1 &
	HOLD=$!
	BG_PIDS+=("$HOLD")
	local deadline=$((SECONDS + 20))
	until grep -q '^holding' "$3" 2>/dev/null || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
}
start_tcpfate "$WORK/full.json" --max-tracked 1024 || exit 0
hold_open 1500 28071 "$WORK/full-hold.out"
deadline=$((SECONDS + 5))
until grep -q 'losing data' "$WORK/full.json.err" || [ $SECONDS -ge $deadline ]; do sleep 0.1; done
notice=$(grep -m1 'losing data' "$WORK/full.json.err")
check "table full: said while it happens, with the option that makes room" \
	"$(grep -oE '^tcpfate: warning: losing data since start-up: [0-9]+ connections not followed \(connection table full: --max-tracked 1024\)$' <<<"$notice" | wc -l)" 1
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null
stop_tcpfate
summary=$(grep '^{"event":"summary"' "$WORK/full.json")
check_cmp "table full: untracked connections counted" "$(jq -r .untracked <<<"$summary")" -gt 0
check "table full: accounting adds up for what was followed" \
	"$(jq -r '.ended + .open_now + .events_lost + .ends_unseen == .tracked' <<<"$summary")" true

# --- sockets whose slot is taken: followed in the overflow map, which frees its entries -----
# --max-tracked 1024 has 128 fixed slots and an overflow map of 896.  800 held sockets take
# every slot and 672 overflow entries, so each churn socket finds its slot taken: 6,000 of
# them pass through the 224 overflow entries left, which works only if each is freed.
start_tcpfate "$WORK/overflow.json" --max-tracked 1024 || exit 0
hold_open 400 28081 "$WORK/ov-hold.out"
ip netns exec "$NS_A" "$CHURN" --mode cac --count 3000 --workers 1 --port 28091 >/dev/null
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null
sleep 0.3
stop_tcpfate
summary=$(grep '^{"event":"summary"' "$WORK/overflow.json")
check "overflow: nothing untracked" "$(jq -r .untracked <<<"$summary")" 0
check "overflow: every churn connection's two ends reported ok" \
	"$(jq -c 'select(.event == "close" and .label == "ok" and .start_known and (.sport == 28091 or .dport == 28091))' "$WORK/overflow.json" | wc -l)" 6000
held_port=$((28081 + 64)) # churn holds on --port + 64 (its MAX_WORKERS)
check "overflow: every held connection's two ends reported" "$(jq -c --argjson p "$held_port" \
	'select(.event == "close" and (.sport == $p or .dport == $p))' "$WORK/overflow.json" | wc -l)" 800
check "overflow: accounting adds up" \
	"$(jq -r '.ended + .open_now + .events_lost + .ends_unseen == .tracked' <<<"$summary")" true

# Open at the end and in the overflow map: the last scan walks it (it skips it only while
# empty) and counts them open.  800 held sockets, 672 of them in the overflow map.
start_tcpfate "$WORK/ov-open.json" --max-tracked 1024 || exit 0
hold_open 400 28101 "$WORK/ov-open-hold.out"
sleep 1.2 # a periodic scan runs meanwhile
stop_tcpfate
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null
summary=$(grep '^{"event":"summary"' "$WORK/ov-open.json")
check_cmp "overflow: held sockets in the overflow map counted open at the end" "$(jq -r .open_now <<<"$summary")" -ge 800
check "overflow: no end unaccounted with overflow entries open" "$(jq -r .ends_unseen <<<"$summary")" 0

# --- valgrind: no leak in a run with every feature on -------------------------------------
if [ "${SANITIZE:-}" = 1 ]; then
	echo "# valgrind skipped: this tcpfate is built with ASan (the two do not mix)"
elif command -v valgrind >/dev/null; then
	# Memory the kernel fills (BPF map lookups, the ring buffer) is invisible to valgrind's
	# definedness tracking; this run is about leaks and invalid accesses.
	valgrind --leak-check=full --undef-value-errors=no --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=9 --log-file="$WORK/valgrind.log" "$TCPFATE" --json --record "$WORK/vg.db" \
		--metrics 127.0.0.1:19998 -o "$WORK/vg.json" 2>"$WORK/vg.err" &
	VG=$!
	deadline=$((SECONDS + 60 * SCALE))
	until grep -q '^tcpfate: ready' "$WORK/vg.err" 2>/dev/null || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
	exchange vg 28051
	curl -s http://127.0.0.1:19998/metrics >/dev/null
	kill -TERM "$VG"
	wait "$VG"
	check "valgrind: clean exit, no leak, no invalid access" "$? $(grep -o 'ERROR SUMMARY: [0-9]* errors' "$WORK/valgrind.log")" \
		"0 ERROR SUMMARY: 0 errors"
	grep -q 'All heap blocks were freed' "$WORK/valgrind.log" && ok "valgrind: all heap blocks freed" ||
		not_ok "valgrind: all heap blocks freed: $(grep -A4 'LEAK SUMMARY' "$WORK/valgrind.log" | tr '\n' ' ')"
else
	not_ok "valgrind is installed (make test-deps)"
fi

# --- a host whose kernel config cannot be read (a container without /boot, no /proc/config.gz) ---
# The BPF side needs the kernel's HZ for its jiffies: measured then.  An idle time the test makes
# (1 s between the client's data and its close) must come out right.
hide=()
for f in /proc/config.gz "/boot/config-$(uname -r)"; do [ -e "$f" ] && hide+=("$f"); done
unshare -m sh -c 'for f in "$@"; do mount --bind /dev/null "$f" || exit 1; done; exec "$0" --json --port 28090' \
	"$TCPFATE" "${hide[@]}" >"$WORK/nohz.json" 2>"$WORK/nohz.json.err" &
TCPFATE_PID=$!
BG_PIDS+=("$TCPFATE_PID")
deadline=$((SECONDS + 20))
until grep -q '^tcpfate: ready' "$WORK/nohz.json.err" 2>/dev/null || [ $SECONDS -ge $deadline ] ||
	! kill -0 "$TCPFATE_PID" 2>/dev/null; do sleep 0.05; done
if grep -q '^tcpfate: ready' "$WORK/nohz.json.err"; then
	ok "no kernel config: tcpfate starts"
	config_hz=$({ zcat /proc/config.gz 2>/dev/null; cat "/boot/config-$(uname -r)" 2>/dev/null; } |
		sed -n 's/^CONFIG_HZ=//p' | head -1)
	grep -qE "HZ ${config_hz:-[0-9]+}, measured" "$WORK/nohz.json.err" &&
		ok "no kernel config: HZ measured (the config, read here by the test, says ${config_hz:-nothing})" ||
		not_ok "no kernel config: HZ measured: $(grep -i hz "$WORK/nohz.json.err")"
	ip netns exec "$NS_A" python3 -c "
import socket, time
l = socket.socket(); l.bind(('127.0.0.1', 28090)); l.listen(1)
c = socket.create_connection(('127.0.0.1', 28090)); s, _ = l.accept()
c.send(b'x'); s.recv(1); time.sleep(1.0); c.close(); s.recv(1); s.close()"
	sleep 0.3
	stop_tcpfate
	expect_record "no kernel config: idle time from jiffies, converted with the measured HZ" "$WORK/nohz.json" \
		'.direction == "in" and .sport == 28090' rx_idle_ms='>=950'
	check_cmp "no kernel config: idle time not overstated" \
		"$(record "$WORK/nohz.json" '.direction == "in" and .sport == 28090' | jq -r .rx_idle_ms)" -le 1100
else
	not_ok "no kernel config: tcpfate starts: $(head -c 300 "$WORK/nohz.json.err")"
fi
