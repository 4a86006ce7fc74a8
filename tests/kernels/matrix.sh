#!/usr/bin/env bash
# The kernel matrix: every test suite (tests/run.sh) inside each named Debian kernel, booted by
# tests/kernels/guest.sh.  Ends with one "N passed, N failed" over all kernels.
#
#   tests/kernels/matrix.sh [SERIES...]     default: 5.10 6.1 6.12  (5.10: only that tcpfate refuses it)
set -u
cd "$(dirname "$0")/../.."
passed=0
failed=0
for series in "${@:-5.10 6.1 6.12}"; do
	for s in $series; do
		log=build/test-logs/kernel-$s.log
		mkdir -p build/test-logs
		start=$SECONDS
		# Below the floor, the test is that tcpfate refuses to start, and says why.
		if [ "$s" == 5.10 ]; then
			bash tests/kernels/guest.sh "$s" ./tests/kernels/floor.sh >"$log" 2>&1
		else
			bash tests/kernels/guest.sh "$s" env TEST_BIN_DIR="${TEST_BIN_DIR:-build/tests}" \
				TEST_TIME_SCALE="${TEST_TIME_SCALE:-8}" ./tests/run.sh >"$log" 2>&1
		fi
		rc=$?
		echo "# kernel $s ($((SECONDS - start)) s, log $log)"
		grep -E '^not ok|^#   [0-9]+ passed' "$log" | sed "s/^/#   [$s] /"
		line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
		if [ -z "$line" ]; then
			echo "not ok - kernel $s: the suites did not finish (exit $rc; see $log)"
			failed=$((failed + 1))
			continue
		fi
		passed=$((passed + $(cut -d' ' -f1 <<<"$line")))
		failed=$((failed + $(cut -d' ' -f3 <<<"$line")))
	done
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
