#!/usr/bin/env bash
# bench/pool.sh RESULTS.md...: one table from the raw rows of several `make bench` runs.
# On a noisy machine one run's medians of six move by a few hundredths; the rows of a few
# runs together give medians of more runs.  Each run's ratios still compare it with its own
# no-tracer runs: the search for a base stops at the line put between two files.
set -u
[ $# -gt 0 ] || { echo "usage: bench/pool.sh RESULTS.md..." >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
rows=$(mktemp /tmp/tcpfate-pool.XXXXXX)
trap 'rm -f "$rows"' EXIT
for f in "$@"; do
	[ -r "$f" ] || { echo "bench/pool.sh: cannot read $f" >&2; exit 1; }
	# The raw rows are the fenced block after "Raw rows".
	n=$(awk '/^Raw rows/ { raw = 1 } raw && /^```/ { fence++; next } raw && fence == 1 { print }' "$f" | tee -a "$rows" | wc -l)
	[ "$n" -gt 0 ] || { echo "bench/pool.sh: no raw rows in $f (not written by make bench?)" >&2; exit 1; }
	echo "-- end of $f" >>"$rows"
done
echo "Pooled from $# runs of \`make bench\`: $*"
echo
awk -f "$ROOT/bench/report_table.awk" "$rows"
