#!/usr/bin/env bash
# make bench: what a tracer costs a loopback connection-churn load, measured
# side by side in one run.  For each churn mode, every repetition runs each
# configuration once, in a rotating order, with a run without any tracer
# before and after each one (none A none B none ... ); a ratio compares a
# run with the mean of the two no-tracer runs around it, so a machine that
# drifts faster or slower over seconds moves both sides alike.
# Writes bench/RESULTS.md.
#
#   BENCH_SECONDS (default 2)  length of one churn run
#   BENCH_REPS (default 6)     repetitions
#   BENCH_WORKERS (default 2)  churn threads (the machine has 2 cores)
#   BENCH_CONFIGS              a subset of the tracers below, to spend the repetitions
#                              on the rows in question (e.g. "none-again tcpfate-json")
#   BENCH_HOLDS (default "25000 50000 100000")  open connections for the cost-vs-open
#                              runs; "none" skips them
#   BENCH_RESULTS              where the table goes (default bench/RESULTS.md)
#   BENCH_BASELINE             another tcpfate binary (an earlier build): the configuration
#                              baseline-json runs it like tcpfate-json, for a before/after in one table
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHURN=$ROOT/build/bench/churn
TCPFATE=$ROOT/tcpfate
HOOKS=$ROOT/build/bench/hooks
SECS=${BENCH_SECONDS:-2}
REPS=${BENCH_REPS:-6}
WORKERS=${BENCH_WORKERS:-2}
RESULTS=${BENCH_RESULTS:-$ROOT/bench/RESULTS.md}
PORT=18000
for v in BENCH_SECONDS BENCH_REPS BENCH_WORKERS; do
	[ -z "${!v+set}" ] || [[ ${!v} =~ ^[1-9][0-9]*$ ]] ||
		{ echo "bench: $v must be a whole number above 0 (got '${!v}')" >&2; exit 2; }
done
# none-again: a run with no tracer, compared like a tracer: the noise floor of a ratio.
# empty-hooks: empty programs on tcpfate's tracepoints, the bound for any tracer on them.
ALL_CONFIGS=(none-again empty-hooks tcpfate-text tcpfate-json tcpfate-record tcpfate-record-full tcplife tcpstates baseline-json)
read -r -a CONFIGS <<<"${BENCH_CONFIGS:-${ALL_CONFIGS[*]/baseline-json/}}"
if [[ " ${CONFIGS[*]} " == *" baseline-json "* ]] && [ ! -x "${BENCH_BASELINE:-}" ]; then
	echo "bench: baseline-json needs BENCH_BASELINE, an executable tcpfate (got '${BENCH_BASELINE:-}')" >&2
	exit 2
fi
for config in "${CONFIGS[@]}"; do
	[[ " ${ALL_CONFIGS[*]} " == *" $config "* ]] ||
		{ echo "bench: unknown configuration '$config' (one of: ${ALL_CONFIGS[*]})" >&2; exit 2; }
done
[ ${#CONFIGS[@]} -gt 0 ] || { echo "bench: BENCH_CONFIGS names no configuration" >&2; exit 2; }
HOLDS=${BENCH_HOLDS:-25000 50000 100000}
[ "$HOLDS" = none ] && HOLDS=
WORK=$(mktemp -d /tmp/tcpfate-bench.XXXXXX)
TRACER_PID=
HOLDER_PID=

cleanup() {
	[ -n "$TRACER_PID" ] && kill -INT "$TRACER_PID" 2>/dev/null && wait "$TRACER_PID" 2>/dev/null
	[ -n "$HOLDER_PID" ] && kill "$HOLDER_PID" 2>/dev/null && wait "$HOLDER_PID" 2>/dev/null
	rm -rf "$WORK"
	[ -n "${TRACEFS_MOUNTED:-}" ] && umount /sys/kernel/tracing 2>/dev/null
}
trap cleanup EXIT

for tool in tcplife tcpstates; do
	[[ " ${CONFIGS[*]} " == *" $tool "* ]] || continue
	command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || {
		echo "bench: $tool not found (Debian package libbpf-tools: make bench-deps)" >&2
		exit 1
	}
done

# tcplife and tcpstates attach classic tracepoints, whose ids libbpf reads from tracefs: mounted
# here when it is not (and unmounted at the end).  Where that fails, their rows say why they did
# not run, and the table is finished without them.
NOT_RUN=() # "config|reason"
TRACEFS_MOUNTED=
if [[ " ${CONFIGS[*]} " == *" tcplife "* || " ${CONFIGS[*]} " == *" tcpstates "* ]] &&
	[ ! -d /sys/kernel/tracing/events ] && [ ! -d /sys/kernel/debug/tracing/events ]; then
	if mount -t tracefs tracefs /sys/kernel/tracing 2>"$WORK/tracefs.err" && [ -d /sys/kernel/tracing/events ]; then
		TRACEFS_MOUNTED=1
		echo "bench: mounted tracefs at /sys/kernel/tracing for tcplife and tcpstates (unmounted at the end)" >&2
	else
		why="tracefs is not mounted and could not be: $(head -1 "$WORK/tracefs.err")"
		for tool in tcplife tcpstates; do
			[[ " ${CONFIGS[*]} " == *" $tool "* ]] && NOT_RUN+=("$tool|$why")
		done
		read -r -a CONFIGS <<<"$(tr ' ' '\n' <<<"${CONFIGS[*]}" | grep -vxE 'tcplife|tcpstates' | tr '\n' ' ')"
		echo "bench: not running tcplife and tcpstates: $why" >&2
	fi
fi
TCPLIFE=$(command -v tcplife || echo /usr/sbin/tcplife)
TCPSTATES=$(command -v tcpstates || echo /usr/sbin/tcpstates)

# CPU time of every thread of a process, in µs: the scheduler's own count (schedstat), where
# utime + stime in /proc/PID/stat are sampled at the tick (10 ms: ±6 % of a 2 s run's tracer CPU).
cpu_us() { cat "/proc/$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s / 1000 }'; }
peak_rss_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# start_tracer CONFIG OUTFILE [tcpfate options]: sets TRACER_PID; returns when attached.
start_tracer() {
	local config=$1 out=$2
	shift 2
	TRACER_PID=
	case $config in
	none | none-again) return 0 ;;
	empty-hooks) "$HOOKS" 2>"$out.err" & ;;
	tcpfate-text) "$TCPFATE" "$@" >"$out" 2>"$out.err" & ;;
	tcpfate-json) "$TCPFATE" --json "$@" >"$out" 2>"$out.err" & ;;
	baseline-json) "$BENCH_BASELINE" --json "$@" >"$out" 2>"$out.err" & ;;
	tcpfate-record) "$TCPFATE" -q --record "$out.db" "$@" >"$out" 2>"$out.err" & ;;
	tcpfate-record-full) "$TCPFATE" -q --record "$out.db" --record-ok full "$@" >"$out" 2>"$out.err" & ;;
	tcplife) "$TCPLIFE" >"$out" 2>"$out.err" & ;;
	tcpstates) "$TCPSTATES" >"$out" 2>"$out.err" & ;;
	esac
	TRACER_PID=$!
	case $config in
	tcpfate* | baseline-json | empty-hooks)
		until grep -qE '^(tcpfate|hooks): ready' "$out.err" 2>/dev/null; do
			kill -0 "$TRACER_PID" 2>/dev/null || { echo "bench: $config failed: $(cat "$out.err")" >&2; exit 1; }
			sleep 0.05
		done ;;
	*)
		# libbpf-tools say nothing once attached: wait for the link and the
		# event buffer's epoll descriptor (opened after attaching).
		local tries=0
		until ls -l "/proc/$TRACER_PID/fd" 2>/dev/null | grep -q 'anon_inode:bpf_link' &&
			ls -l "/proc/$TRACER_PID/fd" 2>/dev/null | grep -q 'anon_inode:\[eventpoll\]'; do
			kill -0 "$TRACER_PID" 2>/dev/null && [ $((tries += 1)) -lt 200 ] ||
				{ echo "bench: $config did not attach: $(cat "$out.err")" >&2; exit 1; }
			sleep 0.05
		done
		sleep 0.2 ;;
	esac
}

# Closed connections of the churn (ports PORT..PORT+WORKERS-1) the tracer reported, and losses.
count_closes() { # CONFIG OUTFILE
	local config=$1 out=$2 hi=$((PORT + WORKERS - 1))
	local where="(sport BETWEEN $PORT AND $hi) OR (dport BETWEEN $PORT AND $hi)"
	case $config in
	tcpfate-json | baseline-json)
		grep -cE "\"(sport|dport)\":(1800[0-9])," "$out" ;;
	tcpfate-text)
		awk -v lo=$PORT -v hi=$hi '{ n = split($5, a, ":"); m = split($6, b, ":");
			if ((a[n] >= lo && a[n] <= hi) || (b[m] >= lo && b[m] <= hi)) c++ } END { print c + 0 }' "$out" ;;
	tcpfate-record | tcpfate-record-full) # rows, and the ok connections rollups count
		sqlite3 "$out.db" "SELECT (SELECT count(*) FROM connections WHERE $where) +
			(SELECT coalesce(sum(connections), 0) FROM ok_rollups WHERE $where)" ;;
	tcplife)
		awk -v lo=$PORT -v hi=$hi '($4 >= lo && $4 <= hi) || ($6 >= lo && $6 <= hi) { c++ } END { print c + 0 }' "$out" ;;
	tcpstates)
		awk -v lo=$PORT -v hi=$hi '$10 == "CLOSE" && (($5 >= lo && $5 <= hi) || ($7 >= lo && $7 <= hi)) { c++ }
			END { print c + 0 }' "$out" ;;
	*) echo 0 ;;
	esac
}

lost_events() { # CONFIG OUTFILE
	case $1 in
	tcpfate-json | baseline-json) tail -n 1 "$2" | jq -r 'select(.event == "summary") | .events_lost + .untracked' ;; # the last line
	tcpfate-text) sed -n 's/.*events lost \([0-9]*\).*untracked \([0-9]*\).*/\1 \2/p' "$2.err" | awk '{ print $1 + $2 }' ;;
	tcpfate-record | tcpfate-record-full) # the kernel side's losses, plus rows the recorder could not keep up with
		{ sed -n 's/.*events lost \([0-9]*\).*untracked \([0-9]*\).*/\1 \2/p' "$2.err"
		  sed -n 's/.*recording dropped \([0-9]*\).*/\1/p' "$2.err"; } | awk '{ for (i = 1; i <= NF; i++) s += $i } END { print s + 0 }' ;;
	tcplife | tcpstates) grep -oiE 'lost [0-9]+' "$2.err" | awk '{ s += $2 } END { print s + 0 }' ;;
	*) echo 0 ;;
	esac
}

# hold_open N: N idle connections open (0: none) until the next call.
hold_open() {
	if [ -n "$HOLDER_PID" ]; then
		kill "$HOLDER_PID"
		wait "$HOLDER_PID" 2>/dev/null
		HOLDER_PID=
		sleep 1 # let the held connections' closes pass before the next run
	fi
	[ "$1" -gt 0 ] || return 0
	"$CHURN" --hold "$1" --hold-only --port $((PORT + 500)) >"$WORK/holder" 2>&1 &
	HOLDER_PID=$!
	until grep -q holding "$WORK/holder" 2>/dev/null; do
		kill -0 "$HOLDER_PID" 2>/dev/null || { echo "bench: cannot hold $1 connections: $(cat "$WORK/holder")" >&2; exit 1; }
		sleep 0.1
	done
}

SEQ=0
# run_one MODE CONFIG REP HOLD: one churn run under one configuration; appends a result row.
# HOLD: how many idle connections hold_open keeps open meanwhile (for the table).
run_one() {
	local mode=$1 config=$2 rep=$3 hold=$4 out=$WORK/$1-$2-$3-$4.out
	local line cpu0 cpu1 rss=0 closes=0 lost=0 conns
	start_tracer "$config" "$out"
	cpu0=0
	[ -n "$TRACER_PID" ] && cpu0=$(cpu_us "$TRACER_PID")
	line=$("$CHURN" --mode "$mode" --workers "$WORKERS" --duration "${RUN_SECS:-$SECS}" --port $PORT) || {
		echo "bench: churn failed: $line" >&2
		exit 1
	}
	if [ -n "$TRACER_PID" ]; then
		sleep 0.5 # let the tracer drain what is queued
		cpu1=$(cpu_us "$TRACER_PID")
		rss=$(peak_rss_kb "$TRACER_PID")
		kill -INT "$TRACER_PID"
		wait "$TRACER_PID" 2>/dev/null
		TRACER_PID=
		closes=$(count_closes "$config" "$out")
		lost=$(lost_events "$config" "$out")
	else
		cpu1=0
	fi
	conns=$(sed -n 's/.*connections=\([0-9]*\).*/\1/p' <<<"$line")
	case $config in none-again | empty-hooks) closes=$((2 * conns)) ;; esac # nothing to miss
	echo "$((SEQ += 1)) $mode $config $rep $hold $(sed -n 's/.*rate=\([0-9]*\) p50_us=\([0-9.]*\) p99_us=\([0-9.]*\).*/\1 \2 \3/p' <<<"$line") $conns $((cpu1 - cpu0)) $rss $closes ${lost:-0}" >>"$WORK/rows"
	rm -f "$out" "$out.err" "$out.db" "$out.db-wal" "$out.db-shm"
}

: >"$WORK/rows"
for mode in cac rr; do
	run_one "$mode" none 0 0
	for rep in $(seq 1 "$REPS"); do
		n=${#CONFIGS[@]}
		for i in $(seq 0 $((n - 1))); do
			config=${CONFIGS[$(((i + rep - 1) % n))]}
			echo "bench: $mode rep $rep/$REPS: $config" >&2
			run_one "$mode" "$config" "$rep" 0
			run_one "$mode" none "$rep" 0
		done
	done
done
# Cost as open connections grow: 1x, 2x, 4x idle connections held during the churn.  Runs
# twice as long: the periodic scan of open connections is a cost per second, not per connection.
RUN_SECS=$((SECS * 2))
for hold in $HOLDS; do
	echo "bench: cac with $hold open connections: tcpfate-json" >&2
	hold_open "$hold"
	run_one cac none 1 "$hold"
	run_one cac tcpfate-json 1 "$hold"
	run_one cac none 1 "$hold"
done
hold_open 0

# The table from the raw rows (bench/pool.sh makes one from several runs' rows).
report_table() { awk -f "$ROOT/bench/report_table.awk" "$WORK/rows"; }

{
	echo "# tcpfate benchmark results"
	echo
	echo "Generated by \`make bench\` ($(date -u +%Y-%m-%d), $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo))."
	echo "Load: \`bench/churn\`, $WORKERS threads on loopback, ${SECS}s per run, $REPS repetitions per configuration."
	[ -n "${BENCH_CONFIGS:-}" ] && echo "Configurations in this run (\`BENCH_CONFIGS\`): ${CONFIGS[*]}."
	[[ " ${CONFIGS[*]} " == *" baseline-json "* ]] &&
		echo "\`baseline-json\` is \`$BENCH_BASELINE\` ($("$BENCH_BASELINE" --version 2>&1 | head -1)), run like \`tcpfate-json\`."
	echo "Each repetition runs every configuration once, in a rotating order, with a run without any tracer"
	echo "before and after each (none A none B none ...): a ratio compares a run with the mean of the two"
	echo "no-tracer runs around it. \`cac\` = connect, accept, close; \`rr\` = connect, 64-byte request and"
	echo "response, close. Every connection has two ends, so a tracer should report two closes per connection:"
	echo "*closes missing* counts the ones it did not report."
	echo
	echo "Tracers: tcpfate with text output to a file, with \`--json\` to a file, with \`--record\` to SQLite (ok connections counted"
	echo "per second and service, the default), and with \`--record --record-ok full\` (a row per connection); all hooks, labels,"
	echo "live-warning scans every second); \`tcplife\` and \`tcpstates\` from Debian's libbpf-tools ($(dpkg-query -W -f='${Version}' libbpf-tools 2>/dev/null)),"
	echo "output to a file. CPU is the time the tracer process's threads ran during the churn and the half second after (draining), as the scheduler counts it (schedstat). \`none-again\` is a"
	echo "run without any tracer, compared like one: its spread is how far this machine's noise alone moves a ratio."
	echo "\`empty-hooks\` is \`bench/hooks\`: programs that do nothing, on every tracepoint tcpfate uses: what the"
	echo "hooks alone cost, the bound for any tracer on them. Runs with idle connections held open last"
	echo "$((SECS * 2))s (the scan of open connections is a cost per second, spread over more connections)."
	echo
	report_table
	for row in "${NOT_RUN[@]}"; do
		echo "| cac, rr | 0 | ${row%%|*} | not run: ${row#*|} | | | | | | |"
	done
	echo
	echo "Raw rows (seq mode config rep open-conns rate p50_us p99_us connections cpu_us peak_rss_kb closes lost):"
	echo
	echo '```'
	cat "$WORK/rows"
	echo '```'
} >"$RESULTS"
cat "$RESULTS"
