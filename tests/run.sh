#!/usr/bin/env bash
# Runs every test and ends with "N passed, N failed".
#   tests/run.sh             unit tests, scenario tests (root), then the kernel matrix
#   tests/run.sh --unit      unit tests only
#   tests/run.sh --kernels   the kernel matrix only
# The kernel matrix runs every suite again inside each of Debian's kernels named in TEST_KERNELS
# (default: none), booted under qemu by tests/kernels/guest.sh; below tcpfate's floor (5.10) the
# test is that tcpfate refuses to start.
# Each test prints TAP-style lines ("ok - ..." / "not ok - ..."); this counts them.  TEST_ECHO_OK=1
# also prints the ok lines (the matrix counts a guest's lines that way).
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
	local name=$1 log rc start=$SECONDS
	shift
	log="$LOG_DIR/$(basename "$name").log"
	echo "# $name"
	"$@" >"$log" 2>&1
	rc=$?
	local p f
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	# Each failure with the '#' diagnostics printed right after it (what the test saw).
	awk -v echo_ok="${TEST_ECHO_OK:-}" '/^not ok / { shown = 1; print; next }
		shown && /^#/ { print; next }
		{ shown = 0 }
		echo_ok != "" && /^ok / { print }' "$log"
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
	echo "#   $p passed, $f failed ($((SECONDS - start)) s)"
	passed=$((passed + p))
	failed=$((failed + f))
}

# One kernel of the matrix: every suite inside it, or, below the floor, the refusal.
kernel_suites() { # SERIES
	if [ "$1" == 5.10 ]; then
		bash tests/kernels/guest.sh "$1" ./tests/kernels/floor.sh
	else
		bash tests/kernels/guest.sh "$1" env TEST_ECHO_OK=1 TEST_BIN_DIR="$BIN_DIR" \
			TEST_TIME_SCALE="${TEST_TIME_SCALE:-8}" ./tests/run.sh
	fi
}

guest_output() { # SERIES: what its guest printed, and its exit status
	cat "$LOG_DIR/guest-$1.out"
	return "$(cut -d' ' -f1 "$LOG_DIR/guest-$1.status")"
}

[ "${1:-}" == --kernels ] && set -- --kernels-only
# Every tests/unit/test_*.c has its binary: a missing one is a failure, never a silent skip.
for src in tests/unit/test_*.c; do
	[ "${1:-}" == --kernels-only ] && break
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
	[ "${1:-}" == --kernels-only ] && break
	tally "unit/$(basename "$t" .sh)" bash "$t"
done

if [ "${1:-}" != "--unit" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "# scenario tests and the kernel matrix skipped: they need root (sudo make test)"
		skipped=$((skipped + 1))
	else
		[ "${1:-}" == --kernels-only ] || for s in tests/scenarios/*.sh; do
			tally "scenario/$(basename "$s" .sh)" bash "$s"
		done
		# Side by side (each guest uses one host core), then counted in order.
		for k in ${TEST_KERNELS:-}; do
			(
				start=$SECONDS
				kernel_suites "$k" >"$LOG_DIR/guest-$k.out" 2>&1
				echo "$? $((SECONDS - start))" >"$LOG_DIR/guest-$k.status"
			) &
		done
		wait
		for k in ${TEST_KERNELS:-}; do
			tally "kernel/$k" guest_output "$k"
			echo "#   (kernel $k: $(cut -d' ' -f2 "$LOG_DIR/guest-$k.status") s in its guest)"
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
