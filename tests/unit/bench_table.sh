#!/usr/bin/env bash
# The benchmark's table from raw rows (bench/report_table.awk) and pooled runs (bench/pool.sh):
# ratios against the no-tracer runs around each run, medians, and a base never taken from
# another run's rows.  No root, no load: rows written here.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d /tmp/tcpfate-benchtable.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# shellcheck source=tests/tap.sh
. "$ROOT/tests/tap.sh"

# results FILE ROWS...: a RESULTS.md as make bench writes it (a header, then the raw rows).
results() {
	local f=$1
	shift
	{ echo "# tcpfate benchmark results"; echo; echo "Raw rows (seq mode ...):"; echo; echo '```'
	  printf '%s\n' "$@"; echo '```'; } >"$f"
}
# row SEQ MODE CONFIG RATE [CONNS CPU_US CLOSES LOST]
row() { echo "$1 $2 $3 1 0 $4 30.0 60.0 ${5:-1000} ${6:-0} $([ -n "${7:-}" ] && echo 20000 || echo 0) ${7:-0} ${8:-0}"; }
# cell TABLE MODE CONFIG COLUMN: a column of the table's row for MODE and CONFIG (1 = mode).
cell() { awk -F' *\\| *' -v m="$2" -v c="$3" -v k="$4" '$2 == m && $4 == c { print $(k + 1) }' <<<"$1"; }

# Three runs of one tracer between no-tracer runs: ratios 0.9, 0.8 and 1.0 (100 / mean(90, 110)).
results "$WORK/a.md" "$(row 1 cac none 100)" "$(row 2 cac tcpfate-json 90 1000 1500 2000 0)" \
	"$(row 3 cac none 100)" "$(row 4 cac tcpfate-json 80 1000 1000 1990 3)" "$(row 5 cac none 100)" \
	"$(row 6 cac none 90)" "$(row 7 cac tcpfate-json 100 1000 2000 2000 0)" "$(row 8 cac none 110)"
table=$("$ROOT/bench/pool.sh" "$WORK/a.md")
check "table: throughput median (min-max) of the ratios to the runs around each" \
	"$(cell "$table" cac tcpfate-json 4)" "0.90 (0.80-1.00)"
check "table: tracer CPU per million connections is the median of the runs" "$(cell "$table" cac tcpfate-json 7)" "1.50"
check "table: events lost and closes missing add up over the runs" \
	"$(cell "$table" cac tcpfate-json 9) $(cell "$table" cac tcpfate-json 10)" "3 10 / 6000"
check "table: what make bench writes is what pool.sh makes of one run" \
	"$(awk '/^Raw rows/ { r = 1 } r && /^```/ { f++; next } r && f == 1' "$WORK/a.md" | awk -f "$ROOT/bench/report_table.awk")" \
	"$(tail -n +3 <<<"$table")"

# Two runs pooled: the first ends without a no-tracer run after its last tracer run, so only
# a base taken across the boundary would use the second run's (twice as fast) rows.
results "$WORK/b.md" "$(row 1 cac none 100)" "$(row 2 cac tcpfate-text 90)"
results "$WORK/c.md" "$(row 1 cac none 200)" "$(row 2 cac tcpfate-text 170)" "$(row 3 cac none 200)"
table=$("$ROOT/bench/pool.sh" "$WORK/b.md" "$WORK/c.md")
check "pool: each run compared with its own no-tracer runs (0.90 and 0.85)" \
	"$(cell "$table" cac tcpfate-text 4)" "0.88 (0.85-0.90)"
"$ROOT/bench/pool.sh" "$WORK/b.md" "$ROOT/README.md" >/dev/null 2>"$WORK/err"
check "pool: a file that is not a bench result is refused, with its name" \
	"$? $(cat "$WORK/err")" "1 bench/pool.sh: no raw rows in $ROOT/README.md (not written by make bench?)"
"$ROOT/bench/pool.sh" >/dev/null 2>&1
check "pool: no file is a usage error" "$?" 2
