#!/usr/bin/env bash
# Run inside a kernel below tcpfate's floor (Debian 11's 5.10): tcpfate must refuse at once with one
# line that names the missing feature and the version that has it, and a non-zero exit.
cd "$(dirname "$0")/../.."
. tests/tap.sh
out=$(./tcpfate --duration 2 -q 2>&1)
check "below the floor: exit status" "$?" 1
check "below the floor: one line" "$(wc -l <<<"$out")" 1
check "below the floor: the line names the missing feature and the floor" \
	"$(grep -c '^tcpfate: error: this kernel (.*) lacks BPF atomic operations (Linux 5.12), which tcpfate needs$' <<<"$out")" 1
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
