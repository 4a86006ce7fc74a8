# shellcheck shell=bash
# TAP-style checks every shell test shares: each prints "ok - ..." or "not ok - ...",
# the lines tests/run.sh counts.  Sourced by tests/lib.sh and by tests/unit/*.sh.

PASSED=0
FAILED=0
ok() { echo "ok - $*"; PASSED=$((PASSED + 1)); }
not_ok() { echo "not ok - $*"; FAILED=$((FAILED + 1)); }

# check NAME GOT WANT
check() {
	if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1: got '$2', want '$3'"; fi
}

# check_cmp NAME GOT OP WANT   (numeric: -ge, -gt, -le, -lt, -eq)
check_cmp() {
	if [[ "$2" =~ ^-?[0-9]+(\.[0-9]+)?$ ]] && awk -v g="$2" -v w="$4" -v op="$3" 'BEGIN {
		if (op == "-ge") exit !(g >= w); if (op == "-gt") exit !(g > w);
		if (op == "-le") exit !(g <= w); if (op == "-lt") exit !(g < w); exit !(g == w) }'; then
		ok "$1"
	else
		not_ok "$1: got '$2', want $3 $4"
	fi
}
