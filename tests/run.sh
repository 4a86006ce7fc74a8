#!/usr/bin/env bash
# Runs every test and ends with "N passed, N failed".
#   tests/run.sh           unit tests, then scenario tests (root)
#   tests/run.sh --unit    unit tests only
# Each test prints TAP-style lines ("ok - ..." / "not ok - ..."); this counts them.
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
skipped=0
LOG_DIR=build/test-logs
mkdir -p "$LOG_DIR"
BIN_DIR=${TEST_BIN_DIR:-build/tests}
# Sanitized builds write their reports here; each one is a failure.
if [ "${SANITIZE:-}" = 1 ]; then
	SAN_DIR=$(mktemp -d /tmp/tcpfate-san.XXXXXX)
	export ASAN_OPTIONS="log_path=$SAN_DIR/asan:detect_leaks=1:halt_on_error=1"
	export UBSAN_OPTIONS="log_path=$SAN_DIR/ubsan:print_stacktrace=1:halt_on_error=1"
fi

tally() { # NAME COMMAND...
	local name=$1 log rc
	shift
	log="$LOG_DIR/$(basename "$name").log"
	echo "# $name"
	"$@" >"$log" 2>&1
	rc=$?
	local p f
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	grep '^not ok ' "$log"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc (see $log)"
		tail -5 "$log" | sed 's/^/#   /'
		f=1
	elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		# A suite that checked nothing proves nothing: it stopped early or lost its checks.
		echo "not ok - $name ran no test (see $log)"
		tail -5 "$log" | sed 's/^/#   /'
		f=1
	fi
	echo "#   $p passed, $f failed"
	passed=$((passed + p))
	failed=$((failed + f))
}

# Every tests/unit/test_*.c has its binary: a missing one is a failure, never a silent skip.
for src in tests/unit/test_*.c; do
	t="$BIN_DIR/$(basename "$src" .c)"
	if [ ! -x "$t" ]; then
		echo "# unit/$(basename "$t")"
		echo "not ok - unit/$(basename "$t") was not built ($t missing: make unit)"
		failed=$((failed + 1))
		continue
	fi
	tally "unit/$(basename "$t")" "$t"
done
# The pure parts written in shell and awk (the benchmark's table): no root either.
for t in tests/unit/*.sh; do
	tally "unit/$(basename "$t" .sh)" bash "$t"
done

if [ "${1:-}" != "--unit" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "# scenario tests skipped: they need root (sudo make test)"
		skipped=$((skipped + 1))
	else
		for s in tests/scenarios/*.sh; do
			tally "scenario/$(basename "$s" .sh)" bash "$s"
		done
	fi
fi

if [ -n "${SAN_DIR:-}" ]; then
	echo "# sanitizer reports"
	for r in "$SAN_DIR"/*; do
		[ -e "$r" ] || continue
		echo "not ok - sanitizer report $(basename "$r"): $(grep -m1 -E 'ERROR|runtime error' "$r")"
		failed=$((failed + 1))
	done
	rm -rf "$SAN_DIR"
fi

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
