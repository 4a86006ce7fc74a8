#!/usr/bin/env bash
# Who, beyond the PID: real processes in cgroup v2 hierarchies named as container runtimes,
# Kubernetes and systemd name theirs, real failures between them, and the identity on both ends
# of each record.  The hierarchies live under one test slice of the host's cgroup2 mount (found
# from /proc/self/mountinfo) and are removed at the end.
set -u
. "$(dirname "$0")/../lib.sh"

CG2=$(awk '$(NF-2) == "cgroup2" && $4 == "/" { print $5; exit }' /proc/self/mountinfo)
[ -n "$CG2" ] || { not_ok "cgroup2 is mounted (none in /proc/self/mountinfo)"; exit 0; }
SLICE=$CG2/tcpfate-test-$$.slice
ID_SRV=$(printf '5e%062d' 1)
ID_CLI=$(printf 'c1%062d' 2)
UID_=4f1d2c3b_aaaa_4bbb_8ccc_0123456789ab
POD_UID=${UID_//_/-}
CG_SRV=$SLICE/docker-$ID_SRV.scope
CG_POD=$SLICE/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod$UID_.slice
CG_CLI=$CG_POD/cri-containerd-$ID_CLI.scope
CG_UNIT=$SLICE/tftest-web.service
CG_MOVED=$SLICE/moved-to.scope
CGROUPS=("$CG_SRV" "$CG_CLI" "$CG_POD" "$SLICE/kubepods.slice/kubepods-burstable.slice" "$SLICE/kubepods.slice"
	"$CG_UNIT" "$CG_MOVED" "$SLICE") # deepest first: the order they are removed in

identity_cleanup() {
	ns_stop_all
	for pid in "${BG_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; done
	wait 2>/dev/null
	for cg in "${CGROUPS[@]}"; do rmdir "$cg" 2>/dev/null; done
	cleanup
}
trap identity_cleanup EXIT

mkdir -p "$CG_SRV" "$CG_CLI" "$CG_UNIT" "$CG_MOVED" || { not_ok "test cgroups could be made under $CG2"; exit 0; }
ns_setup || { not_ok "network namespaces could be set up"; exit 0; }
NETNS_A=$(netns_inode "$NS_A")
NETNS_B=$(netns_inode "$NS_B")
for ns in "$NS_A" "$NS_B"; do
	ns_sysctl "$ns" net.ipv4.tcp_keepalive_time 1
	ns_sysctl "$ns" net.ipv4.tcp_keepalive_intvl 1
	ns_sysctl "$ns" net.ipv4.tcp_keepalive_probes 2
done

# drive_in CGROUP NAME NS ARGS...   tcpdrive in NS, moved into CGROUP before it makes any socket
drive_in() {
	local cg=$1 name=$2 ns=$3
	shift 3
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" ip netns exec "$ns" "$DRIVE" "$@" \
		>"$WORK/$name.out" 2>&1 &
	BG_PIDS+=($!)
}
rel() { echo "${1#"$CG2"}"; } # a cgroup's path as tcpfate shows it

# A connection that predates tcpfate: adopted at start-up with the same identity.
drive_in "$CG_UNIT" pre-srv "$NS_B" server "$B4" 26006 reply
wait_line pre-srv listening
drive_in "$CG_CLI" pre-cli "$NS_A" client "$B4" 26006 request --after-signal
wait_line pre-cli connected

# Names, from the files the runtimes and the kubelet write, under a host root made here.
HOST=$WORK/host
mkdir -p "$HOST/var/lib/docker/containers/$ID_SRV" "$HOST/var/log/containers" "$HOST/var/log/pods/tftest_api-1_$POD_UID"
echo "{\"ID\":\"$ID_SRV\",\"Name\":\"/tftest-web\"}" >"$HOST/var/lib/docker/containers/$ID_SRV/config.v2.json"
touch "$HOST/var/log/containers/api-1_tftest_client-$ID_CLI.log"

OUT=$WORK/identity.json
DB=$WORK/identity.db
MPORT=$((29500 + $$ % 400)) # clear of the ports the test uses (26001-26007), whatever the PID
start_tcpfate "$OUT" --record "$DB" --metrics "127.0.0.1:$MPORT" --metrics-top 5 --metrics-identity \
	--host-root "$HOST" || exit 0
kill -USR1 "$(field pre-cli pid)"
# A second instance shows only the server's container, by its name.
FILTERED=$WORK/filtered.json
TCPFATE_PID_MAIN=$TCPFATE_PID
start_tcpfate "$FILTERED" --container tftest-web --host-root "$HOST" || exit 0
TCPFATE_PID_FILTERED=$TCPFATE_PID

# reset: the server (a Docker container) closes with SO_LINGER 0.
drive_in "$CG_SRV" rst-srv "$NS_B" server "$B4" 26001 linger0
wait_line rst-srv listening
drive_in "$CG_CLI" rst-cli "$NS_A" client "$B4" 26001 request
# hang-up: the server (a systemd service) reads the request and closes without answering.
drive_in "$CG_UNIT" hup-srv "$NS_B" server "$B4" 26002 no-reply
wait_line hup-srv listening
drive_in "$CG_CLI" hup-cli "$NS_A" client "$B4" 26002 request
# refused: nobody listens.
drive_in "$CG_CLI" ref-cli "$NS_A" client "$B4" 26003 connect
# keepalive timeout, decided by the client's timer in softirq: the server goes silent.
drive_in "$CG_SRV" ka-srv "$NS_B" server "$B4" 26004 hold
wait_line ka-srv listening
drive_in "$CG_CLI" ka-cli "$NS_A" client "$B4" 26004 hold --keepalive
wait_line ka-cli connected
nft_rule "$NS_B" "tcp dport 26004 drop"
# A client that moves to another cgroup after it connected: the socket keeps the first.
drive_in "$CG_UNIT" mv-srv "$NS_B" server "$B4" 26005 no-reply
wait_line mv-srv listening
drive_in "$CG_CLI" mv-cli "$NS_A" client "$B4" 26005 hold --after-signal
wait_line mv-cli connected
echo "$(field mv-cli pid)" >"$CG_MOVED/cgroup.procs"
check "the moved client really moved" "$(grep -c "$(rel "$CG_MOVED")" "/proc/$(field mv-cli pid)/cgroup")" 1
kill -USR1 "$(field mv-cli pid)"

for n in rst hup ref ka mv pre; do wait_line $n-cli '^done' 30; done
sleep 0.5
# Scraped until the last ends are counted (they are read a drain or two after they happen).
deadline=$((SECONDS + 10 * SCALE))
until curl -s "http://127.0.0.1:$MPORT/metrics" >"$WORK/scrape.txt" &&
	grep -q '^tcpfate_unit_connections_closed_total{unit="tftest-web.service",label="hang-up"} 2$' "$WORK/scrape.txt" ||
	[ $SECONDS -ge $deadline ]; do
	sleep 0.2
done
TCPFATE_PID=$TCPFATE_PID_FILTERED stop_tcpfate
TCPFATE_PID=$TCPFATE_PID_MAIN stop_tcpfate

srv() { echo ".netns == $NETNS_B and .sport == $1"; }
cli() { echo ".netns == $NETNS_A and .dport == $1"; }
server_container=(cgroup="$(rel "$CG_SRV")" container_id="$ID_SRV" container_runtime=docker pod_uid=null unit=null
	container_name=tftest-web)
client_pod=(cgroup="$(rel "$CG_CLI")" container_id="$ID_CLI" container_runtime=containerd pod_uid="$POD_UID"
	pod_qos=burstable unit=null container_name=client pod_name=api-1 pod_namespace=tftest)
web_unit=(cgroup="$(rel "$CG_UNIT")" container_id=null pod_uid=null unit=tftest-web.service)

expect_record "reset: the server's end names its container" "$OUT" "$(srv 26001)" label=reset "${server_container[@]}"
expect_record "reset: the client's end names its pod and container" "$OUT" "$(cli 26001)" label=reset "${client_pod[@]}"
expect_record "hang-up: the server's end names its unit" "$OUT" "$(srv 26002)" "${web_unit[@]}"
expect_record "hang-up: the client's end names its pod" "$OUT" "$(cli 26002)" label=hang-up "${client_pod[@]}"
expect_record "refused: the client's end names its pod" "$OUT" "$(cli 26003)" label=refused "${client_pod[@]}"
expect_record "keepalive timeout (decided in softirq): the client's end names its pod" "$OUT" "$(cli 26004)" \
	label=retries-exhausted cause=keepalive "${client_pod[@]}"
expect_record "moved after connecting: the record names the cgroup the socket was made in" "$OUT" "$(cli 26005)" \
	label=hang-up "${client_pod[@]}"
expect_record "predates tcpfate: the client's end, adopted, names its pod" "$OUT" "$(cli 26006)" label=ok \
	start_known=false "${client_pod[@]}"
expect_record "predates tcpfate: the server's end, adopted, names its unit" "$OUT" "$(srv 26006)" \
	start_known=false "${web_unit[@]}"
check "every close record here carries a cgroup id" \
	"$(jq -c "select(.event == \"close\" and (.netns == $NETNS_A or .netns == $NETNS_B) and .cgroup_id == null)" "$OUT" |
		wc -l)" 0

# --metrics-identity: series per container and per unit (opt-in, under --metrics-top's cap).
check "metrics: the server container's reset" \
	"$(grep -c "^tcpfate_container_connections_closed_total{container=\"${ID_SRV:0:12}\",label=\"reset\"} 1$" "$WORK/scrape.txt")" 1
check "metrics: the client container's connections are all its own series (none in other)" \
	"$(grep -c '^tcpfate_container_connections_closed_total{container="other"' "$WORK/scrape.txt")" 0
check "metrics: the unit's hang-ups" \
	"$(grep -c '^tcpfate_unit_connections_closed_total{unit="tftest-web.service",label="hang-up"} 2$' "$WORK/scrape.txt")" 1

# --container NAME: the server's container only (its reset and keepalive ends), nothing else.
check "--container: only the container's records" \
	"$(jq -r 'select(.event == "close") | .container_id' "$FILTERED" | sort -u | tr '\n' ' ')" "$ID_SRV "
expect_record "--container: its reset is there" "$FILTERED" "$(srv 26001)" label=reset

# --- recordings: the identity columns (schema 2), reports by service, and a schema 1 file -------
expect_sql() { sqlite3 -separator ' ' "$1" "$2" 2>&1; }
check "recording: the identity columns of the reset's server end" \
	"$(expect_sql "$DB" "SELECT container_id, container_runtime, unit IS NULL FROM connections WHERE sport = 26001")" \
	"$ID_SRV docker 1"
check "recording: the container and pod names of the reset's client end" \
	"$(expect_sql "$DB" "SELECT container_name, pod_namespace, pod_name FROM connections WHERE dport = 26001")" \
	"client tftest api-1"
check "recording: the hang-up's server end names its unit" \
	"$(expect_sql "$DB" "SELECT unit, cgroup FROM connections WHERE sport = 26002")" \
	"tftest-web.service $(rel "$CG_UNIT")"
"$TCPFATE" report "$DB" --format json >"$WORK/report.json" 2>"$WORK/report.err"
check "report: reads the recording" "$?" 0
check "report: the services by failures name the pod's container" \
	"$(jq -r '.top_services[].key' "$WORK/report.json" | grep -c "containerd client (${ID_CLI:0:12}) (pod tftest/api-1)$")" 1
"$TCPFATE" report "$DB" --unit tftest-web.service --format json >"$WORK/report-unit.json" 2>>"$WORK/report.err"
check "report --unit: only the unit's connections (the hang-up's, the moved client's, the adopted one's servers)" \
	"$(jq -r '.connections' "$WORK/report-unit.json")" 3
"$TCPFATE" report "$OUT" --container "${ID_CLI:0:8}" --format json >"$WORK/report-cli.json" 2>>"$WORK/report.err"
check "report --container over JSON lines: the client container's connections" \
	"$(jq -r '.connections' "$WORK/report-cli.json")" 6

# A schema 1 recording: reported as it is, then recorded into, which adds the columns and keeps its rows.
V1=$WORK/v1.db
sqlite3 "$V1" <"$ROOT/tests/fixtures/recording-v1.sql"
"$TCPFATE" report "$V1" --format json >"$WORK/v1-report.json" 2>"$WORK/v1.err"
check "schema 1: a report reads it" "$? $(jq -r .connections "$WORK/v1-report.json")" "0 2"
start_tcpfate "$WORK/v1.json" --record "$V1" || exit 0
drive_in "$CG_UNIT" v1-srv "$NS_B" server "$B4" 26007 reply
wait_line v1-srv listening
drive_in "$CG_CLI" v1-cli "$NS_A" client "$B4" 26007 request
wait_line v1-cli '^done'
wait_line v1-srv '^done'
sleep 0.5
stop_tcpfate
check "schema 1, recorded into: now schema 5" "$(expect_sql "$V1" "PRAGMA user_version")" 5
check "schema 1, recorded into: it has schema 3's and 5's settings columns" \
	"$(expect_sql "$V1" "SELECT count(*) FROM pragma_table_info('connections') WHERE name LIKE 'tcp\_%' ESCAPE '\\' OR name = 'socket_options'")" 8
check "schema 1, recorded into: its rows are all there, unchanged" \
	"$(expect_sql "$V1" "SELECT count(*), sum(cookie), group_concat(label) FROM connections WHERE host = 'old-host'")" \
	"2 23 ok,reset"
check "schema 1, recorded into: its rows have no identity" \
	"$(expect_sql "$V1" "SELECT count(*) FROM connections WHERE host = 'old-host' AND cgroup_id IS NULL")" 2
check "schema 1, recorded into: it has schema 4's ok rollups" \
	"$(expect_sql "$V1" "SELECT count(*) FROM sqlite_master WHERE name = 'ok_rollups'")" 1
check "schema 1, recorded into: new ok connections have their identity" \
	"$(expect_sql "$V1" "SELECT unit, connections FROM ok_rollups WHERE sport = 26007")" "tftest-web.service 1"
"$TCPFATE" report "$V1" --format json >"$WORK/v1-report2.json" 2>>"$WORK/v1.err"
check "schema 1, recorded into: a report reads old and new rows" "$(jq -r .connections "$WORK/v1-report2.json")" 4
