#!/usr/bin/env bash
# Fleet monitoring: the Prometheus endpoint checked by promtool and scraped by a
# real Prometheus server whose counts must equal the failures made here; the
# cardinality cap under a port scan; the installed files (systemd unit, man
# page, rules); and tcpfate running as an unprivileged user with exactly the
# unit's capabilities.
set -u
. "$(dirname "$0")/../lib.sh"

PROM_PID=
metrics_cleanup() {
	[ -n "$PROM_PID" ] && kill "$PROM_PID" 2>/dev/null && wait "$PROM_PID" 2>/dev/null
	cleanup
}
trap metrics_cleanup EXIT

CHURN=$ROOT/build/bench/churn
MPORT=19187
PPORT=19090
OUT=$WORK/tcpfate.json
UNIT_CAPS=+bpf,+perfmon,+syslog # the unit's AmbientCapabilities

# --- installed files -----------------------------------------------------------
make -s -C "$ROOT" install PREFIX="$WORK/prefix" >/dev/null 2>"$WORK/install.err"
check "make install: exit status" "$?" 0
for f in sbin/tcpfate share/man/man8/tcpfate.8 lib/systemd/system/tcpfate.service share/tcpfate/tcpfate-rules.yml; do
	[ -f "$WORK/prefix/$f" ] && ok "make install: $f" || not_ok "make install: $f missing"
done
MANPATH=$WORK/prefix/share/man systemd-analyze verify "$WORK/prefix/lib/systemd/system/tcpfate.service" \
	>"$WORK/verify.out" 2>&1
check "systemd-analyze verify tcpfate.service" "$? $(cat "$WORK/verify.out")" "0 "
grep -q "^User=tcpfate" "$WORK/prefix/lib/systemd/system/tcpfate.service" && ok "unit: runs as user tcpfate" ||
	not_ok "unit: runs as user tcpfate"
check "unit: capabilities" "$(sed -n 's/^AmbientCapabilities=//p' "$WORK/prefix/lib/systemd/system/tcpfate.service")" \
	"CAP_BPF CAP_PERFMON CAP_SYSLOG"
MANWIDTH=100 man --warnings -l "$WORK/prefix/share/man/man8/tcpfate.8" >"$WORK/man.txt" 2>"$WORK/man.err"
check "man -l tcpfate.8 renders without warnings" "$? $(cat "$WORK/man.err")" "0 "
missing=""
for opt in $("$TCPFATE" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
	grep -qF -- "$opt" "$WORK/man.txt" || missing="$missing $opt"
done
check "man page documents every option of --help" "$missing" ""
grep -q "EXIT STATUS" "$WORK/man.txt" && ok "man page: exit status" || not_ok "man page: exit status"
promtool check rules "$ROOT/docs/tcpfate-rules.yml" >"$WORK/rules.out" 2>&1
check "promtool check rules docs/tcpfate-rules.yml" "$?" 0

# --- failures to count -------------------------------------------------------------
ns_setup || { not_ok "network namespaces could be set up"; exit 0; }
for ns in "$NS_A" "$NS_B"; do
	ns_sysctl "$ns" net.ipv4.tcp_syn_retries 1
	ns_sysctl "$ns" net.ipv4.tcp_syn_linear_timeouts 0
done

start_tcpfate "$OUT" --metrics "127.0.0.1:$MPORT" --metrics-top 5 || exit 0

cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: tcpfate
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" >"$WORK/prometheus.log" 2>&1 &
PROM_PID=$!

make_failures refused 3 none 23000
make_failures hangup 2 no-reply 23100
make_failures reset 2 linger0 23200
make_failures syn 1 none 23300 "tcp dport 23301 drop"
sleep 0.5

curl -s "http://127.0.0.1:$MPORT/metrics" >"$WORK/scrape.txt"
promtool check metrics <"$WORK/scrape.txt" >"$WORK/promtool.out" 2>&1
check "promtool check metrics on a scrape taken during the scenarios" "$? $(cat "$WORK/promtool.out")" "0 "
check "scrape: build info" "$(grep -c '^tcpfate_build_info{version=' "$WORK/scrape.txt")" 1

# Prometheus must have scraped after the last failure: wait for it, then ask it.
query() { curl -s "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1"; }
deadline=$((SECONDS + 20))
until [ "$(query 'sum(tcpfate_connections_closed_total{label="syn-timeout"})' | jq -r '.data.result[0].value[1] // 0')" == 1 ]; do
	[ $SECONDS -ge $deadline ] && break
	sleep 0.5
done
result=$(query 'sum by (label) (tcpfate_connections_closed_total{direction="out", label!="ok"})')
by_label() { jq -r --arg l "$1" '[.data.result[] | select(.metric.label == $l) | .value[1]][0] // "0"' <<<"$result"; }
check "prometheus: refused connections (client side)" "$(by_label refused)" 3
check "prometheus: hang-ups (client side)" "$(by_label hang-up)" 2
check "prometheus: resets (client side)" "$(by_label reset)" 2
check "prometheus: SYN timeouts" "$(by_label syn-timeout)" 1
result=$(query 'sum by (label, cause) (tcpfate_connections_closed_total{direction="in"})')
check "prometheus: the servers' side of the hang-ups" \
	"$(jq -r '[.data.result[] | select(.metric.label == "hang-up" and .metric.cause == "closed-unanswered") | .value[1]][0] // "0"' <<<"$result")" 2
check "prometheus: RSTs sent by reason" \
	"$(query 'tcpfate_resets_sent_total{reason="TCP_STATE"}' | jq -r '.data.result[0].value[1] // "0"')" 2
check "prometheus: SYN retransmits counted" \
	"$(query 'tcpfate_syn_retransmits_total' | jq -r '.data.result[0].value[1] // "0"')" 1

# --- a port scan cannot blow up the series count -----------------------------------
ip netns exec "$NS_A" "$CHURN" --mode refused --count 2000 --workers 8 --spread 2000 --addr $B4 --port 40000 \
	>"$WORK/scan.out" 2>&1
check "port scan: 2000 refused connects" "$(sed -n 's/.*connections=\([0-9]*\).*/\1/p' "$WORK/scan.out")" 2000
sleep 0.5
curl -s "http://127.0.0.1:$MPORT/metrics" >"$WORK/scrape2.txt"
remotes=$(grep -c '^tcpfate_remote_connections_closed_total{' "$WORK/scrape2.txt")
check_cmp "port scan: per-remote series stay within the cap (5 + other, per label)" "$remotes" -le 42
check_cmp "port scan: whole scrape stays small" "$(grep -vc '^#' "$WORK/scrape2.txt")" -le 400
check "port scan: the rest is counted as other" \
	"$(grep -c '^tcpfate_remote_connections_closed_total{remote="other",label="refused"}' "$WORK/scrape2.txt")" 1
promtool check metrics <"$WORK/scrape2.txt" >/dev/null 2>&1
check "promtool check metrics after the scan" "$?" 0
stop_tcpfate

# --- the unit's capabilities are enough, as an unprivileged user -------------------
CAPS_OUT=$WORK/caps.json
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps="$UNIT_CAPS" --ambient-caps="$UNIT_CAPS" \
	"$TCPFATE" --json --duration $((4 * SCALE)) >"$CAPS_OUT" 2>"$CAPS_OUT.err" &
CAPS_PID=$!
until grep -q '^tcpfate: ready' "$CAPS_OUT.err" 2>/dev/null || ! kill -0 $CAPS_PID 2>/dev/null; do sleep 0.05; done
drive capcli "$NS_A" client $B4 23999 connect
wait_line capcli '^done'
wait $CAPS_PID
check "as nobody with the unit's capabilities: ran and stopped cleanly" "$?" 0
# What this kernel lacks is said as root too (the first run above): no more is missing here.
check "as nobody with the unit's capabilities: no hook missing that root has" \
	"$(grep '^tcpfate: warning:' "$CAPS_OUT.err")" "$(grep '^tcpfate: warning:' "$OUT.err")"
expect_record "as nobody with the unit's capabilities: a connection is recorded with its owner" "$CAPS_OUT" \
	".dport == 23999" label=refused pid="$(field capcli pid)"
