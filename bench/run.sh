#!/usr/bin/env bash
# make bench: what a tracer costs a loopback connection-churn load, measured
# side by side in one run.  For each churn mode, every repetition runs each
# configuration once, in a rotating order (A/B/C.../B/C/.../A), and every
# ratio compares a configuration with the no-tracer run of the same
# repetition.  Writes bench/RESULTS.md.
#
#   BENCH_SECONDS (default 4)  length of one churn run
#   BENCH_REPS (default 5)     repetitions
#   BENCH_WORKERS (default 2)  churn threads (the machine has 2 cores)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CHURN=$ROOT/build/bench/churn
TCPFATE=$ROOT/tcpfate
SECS=${BENCH_SECONDS:-4}
REPS=${BENCH_REPS:-5}
WORKERS=${BENCH_WORKERS:-2}
RESULTS=${BENCH_RESULTS:-$ROOT/bench/RESULTS.md}
WORK=$(mktemp -d /tmp/tcpfate-bench.XXXXXX)
PORT=18000
# none-again: a second run with no tracer, compared like a tracer: the noise floor of a ratio.
CONFIGS=(none none-again tcpfate-text tcpfate-json tcpfate-record tcplife tcpstates)
TICKS=$(getconf CLK_TCK)
TRACER_PID=

cleanup() {
	[ -n "$TRACER_PID" ] && kill -INT "$TRACER_PID" 2>/dev/null && wait "$TRACER_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

for tool in tcplife tcpstates; do
	command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || {
		echo "bench: $tool not found (Debian package libbpf-tools: make bench-deps)" >&2
		exit 1
	}
done
TCPLIFE=$(command -v tcplife || echo /usr/sbin/tcplife)
TCPSTATES=$(command -v tcpstates || echo /usr/sbin/tcpstates)

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
peak_rss_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# start_tracer CONFIG OUTFILE [tcpfate options]: sets TRACER_PID; returns when attached.
start_tracer() {
	local config=$1 out=$2
	shift 2
	TRACER_PID=
	case $config in
	none | none-again) return 0 ;;
	tcpfate-text) "$TCPFATE" "$@" >"$out" 2>"$out.err" & ;;
	tcpfate-json) "$TCPFATE" --json "$@" >"$out" 2>"$out.err" & ;;
	tcpfate-record) "$TCPFATE" -q --record "$out.db" "$@" >"$out" 2>"$out.err" & ;;
	tcplife) "$TCPLIFE" >"$out" 2>"$out.err" & ;;
	tcpstates) "$TCPSTATES" >"$out" 2>"$out.err" & ;;
	esac
	TRACER_PID=$!
	if [[ $config == tcpfate* ]]; then
		until grep -q '^tcpfate: ready' "$out.err" 2>/dev/null; do
			kill -0 "$TRACER_PID" 2>/dev/null || { echo "bench: tcpfate failed: $(cat "$out.err")" >&2; exit 1; }
			sleep 0.05
		done
	else
		sleep 2 # libbpf-tools print their header before attaching is confirmed; give them time
	fi
}

# Closed connections of the churn (ports PORT..PORT+WORKERS-1) the tracer reported, and losses.
count_closes() { # CONFIG OUTFILE
	local config=$1 out=$2 hi=$((PORT + WORKERS - 1))
	case $config in
	tcpfate-json)
		grep -cE "\"(sport|dport)\":(1800[0-9])," "$out" ;;
	tcpfate-text)
		awk -v lo=$PORT -v hi=$hi '{ n = split($5, a, ":"); m = split($6, b, ":");
			if ((a[n] >= lo && a[n] <= hi) || (b[m] >= lo && b[m] <= hi)) c++ } END { print c + 0 }' "$out" ;;
	tcpfate-record)
		sqlite3 "$out.db" "SELECT count(*) FROM connections WHERE (sport BETWEEN $PORT AND $hi) OR (dport BETWEEN $PORT AND $hi)" ;;
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
	tcpfate-json) tail -n 1 "$2" | jq -r 'select(.event == "summary") | .events_lost + .untracked' ;; # the last line
	tcpfate-text) sed -n 's/.*events lost \([0-9]*\).*untracked \([0-9]*\).*/\1 \2/p' "$2.err" | awk '{ print $1 + $2 }' ;;
	tcpfate-record) # the kernel side's losses, plus rows the recorder could not keep up with
		{ sed -n 's/.*events lost \([0-9]*\).*untracked \([0-9]*\).*/\1 \2/p' "$2.err"
		  sed -n 's/.*recording dropped \([0-9]*\).*/\1/p' "$2.err"; } | awk '{ for (i = 1; i <= NF; i++) s += $i } END { print s + 0 }' ;;
	tcplife | tcpstates) grep -oiE 'lost [0-9]+' "$2.err" | awk '{ s += $2 } END { print s + 0 }' ;;
	*) echo 0 ;;
	esac
}

# run_one MODE CONFIG REP [HOLD]: one churn run under one configuration; appends a result row.
# HOLD idle connections are opened before the tracer starts and closed after it stops.
run_one() {
	local mode=$1 config=$2 rep=$3 hold=${4:-0} out=$WORK/$1-$2-$3-$4.out
	local line cpu0 cpu1 rss=0 closes=0 lost=0 conns holder=
	if [ "$hold" -gt 0 ]; then
		"$CHURN" --hold "$hold" --hold-only --port $((PORT + 500)) >"$WORK/holder" 2>&1 &
		holder=$!
		until grep -q holding "$WORK/holder" 2>/dev/null; do
			kill -0 "$holder" 2>/dev/null || { echo "bench: cannot hold $hold connections: $(cat "$WORK/holder")" >&2; exit 1; }
			sleep 0.1
		done
	fi
	start_tracer "$config" "$out"
	cpu0=0
	[ -n "$TRACER_PID" ] && cpu0=$(cpu_ticks "$TRACER_PID")
	line=$("$CHURN" --mode "$mode" --workers "$WORKERS" --duration "$SECS" --port $PORT) || {
		echo "bench: churn failed: $line" >&2
		exit 1
	}
	if [ -n "$TRACER_PID" ]; then
		sleep 0.5 # let the tracer drain what is queued
		cpu1=$(cpu_ticks "$TRACER_PID")
		rss=$(peak_rss_kb "$TRACER_PID")
		kill -INT "$TRACER_PID"
		wait "$TRACER_PID" 2>/dev/null
		TRACER_PID=
		closes=$(count_closes "$config" "$out")
		lost=$(lost_events "$config" "$out")
	else
		cpu1=0
	fi
	if [ -n "$holder" ]; then
		kill "$holder"
		wait "$holder" 2>/dev/null
		sleep 1 # let the held connections' closes pass before the next run
	fi
	conns=$(sed -n 's/.*connections=\([0-9]*\).*/\1/p' <<<"$line")
	[ "$config" = none-again ] && closes=$((2 * conns)) # nothing to miss
	echo "$mode $config $rep $hold $(sed -n 's/.*rate=\([0-9]*\) p50_us=\([0-9.]*\) p99_us=\([0-9.]*\).*/\1 \2 \3/p' <<<"$line") $conns $((cpu1 - cpu0)) $rss $closes ${lost:-0}" >>"$WORK/rows"
	rm -f "$out" "$out.err" "$out.db" "$out.db-wal" "$out.db-shm"
}

: >"$WORK/rows"
for mode in cac rr; do
	for rep in $(seq 1 "$REPS"); do
		n=${#CONFIGS[@]}
		for i in $(seq 0 $((n - 1))); do
			config=${CONFIGS[$(((i + rep - 1) % n))]}
			echo "bench: $mode rep $rep/$REPS: $config" >&2
			run_one "$mode" "$config" "$rep" 0
		done
	done
done
# Cost as open connections grow: 1x, 2x, 4x idle connections held during the churn.
for hold in ${BENCH_HOLDS:-25000 50000 100000}; do
	echo "bench: cac with $hold open connections: tcpfate-json" >&2
	run_one cac none 1 "$hold"
	run_one cac tcpfate-json 1 "$hold"
done

# rows: mode config rep hold rate p50 p99 conns cpu_ticks rss_kb closes lost
python_free_report() {
	awk -v ticks="$TICKS" -v secs="$SECS" -v reps="$REPS" -v workers="$WORKERS" '
	function median(arr, n,    i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (arr[j] < arr[i]) { t = arr[i]; arr[i] = arr[j]; arr[j] = t }
		return n % 2 ? arr[(n + 1) / 2] : (arr[n / 2] + arr[n / 2 + 1]) / 2
	}
	{
		mode = $1; cfg = $2; rep = $3; hold = $4
		key = mode SUBSEP rep SUBSEP hold
		if (cfg == "none") { base_rate[key] = $5; base_p50[key] = $6; base_p99[key] = $7 }
		row[NR] = $0
	}
	END {
		for (r = 1; r <= NR; r++) {
			split(row[r], f, " ")
			mode = f[1]; cfg = f[2]; rep = f[3]; hold = f[4]
			key = mode SUBSEP rep SUBSEP hold
			if (cfg == "none" || !(key in base_rate)) continue
			g = mode SUBSEP cfg SUBSEP hold
			k = ++cnt[g]
			thr[g, k] = f[5] / base_rate[key]
			l50[g, k] = f[6] / base_p50[key]
			l99[g, k] = f[7] / base_p99[key]
			cpum[g, k] = (f[9] / ticks) / (f[8] / 1e6)
			if (f[10] > rss[g]) rss[g] = f[10]
			miss[g] += 2 * f[8] - f[11]
			lost[g] += f[12]
			conns[g] += f[8]
			rate[g, k] = f[5]
			groups[g] = 1
		}
		print "| mode | open conns | tracer | throughput vs none: median (min-max) | p50 latency ratio | p99 latency ratio | tracer CPU s / 1M conns | tracer peak RSS MB | events lost | closes missing / expected |"
		print "|---|---|---|---|---|---|---|---|---|---|"
		for (g in groups) order[++ng] = g
		for (i = 1; i <= ng; i++) for (j = i + 1; j <= ng; j++) if (order[j] < order[i]) { t = order[i]; order[i] = order[j]; order[j] = t }
		for (i = 1; i <= ng; i++) {
			g = order[i]; split(g, p, SUBSEP); n = cnt[g]
			mn = 1e9; mx = 0
			for (k = 1; k <= n; k++) { a[k] = thr[g, k]; if (a[k] < mn) mn = a[k]; if (a[k] > mx) mx = a[k] }
			mt = median(a, n)
			for (k = 1; k <= n; k++) a[k] = l50[g, k]; m50 = median(a, n)
			for (k = 1; k <= n; k++) a[k] = l99[g, k]; m99 = median(a, n)
			for (k = 1; k <= n; k++) a[k] = cpum[g, k]; mc = median(a, n)
			printf "| %s | %s | %s | %.2f (%.2f-%.2f) | %.2f | %.2f | %.2f | %.1f | %d | %d / %d |\n",
				p[1], p[3], p[2], mt, mn, mx, m50, m99, mc, rss[g] / 1024, lost[g], miss[g], 2 * conns[g]
		}
	}' "$WORK/rows"
}

{
	echo "# tcpfate benchmark results"
	echo
	echo "Generated by \`make bench\` ($(date -u +%Y-%m-%d), $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo))."
	echo "Load: \`bench/churn\`, $WORKERS threads on loopback, ${SECS}s per run, $REPS repetitions per configuration,"
	echo "interleaved (each repetition runs every configuration once, in a rotating order); ratios compare"
	echo "with the no-tracer run of the same repetition. \`cac\` = connect, accept, close; \`rr\` = connect,"
	echo "64-byte request and response, close. Every connection has two ends, so a tracer should report"
	echo "two closes per connection: *closes missing* counts the ones it did not report."
	echo
	echo "Tracers: tcpfate with text output to a file, with \`--json\` to a file, and \`--record\` to SQLite (all hooks, labels,"
	echo "live-warning scans every second); \`tcplife\` and \`tcpstates\` from Debian's libbpf-tools ($(dpkg-query -W -f='${Version}' libbpf-tools 2>/dev/null)),"
	echo "output to a file. CPU is the tracer process's user+system time during the churn. \`none-again\` is a second"
	echo "run without any tracer, compared like one: its spread is how far this machine's noise alone moves a ratio."
	echo
	python_free_report
	echo
	echo "Raw rows (mode config rep open-conns rate p50_us p99_us connections cpu_ticks peak_rss_kb closes lost):"
	echo
	echo '```'
	cat "$WORK/rows"
	echo '```'
} >"$RESULTS"
cat "$RESULTS"
