#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# particle/lab/bench.sh: the Particle paper's Fig. 6 (multi-node
# aggregation) on the namespace lab of particle/lab/lab.sh, plus the
# control-plane convergence time of a particle job under FRR EVPN.
#
#   IP=build/iproute2-6.1.0/ip/ip particle/lab/bench.sh [--full] [--quick]
#       [--nodes "1 2 4 8"] [--per-node 100] [--reps 3] [--modes "evpn static"]
#       [--variants "particle pf"] [--no-converge] [--out DIR]
#
# Aggregation: on K nodes, 100 functions per node (socat in their own
# mount/pid/uts namespaces) each open a TCP connection to one leader on
# node 1, retrying until it gets through.  The time is from "start" (nothing
# of the job exists yet; the leader already listens) to "every function has
# reached the leader", nodes working in parallel.
#   particle: per node one "ip -n NODE particle add JOB vtep vxlan100 count
#             100 pool ...", then the 100 functions join the job's namespace
#   pf:       the per-function overlay with stock ip, per function: netns add,
#             veth pair, one end moved, attached, addressed, up; then the
#             function starts (lab_pf_add in lib.sh)
# Functions are started the same way in both (nsenter --net + unshare
# -mpuf + socat), so only the network setup differs.
#
# Convergence (evpn): time from "ip particle add" returning on node A to the
# first successful TCP connection from node B to the job; median of runs.
#
# Prints PASS/MISS lines; writes bench/results/evpn-DATE.{txt,csv}.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=particle/lab/lib.sh
. "$TOP/particle/lab/lib.sh"
: "${IP:=$TOP/build/iproute2-6.1.0/ip/ip}"
IP=$(readlink -f "$IP")
export IP

nodes_list="1 2 4 8"
per_node=100
reps=3
modes="evpn static"
variants="particle pf"
converge=1
conv_runs=7
outdir=$TOP/bench/results
while [ $# -gt 0 ]; do
	case $1 in
	--full) nodes_list="1 2 4 8 16"; shift ;;
	--quick) nodes_list="1 2 4"; reps=1; conv_runs=5; shift ;;
	--nodes) nodes_list=$2; shift 2 ;;
	--per-node) per_node=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--modes) modes=$2; shift 2 ;;
	--variants) variants=$2; shift 2 ;;
	--no-converge) converge=0; shift ;;
	--converge-runs) conv_runs=$2; shift 2 ;;
	--out) outdir=$2; shift 2 ;;
	-h|--help) sed -n '3,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "bench.sh: must be root" >&2; exit 1; }
[ "$per_node" -le 250 ] || { echo "bench.sh: --per-node at most 250" >&2; exit 2; }
"$TOP/scripts/deps.sh" lab

b36() { local n=$1 s= d=0123456789abcdefghijklmnopqrstuvwxyz; while ((n > 0)); do s=${d:n%36:1}$s; ((n /= 36)); done; echo "${s:-0}"; }
P=eb$(b36 $$)
PORT=7000
LEADER=172.31.0.1
WORK=$(mktemp -d "/tmp/particle-lab-bench.$P.XXXX")
mkdir -p "$outdir"
stamp=$(date +%Y%m%d-%H%M%S)
TXT=$outdir/evpn-$stamp.txt
CSV=$outdir/evpn-$stamp.csv
echo "mode,variant,nodes,functions,rep,seconds" >"$CSV"
lab_is_up=

cleanup() {
	trap - EXIT INT TERM
	[ -z "$lab_is_up" ] || LAB_QUIET=1 "$LAB_SH" down --prefix "$P"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "bench.sh: interrupted" >&2; exit 130' INT TERM

say() { echo "$*" | tee -a "$TXT"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

has_particle() { pip particle help 2>&1 | grep -q 'particle add'; }

lab_up() {	# lab_up MODE K [lab.sh options]
	local m=$1 k=$2
	shift 2
	LAB_QUIET=1 "$LAB_SH" up --prefix "$P" --mode "$m" --nodes "$k" --tenants 1 "$@"
	lab_is_up=1
}
lab_down() {
	LAB_QUIET=1 "$LAB_SH" down --prefix "$P"
	lab_is_up=
}

# every node's vxlan100 has no MAC but the flood entries (withdrawals done)
fdb_clean() {
	local k=$1 i
	for i in $(seq 1 "$k"); do
		bridge -n "$P-n$i" fdb show dev vxlan100 | grep ' dst ' |
			grep -v '^00:00:00:00:00:00' | grep -q . && return 1
	done
	return 0
}
wait_clean() {
	local k=$1 deadline=$((SECONDS + 60))
	until fdb_clean "$k"; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "bench.sh: stale FDB entries after 60 s" >&2; return 0; }
		sleep 0.1
	done
}

# leader VARIANT: the receiver on node 1, its MAC made known (a broadcast)
leader_up() {
	local v=$1 k=$2 mac i deadline
	if [ "$v" = particle ]; then
		pip -n "$P-n1" particle add "$P-L" vtep vxlan100 count 1 pool "$LEADER/16" >/dev/null
	else
		lab_pf_add "$P-n1" "$P-L" pfL br100 "$LEADER/16"
	fi
	LPID=$(lab_fast_leader "$P-L" "$LEADER" "$PORT" "$WORK/leader.log")
	# one ARP broadcast from the leader so that its MAC is learned and
	# (evpn) advertised before the clock starts
	"$LAB_IP" netns exec "$P-L" socat -u OPEN:/dev/null \
		TCP:172.31.255.254:9,connect-timeout=0.2 >/dev/null 2>&1 || true
	mac=$("$LAB_IP" -n "$P-L" -br link show eth0 | awk '{ print $3 }')
	deadline=$((SECONDS + 20))
	for i in $(seq 2 "$k"); do
		until bridge -n "$P-n$i" fdb show dev vxlan100 | grep -q "^$mac dst"; do
			[ "$SECONDS" -lt "$deadline" ] || break
			sleep 0.05
		done
	done
	# wait for the listener
	deadline=$((SECONDS + 10))
	until grep -q listening "$WORK/leader.log" 2>/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.02
	done
}

leader_down() {
	local v=$1
	lab_kill "$LPID"
	lab_kill_ns "$P-L"
	if [ "$v" = particle ]; then
		pip -n "$P-n1" particle del "$P-L" >/dev/null 2>&1 || true
	else
		lab_pf_del "$P-n1" "$P-L" pfL
	fi
}

# node N, function k (1..250): 172.31.N.k
# the function launcher: fnlaunch.c compiled here if there is a compiler,
# else its python twin (slower to fork: it inflates both variants alike)
if command -v cc >/dev/null && cc -O2 -o "$WORK/fnlaunch" "$LAB_DIR/fnlaunch.c" 2>"$WORK/cc.log"; then
	FNLAUNCH=("$WORK/fnlaunch" "$LEADER" "$PORT" 200 0.1 0.5)
else
	FNLAUNCH=(python3 "$LAB_DIR/fnlaunch.py" "$LEADER" "$PORT" 200 0.1 0.5)
fi

# one node's part of the aggregation job: the network, and the functions
# started (by one launcher per node) as soon as their network is there
node_particle() {
	local n=$1
	{
		pip -n "$P-n$n" particle add "$P-j$n" vtep vxlan100 count "$per_node" \
			pool "172.31.$n.1/16" >/dev/null || exit 1
		for ((k = 1; k <= per_node; k++)); do
			echo "/run/netns/$P-j$n 172.31.$n.$k"
		done
	} | "${FNLAUNCH[@]}"
}
node_pf() {
	local n=$1
	{
		for ((k = 1; k <= per_node; k++)); do
			lab_pf_add "$P-n$n" "$P-f$n-$k" "pf$k" br100 "172.31.$n.$k/16" || exit 1
			echo "/run/netns/$P-f$n-$k 172.31.$n.$k"
		done
	} | "${FNLAUNCH[@]}"
}
node_cleanup() {
	local v=$1 n=$2 k
	if [ "$v" = particle ]; then
		lab_kill_ns "$P-j$n"
		pip -n "$P-n$n" particle del "$P-j$n" >/dev/null 2>&1 || true
	else
		for k in $(seq 1 "$per_node"); do
			lab_kill_ns "$P-f$n-$k"
			lab_pf_del "$P-n$n" "$P-f$n-$k" "pf$k"
		done
	fi
}

# aggregate VARIANT K: prints seconds, or "fail"
aggregate() {
	local v=$1 k=$2 n t0 t1 pids=() ok=1 want got
	want=$((k * per_node))
	leader_up "$v" "$k"
	t0=$(now)
	for n in $(seq 1 "$k"); do
		"node_$v" "$n" &
		pids+=($!)
	done
	for n in "${pids[@]}"; do wait "$n" || ok=; done
	t1=$(now)
	lab_wait_reached "$WORK/leader.log" "$want" 10 || ok=
	got=$(lab_reached "$WORK/leader.log" | wc -l)
	for n in $(seq 1 "$k"); do node_cleanup "$v" "$n" & done
	wait
	leader_down "$v"
	[ "$CUR_MODE" != evpn ] || wait_clean "$k"
	if [ -n "$ok" ]; then
		elapsed "$t0" "$t1"
	else
		echo "bench.sh: $v on $k nodes: $got of $want functions reached the leader" >&2
		echo fail
	fi
}

# spread RUN: a job (count 100) added on node 1 sends one frame; seconds
# until its MAC is in the vxlan FDB of every other node (BGP through the
# route reflector), or "fail"
spread() {
	local k=$1 r=$2 t0 t1 mac i deadline ok=1
	pip -n "$P-n1" particle add "$P-C" vtep vxlan100 count 100 pool "172.31.250.$((1 + r))/16" >/dev/null || { echo fail; return; }
	t0=$(now)
	# its first frame (an ARP for an address nobody has)
	nsenter --net="/run/netns/$P-C" socat -u OPEN:/dev/null \
		TCP:172.31.251.254:9,connect-timeout=0.05 >/dev/null 2>&1 &
	mac=$("$LAB_IP" -n "$P-C" -br link show eth0 | awk '{ print $3 }')
	deadline=$((SECONDS + 20))
	for i in $(seq 2 "$k"); do
		until bridge -n "$P-n$i" fdb show dev vxlan100 | grep -q "^$mac dst"; do
			[ "$SECONDS" -lt "$deadline" ] || { ok=; break 2; }
		done
	done
	t1=$(now)
	wait
	pip -n "$P-n1" particle del "$P-C" >/dev/null || true
	deadline=$((SECONDS + 20))
	for i in $(seq 2 "$k"); do
		while bridge -n "$P-n$i" fdb show dev vxlan100 | grep -q "^$mac"; do
			[ "$SECONDS" -lt "$deadline" ] || break 2
			sleep 0.05
		done
	done
	[ -n "$ok" ] && elapsed "$t0" "$t1" || echo fail
}

# ------------------------------------------------------------ figure 6

declare -A RES SPREAD
say "# particle/lab/bench.sh $(date -u +%FT%TZ) on $(uname -r), $(nproc) cores"
say "# ip: $IP; frr: $(dpkg-query -W -f='${Version}' frr 2>/dev/null)"
say "# aggregation: $per_node functions per node -> one leader on node 1; median of $reps"
say "# functions started by ${FNLAUNCH[0]##*/}; leader: fnlaunch.py --serve"
if ! has_particle; then
	say "# NOTE: $IP has no working 'particle' object; particle variant skipped"
	variants=${variants//particle/}
fi
for m in $modes; do
	for k in $nodes_list; do
		lab_up "$m" "$k"
		CUR_MODE=$m
		for v in $variants; do
			vals=()
			for r in $(seq 1 "$reps"); do
				s=$(aggregate "$v" "$k")
				echo "$m,$v,$k,$((k * per_node)),$r,$s" >>"$CSV"
				[ "$s" = fail ] || vals+=("$s")
			done
			if [ ${#vals[@]} -gt 0 ]; then
				RES[$m,$v,$k]=$(printf '%s\n' "${vals[@]}" | median)
			else
				RES[$m,$v,$k]=fail
			fi
			say "$(printf '%-6s %-8s nodes %2d functions %4d  %8s s' "$m" "$v" "$k" $((k * per_node)) "${RES[$m,$v,$k]}")"
		done
		if [ "$m" = evpn ] && [ "$k" -ge 2 ] && has_particle; then
			vals=()
			for r in $(seq 1 "$conv_runs"); do
				c=$(spread "$k" "$r")
				echo "evpn,spread,$k,100,$r,$c" >>"$CSV"
				[ "$c" = fail ] || vals+=("$c")
			done
			SPREAD[$k]=$(printf '%s\n' "${vals[@]}" | median)
			say "$(printf 'evpn   control plane: new job MAC on all %2d other nodes %8s s (median of %d)' $((k - 1)) "${SPREAD[$k]}" "$conv_runs")"
		fi
		lab_down
	done
done

ncpu=$(nproc)
say ""
say "# Fig. 6 table (seconds to all functions reached the leader)"
say "$(printf '%-6s %-8s' mode variant; for k in $nodes_list; do printf ' %7s' "K=$k"; done)"
for m in $modes; do
	for v in $variants; do
		say "$(printf '%-6s %-8s' "$m" "$v"; for k in $nodes_list; do printf ' %7s' "${RES[$m,$v,$k]}"; done)"
	done
done
say ""
for m in $modes; do
	for v in $variants; do
		vals=$(for k in $nodes_list; do echo "${RES[$m,$v,$k]}"; done)
		echo "$vals" | grep -q fail && { say "MISS $m $v: a run failed"; continue; }
		[ "$v" = particle ] || continue
		[ "$(echo "$vals" | wc -l)" -ge 2 ] || continue	# flat needs two K
		# raw wall time: all K nodes share this machine's cores
		r=$(echo "$vals" | awk 'NR == 1 || $1 > mx { mx = $1 } NR == 1 || $1 < mn { mn = $1 } END { printf "%.2f", mx / mn }')
		awk -v r="$r" 'BEGIN { exit !(r <= 1.3) }' && pf=PASS || pf=MISS
		say "$pf flat $m particle: max/min over nodes $(echo $nodes_list) = $r (goal <= 1.3, wall time, $ncpu cores shared by all nodes)"
		# per-node time: wall * min(K, cores) / K, as if each node had the
		# cores one node has here when K <= cores
		r=$(for k in $nodes_list; do echo "$k ${RES[$m,$v,$k]}"; done |
			awk -v c="$ncpu" '{ n = ($1 < c ? $1 : c); t = $2 * n / $1 } NR == 1 || t > mx { mx = t } NR == 1 || t < mn { mn = t } END { printf "%.2f", mx / mn }')
		awk -v r="$r" 'BEGIN { exit !(r <= 1.3) }' && pf=PASS || pf=MISS
		say "$pf flat $m particle per node: max/min of wall*min(K,$ncpu)/K = $r (goal <= 1.3)"
	done
	if [[ " $variants " == *" particle "* && " $variants " == *" pf "* ]]; then
		for k in $nodes_list; do
			a=${RES[$m,particle,$k]} b=${RES[$m,pf,$k]}
			[ "$a" != fail ] && [ "$b" != fail ] || { say "MISS speedup $m K=$k: a run failed"; continue; }
			x=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", b / a }')
			awk -v x="$x" 'BEGIN { exit !(x >= 10) }' && pf=PASS || pf=MISS
			say "$pf speedup $m K=$k: per-function overlay $b s / particle $a s = ${x}x (goal >= 10x)"
		done
	fi
done

if [ ${#SPREAD[@]} -ge 2 ]; then
	r=$(printf '%s\n' "${SPREAD[@]}" | awk 'NR == 1 || $1 > mx { mx = $1 } NR == 1 || $1 < mn { mn = $1 } END { printf "%.2f", mx / mn }')
	awk -v r="$r" 'BEGIN { exit !(r <= 1.3) }' && pf=PASS || pf=MISS
	say "$pf flat evpn control plane: max/min over nodes $(echo "${!SPREAD[@]}" | tr ' ' '\n' | sort -n | tr '\n' ' ')of the time for a new job's MAC to reach every node = $r (goal <= 1.3)"
fi

# ------------------------------------------------------------ convergence

# converge_once FLOOD: add a job on node 1 with a listener, probe from a
# long-lived particle job on node 2 until a connection gets through.
conv_probe() {	# in node 2's prober namespace: one connection attempt to $1
	nsenter --net="/run/netns/$P-B" socat -u OPEN:/dev/null \
		"TCP:$1:$PORT,bind=172.31.2.1,connect-timeout=0.02" >/dev/null 2>&1
}
# converge_once R: the job gets a fresh address each run (a reused address
# behind a new MAC would wait for the prober's ARP entry to go stale)
converge_once() {
	local t0 t1 t2= pid mac deadline a=172.31.1.$((10 + $1))
	pip -n "$P-n1" particle add "$P-A" vtep vxlan100 count 1 pool "$a/16" >/dev/null
	t0=$(now)
	pid=$(lab_leader "$P-A" "$a" "$PORT" "$WORK/conv.log")
	mac=$("$LAB_IP" -n "$P-A" -br link show eth0 | awk '{ print $3 }')
	deadline=$((SECONDS + 20))
	until conv_probe "$a"; do
		[ -n "$t2" ] || ! bridge -n "$P-n2" fdb show dev vxlan100 | grep -q "^$mac dst" || t2=$(now)
		[ "$SECONDS" -lt "$deadline" ] || { t1=; break; }
	done
	t1=${t1-$(now)}
	# with flooding on the connection does not wait for BGP: go on
	# watching for the MAC route
	while [ -z "$t2" ] && [ "$SECONDS" -lt "$deadline" ]; do
		! bridge -n "$P-n2" fdb show dev vxlan100 | grep -q "^$mac dst" || t2=$(now)
	done
	lab_kill "$pid"
	lab_kill_ns "$P-A"
	pip -n "$P-n1" particle del "$P-A" >/dev/null
	# wait for the withdrawal before the next run
	deadline=$((SECONDS + 20))
	while bridge -n "$P-n2" fdb show dev vxlan100 | grep -q "^$mac"; do
		[ "$SECONDS" -lt "$deadline" ] || break
		sleep 0.05
	done
	if [ -n "${t1:-}" ]; then
		echo "$(elapsed "$t0" "$t1") $([ -n "$t2" ] && elapsed "$t0" "$t2" || echo nan)"
	else
		echo "fail nan"
	fi
}

if [ "$converge" = 1 ] && has_particle && [[ " $modes " == *" evpn "* ]]; then
	say ""
	say "# control-plane convergence: 'ip particle add' returns on node 1 -> first TCP connection from node 2 (median of $conv_runs)"
	for flood in off on; do
		lab_up evpn 2 --uu-flood "$flood"
		pip -n "$P-n2" particle add "$P-B" vtep vxlan100 count 1 pool 172.31.2.1/16 >/dev/null
		# make the prober's MAC known everywhere first
		conv_probe 172.31.1.1 || true
		sleep 1
		conn=() fdb=()
		for r in $(seq 1 "$conv_runs"); do
			read -r c f < <(converge_once "$r")
			echo "evpn-uuflood-$flood,converge,2,1,$r,$c" >>"$CSV"
			[ "$c" = fail ] || conn+=("$c")
			[ "$f" = nan ] || fdb+=("$f")
		done
		lab_kill_ns "$P-B"
		pip -n "$P-n2" particle del "$P-B" >/dev/null || true
		lab_down
		say "$(printf 'evpn uu-flood %-3s: first connection %s s (runs %s), job MAC in node 2 FDB %s s' "$flood" \
			"$(printf '%s\n' "${conn[@]}" | median)" "$(echo "${conn[@]}")" \
			"$(printf '%s\n' "${fdb[@]}" | median)")"
	done
fi

say ""
say "# results: $TXT $CSV"
