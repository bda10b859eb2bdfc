#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# particle/bench/run.sh: the benchmark suite of "ip particle" (issue 3).
#
#   IP=build/iproute2-6.1.0/ip/ip particle/bench/run.sh [--quick|--full]
#       [--reps R] [--only LIST] [--fns K] [--out DIR] [--publish]
#
# Measures, side by side in one run and interleaved (round-robin across the
# systems in every repetition), the network setup of burst-parallel jobs:
#   particle       $IP particle add ... (mode addrs)
#   particle-anyip $IP particle add ... mode anyip (if $IP supports it)
#   paper          the paper's recipe with stock ip: netns, veth, two moves,
#                  ip -batch of N addr add
#   perfn-step     per-function overlay (paper Fig. 2), one stock ip per step
#   perfn-batch    the same work, one stock "ip -batch" per namespace
#   cni            containernetworking-plugins bridge + host-local, one ADD
#                  per function
# Figures (README.md in this directory has the details):
#   sweep    1. setup and teardown time vs N            fig1.*
#   phases   2. step breakdown (Table 3) and ip -s      fig2.md
#   jobs     3. aggregation and shuffle on two nodes    fig3.*
#   tenants  4. multi-tenancy (Table 6)                 fig4.*
#   tput     5. iperf3 throughput (§5.5)                fig5.*
#   fns      8. functions under the slot guard (issue   fig8.md
#               11, fns.sh): exec vs ip netns exec + unshare
#   kim      Kim et al. Fig. 5 (issue 12): per-slot rates   kim.* (kim.sh)
#   conc     many processes at once (issue 10, --only conc): conc.sh
#   pools    6. pool cost (issue 4): anyip 100,000 vs   fig6.*
#               addrs 10,000, user/sys CPU of the add, and the kernel's own
#               batch insert of 10,000 such addresses (stock ip -batch)
#   density  7. add/del with J = 0..1000 jobs present   fig7.* (density.sh)
# and the spec's speed goals as PASS/MISS lines (goals.txt).
#
# Everything runs in namespaces named pb<PID>-*; nothing in the host network
# namespace is touched.  Everything is removed on exit, error and Ctrl-C.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
CNI_DIR=${CNI_DIR:-/usr/lib/cni}
PERL=$(command -v perl)
NSENTER=$(command -v nsenter)
UNSHARE=$(command -v unshare)
IPERF3=$(command -v iperf3 || true)
BRIDGE=${STOCK%/ip}/bridge
[ -x "$BRIDGE" ] || BRIDGE=$(command -v bridge)
# the simulated nodes, built as the tests, the lab and the demo build theirs
# shellcheck source=particle/lib/node.sh
. "$TOP/particle/lib/node.sh"
NODE_IP=$STOCK NODE_BRIDGE=$BRIDGE

MODE=quick REPS= ONLY= FNS= OUT= PUBLISH=0
usage() {
	sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) MODE=quick ;;
	--full) MODE=full ;;
	--reps) REPS=$2; shift ;;
	--only) ONLY=$2; shift ;;
	--fns) FNS=$2; shift ;;
	--out) OUT=$2; shift ;;
	--publish) PUBLISH=1 ;;
	-h|--help) usage ;;
	*) echo "run.sh: unknown option $1" >&2; usage ;;
	esac
	shift
done

# What each mode does.  quick must stay under 5 minutes on a busy 2-core VM.
if [ "$MODE" = quick ]; then
	SWEEP_N="10 100 1000 10000"	# particle, particle-anyip, paper
	PERFN_MAX=100			# per-function systems stop here
	: "${REPS:=5}"
	: "${FNS:=50}"			# functions per node in jobs/tenants
	JOB_REPS=1 TEN_REPS=1 TPUT_T=2 TPUT_REPS=3
	: "${JOB_TIMEOUT:=60}"
	PHASE_N="100 1000"
	POOL_REPS=${POOL_REPS:-3}	# figure 6: ~4 s per repetition
else
	SWEEP_N="10 100 1000 10000"
	# per-function systems at 10,000 take ~15 min per system and repetition
	# (and hold RTNL for everybody on the machine): PERFN_MAX=10000 to do it
	PERFN_MAX=${PERFN_MAX:-1000}
	: "${REPS:=5}"
	: "${FNS:=100}"
	JOB_REPS=3 TEN_REPS=3 TPUT_T=5 TPUT_REPS=5
	: "${JOB_TIMEOUT:=120}"
	PHASE_N="100 1000 10000"
	POOL_REPS=${POOL_REPS:-$REPS}
fi
ANYIP_BIG=1000000
POOL_ADDRS=10000 POOL_ANYIP=100000	# figure 6 (issue 4)
FIGS=${ONLY:-sweep,phases,jobs,tenants,tput,pools,kim,density,fns}
want() { case ",$FIGS," in *",$1,"*) return 0 ;; esac; return 1; }

[ "$(id -u)" = 0 ] || { echo "run.sh: must run as root" >&2; exit 1; }
for t in "$STOCK" "$PERL" "$NSENTER" "$UNSHARE" "$CNI_DIR/bridge" "$CNI_DIR/host-local"; do
	[ -x "$t" ] || { echo "run.sh: missing $t (scripts/deps.sh bench)" >&2; exit 1; }
done

ID=pb$$				# every name we create starts with "$ID-"
TMP=$(mktemp -d "/tmp/$ID.XXXXXX")
STAMP=$(date +%Y%m%d-%H%M%S)
: "${OUT:=$TOP/bench/results/$MODE-$STAMP}"
mkdir -p "$OUT/raw"
LOG=$OUT/run.log
: > "$LOG"
BGPIDS=
T_START=$SECONDS

# Run a command in the background and wait for it: bash runs traps only
# after a foreground child ends, and a job may run for a minute.
CHILD=
bgrun() {
	"$@" &
	CHILD=$!
	wait "$CHILD"
	local rc=$?
	CHILD=
	return $rc
}

say() { printf '%s\n' "$*" >&2; printf '%s\n' "$*" >> "$LOG"; }
die() { say "run.sh: $*"; exit 1; }

PT_OK=0
cleanup() {
	local rc=$? pid f
	trap - EXIT INT TERM
	for pid in $CHILD $BGPIDS; do kill "$pid" 2>/dev/null; done
	for pid in $CHILD $BGPIDS; do wait "$pid" 2>/dev/null; done
	if [ "$PT_OK" = 1 ]; then	# flush only in our own vtep namespaces
		for f in /run/netns/"$ID"-vA /run/netns/"$ID"-vB; do
			[ -e "$f" ] && "$IP" -n "${f##*/}" particle flush >/dev/null 2>&1
		done
	fi
	del_ns_glob "$ID-" keep-nodes
	del_ns_glob "$ID-"
	rm -rf "$TMP"
	[ "$rc" = 0 ] || say "run.sh: exit $rc; partial results in $OUT"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Delete our namespaces whose name starts with $1 (one ip -batch);
# "keep-nodes": all but the node/agent namespaces.
del_ns_glob() {
	local f n b=$TMP/nsdel.$RANDOM
	: > "$b"
	for f in /run/netns/"$1"*; do
		[ -e "$f" ] || continue
		n=${f##*/}
		if [ "${2:-}" = keep-nodes ]; then
			case $n in "$ID"-[vh][AB]) continue ;; esac
		fi
		echo "netns del $n" >> "$b"
	done
	[ -s "$b" ] && "$STOCK" -force -batch "$b" >> "$LOG" 2>&1
	rm -f "$b"
	return 0
}

# ip4v VAR INT: dotted quad of INT into VAR (no fork).
ip4v() {
	printf -v "$1" '%d.%d.%d.%d' $(($2 >> 24 & 255)) $(($2 >> 16 & 255)) \
		$(($2 >> 8 & 255)) $(($2 & 255))
}
# base S NODE: first function address of node A (10.S.1.1) or B (10.S.128.1)
base() {
	if [ "$2" = A ]; then echo $(((10 << 24) + ($1 << 16) + 257))
	else echo $(((10 << 24) + ($1 << 16) + 32769)); fi
}

# --- machine and topology ---------------------------------------------------
machine() {
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "mode: $MODE (reps $REPS)"
	echo "host: $(uname -n)"
	echo "kernel: $(uname -r) $(uname -m)"
	echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "nproc: $(nproc)"
	echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "ip (particle): $IP ($("$IP" -V 2>&1 | head -1))"
	echo "ip (stock): $STOCK ($("$STOCK" -V 2>&1 | head -1))"
	echo "commit: $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	echo "cni plugins: $(dpkg-query -W -f='${Version}' containernetworking-plugins 2>/dev/null || echo unknown)"
}

# Two simulated nodes: $ID-vA/$ID-vB hold the underlay veth, vx100..vx105
# (VNI 100..105) each on bridge br100..br105 with a static flood entry to the
# other node.  $ID-hA/$ID-hB stand in for the hosts' root namespaces (where
# the stock recipes create veth pairs before moving them).
make_nodes() {
	local x n peer vni
	node_netns "$ID-vA" "$ID-hA" "$ID-vB" "$ID-hB" || return 1
	node_wire "$ID-vA" pbu0 192.168.250.1/24 "$ID-vB" pbu0 192.168.250.2/24 || return 1
	for x in A B; do
		if [ $x = A ]; then n=1 peer=192.168.250.2; else n=2 peer=192.168.250.1; fi
		for vni in 100 101 102 103 104 105; do
			node_vtep "$ID-v$x" "vx$vni" "$vni" "192.168.250.$n" pbu0 "br$vni" &&
			node_flood "$ID-v$x" "vx$vni" "$peer" || return 1
		done
	done
}

# --- generators: every system is an add and a del script for pbrun.pl ------
# gen_particle DIR NODE VNI JOB COUNT S [anyip|phases]
gen_particle() {
	local d=$1 x=$2 vni=$3 job=$4 k=$5 s=$6 a m= opt=
	ip4v a "$(base "$s" "$x")"
	a=$a/16
	[ "$k" -gt 60000 ] && a=10.128.0.1/12	# the 1,000,000-slot anyip pool
	[ "${7:-}" = anyip ] && m=" mode anyip"
	[ "${7:-}" = phases ] && opt=" -s"
	mkdir -p "$d"
	printf 'add\t%s -n %s%s particle add %s vtep vx%s count %s pool %s%s%s\n' \
		"$IP" "$ID-v$x" "$opt" "$job" "$vni" "$k" "$a" "$m" \
		"$([ -n "$opt" ] && echo " >>$d/phases.out")" > "$d/add.script"
	printf 'del\t%s -n %s particle del %s\n' "$IP" "$ID-v$x" "$job" > "$d/del.script"
	echo "$job" > "$d/names"
}

# gen_paper DIR NODE VNI NS COUNT S
gen_paper() {
	local d=$1 x=$2 vni=$3 ns=$4 k=$5 s=$6 i a b0
	local vt=$ID-v$x
	b0=$(base "$s" "$x")
	mkdir -p "$d"
	{
		echo "link set lo up"
		echo "link set pbpb up"
		for ((i = 0; i < k; i++)); do
			ip4v a $((b0 + i))
			echo "addr add $a/16 dev pbpb"
		done
	} > "$d/addrs.b"
	cat > "$d/add.script" <<-EOF
	%netns $ID-h$x
	netns	$STOCK netns add $ns
	veth	$STOCK link add pbpa mtu 1450 type veth peer name pbpb mtu 1450
	move-vtep	$STOCK link set pbpa netns $vt
	move-fn	$STOCK link set pbpb netns $ns
	attach-up	$STOCK -n $vt link set pbpa master br$vni up
	addrs	$STOCK -n $ns -batch $d/addrs.b
	EOF
	cat > "$d/del.script" <<-EOF
	del-port	$STOCK -n $vt link del pbpa
	del-netns	$STOCK netns del $ns
	EOF
	echo "$ns" > "$d/names"
}

# gen_perfn step|batch DIR NODE VNI NSPREFIX DEVPREFIX COUNT S
# Fig. 2 of the paper for COUNT functions: netns add, veth add (in the
# host's namespace), move one end to the vtep namespace and one to the
# function's, attach to the bridge, set both up, add the address.
gen_perfn() {
	local v=$1 d=$2 x=$3 vni=$4 nsp=$5 dp=$6 k=$7 s=$8 i a b0
	local vt=$ID-v$x ag=$ID-h$x
	b0=$(base "$s" "$x")
	mkdir -p "$d"
	if [ "$v" = step ]; then
		{
			echo "%netns $ag"
			for ((i = 0; i < k; i++)); do
				ip4v a $((b0 + i))
				printf 'netns\t%s netns add %s\n' "$STOCK" "$nsp$i"
				printf 'veth\t%s link add %sa%d mtu 1450 type veth peer name %sb%d mtu 1450\n' "$STOCK" "$dp" $i "$dp" $i
				printf 'move-vtep\t%s link set %sa%d netns %s\n' "$STOCK" "$dp" $i "$vt"
				printf 'move-fn\t%s link set %sb%d netns %s\n' "$STOCK" "$dp" $i "$nsp$i"
				printf 'attach\t%s -n %s link set %sa%d master br%s\n' "$STOCK" "$vt" "$dp" $i "$vni"
				printf 'up\t%s -n %s link set %sa%d up\n' "$STOCK" "$vt" "$dp" $i
				printf 'up\t%s -n %s link set %sb%d up\n' "$STOCK" "$nsp$i" "$dp" $i
				printf 'addr\t%s -n %s addr add %s/16 dev %sb%d\n' "$STOCK" "$nsp$i" "$a" "$dp" $i
			done
		} > "$d/add.script"
		for ((i = 0; i < k; i++)); do
			printf 'del-port\t%s -n %s link del %sa%d\n' "$STOCK" "$vt" "$dp" $i
			printf 'del-netns\t%s netns del %s\n' "$STOCK" "$nsp$i"
		done > "$d/del.script"
	else
		mkdir -p "$d/f"
		for ((i = 0; i < k; i++)); do
			echo "netns add $nsp$i"
			echo "link add ${dp}a$i mtu 1450 type veth peer name ${dp}b$i mtu 1450"
			echo "link set ${dp}a$i netns $vt"
			echo "link set ${dp}b$i netns $nsp$i"
		done > "$d/agent.b"
		for ((i = 0; i < k; i++)); do
			echo "link set ${dp}a$i master br$vni"
			echo "link set ${dp}a$i up"
		done > "$d/vtep.b"
		{
			echo "%netns $ag"
			printf 'agent\t%s -batch %s\n' "$STOCK" "$d/agent.b"
			printf 'vtep\t%s -n %s -batch %s\n' "$STOCK" "$vt" "$d/vtep.b"
			for ((i = 0; i < k; i++)); do
				ip4v a $((b0 + i))
				printf 'link set %sb%d up\naddr add %s/16 dev %sb%d\n' "$dp" $i "$a" "$dp" $i > "$d/f/$i.b"
				printf 'fn\t%s -n %s -batch %s\n' "$STOCK" "$nsp$i" "$d/f/$i.b"
			done
		} > "$d/add.script"
		for ((i = 0; i < k; i++)); do echo "link del ${dp}a$i"; done > "$d/vdel.b"
		for ((i = 0; i < k; i++)); do echo "netns del $nsp$i"; done > "$d/ndel.b"
		printf 'del-port\t%s -n %s -batch %s\ndel-netns\t%s -batch %s\n' \
			"$STOCK" "$vt" "$d/vdel.b" "$STOCK" "$d/ndel.b" > "$d/del.script"
	fi
	echo "$nsp" > "$d/names"
}

# gen_cni DIR NODE VNI NSPREFIX COUNT S
# Every function: its namespace (as a runtime makes it), then one CNI ADD of
# the bridge plugin with host-local IPAM (private data dir).  The plugins run
# in the vtep namespace under one "ip netns exec" per script; their own time
# (without that wrapper) is what counts.
gen_cni() {
	local d=$1 x=$2 vni=$3 nsp=$4 k=$5 s=$6 i a z b0
	local vt=$ID-v$x
	b0=$(base "$s" "$x")
	ip4v a "$b0"
	ip4v z $((b0 + 32760))
	mkdir -p "$d"
	cat > "$d/conf.json" <<-EOF
	{"cniVersion": "1.0.0", "name": "$ID-net$x$vni", "type": "bridge",
	 "bridge": "br$vni", "isGateway": false, "ipMasq": false, "mtu": 1450,
	 "ipam": {"type": "host-local", "dataDir": "$d/ipam",
	  "ranges": [[{"subnet": "10.$s.0.0/16", "rangeStart": "$a", "rangeEnd": "$z"}]]}}
	EOF
	for ((i = 0; i < k; i++)); do
		printf 'add\tCNI_COMMAND=ADD CNI_CONTAINERID=%s CNI_NETNS=/run/netns/%s CNI_IFNAME=eth0 CNI_PATH=%s %s/bridge <%s\n' \
			"$nsp$i" "$nsp$i" "$CNI_DIR" "$CNI_DIR" "$d/conf.json"
	done > "$d/cniadd.script"
	sed 's/^add\tCNI_COMMAND=ADD/del\tCNI_COMMAND=DEL/' "$d/cniadd.script" > "$d/cnidel.script"
	{
		for ((i = 0; i < k; i++)); do printf 'netns\t%s netns add %s\n' "$STOCK" "$nsp$i"; done
		printf 'cni\t%s netns exec %s %s %s/pbrun.pl %s %s\n' "$STOCK" "$vt" "$PERL" "$HERE" "$d/cniadd.script" "$d/cniadd.stats"
	} > "$d/add.script"
	{
		printf 'cni-del\t%s netns exec %s %s %s/pbrun.pl %s %s\n' "$STOCK" "$vt" "$PERL" "$HERE" "$d/cnidel.script" "$d/cnidel.stats"
		for ((i = 0; i < k; i++)); do printf 'del-netns\t%s netns del %s\n' "$STOCK" "$nsp$i"; done
	} > "$d/del.script"
	echo "$nsp" > "$d/names"
}

# gen SYSTEM DIR NODE VNI TAG COUNT S: the right generator with our names.
# TAG keeps names of concurrently existing jobs apart.
gen() {
	local sys=$1 d=$2 x=$3 vni=$4 tag=$5 k=$6 s=$7
	case $sys in
	particle)	gen_particle "$d" "$x" "$vni" "$ID-$tag$x" "$k" "$s" ;;
	particle-anyip)	gen_particle "$d" "$x" "$vni" "$ID-$tag$x" "$k" "$s" anyip ;;
	particle-s)	gen_particle "$d" "$x" "$vni" "$ID-$tag$x" "$k" "$s" phases ;;
	paper)		gen_paper "$d" "$x" "$vni" "$ID-$tag$x" "$k" "$s" ;;
	perfn-step)	gen_perfn step "$d" "$x" "$vni" "$ID-$tag$x-" "p$tag" "$k" "$s" ;;
	perfn-batch)	gen_perfn batch "$d" "$x" "$vni" "$ID-$tag$x-" "p$tag" "$k" "$s" ;;
	cni)		gen_cni "$d" "$x" "$vni" "$ID-$tag$x-" "$k" "$s" ;;
	*)		die "unknown system $sys" ;;
	esac
}

# Address of function I of a job generated with S on NODE, into VAR.
fn_addr() { ip4v "$1" $(($(base "$2" "$3") + $4)); }
# Network namespace of function I of a job generated by gen SYSTEM ... TAG.
fn_ns() {
	case $2 in
	particle*|paper) printf -v "$1" '%s' "$ID-$3$4" ;;
	*) printf -v "$1" '%s' "$ID-$3$4-$5" ;;
	esac
}

# --- running ----------------------------------------------------------------
# stats FILE: sets ST_TOTAL, ST_FAIL, ST_<label> (dashes as _) and
# ST_USER/ST_SYS (CPU ns of all lines, user and system).
stats() {
	local k a b c
	ST_TOTAL= ST_FAIL=
	unset "${!ST_@}"
	ST_TOTAL= ST_FAIL= ST_USER=0 ST_SYS=0
	[ -f "$1" ] || return 1
	while read -r k a b c; do
		case $k in
		total) ST_TOTAL=$a ;;
		step) printf -v "ST_${a//-/_}" '%s' "$b" ;;
		cpu) ST_USER=$((ST_USER + b)) ST_SYS=$((ST_SYS + ${c%% *})) ;;
		fail) ST_FAIL="$a $b $c" ;;
		esac
	done < "$1"
}

# runscript SCRIPT: run it, total ns in RS_NS, CPU ns of its commands in
# RS_USER/RS_SYS; non-zero on failure.
# For cni the wrapper "ip netns exec + perl" is replaced by the plugins'
# own time measured inside it.
runscript() {
	local sc=$1 st=$1.stats inner
	bgrun "$PERL" "$HERE/pbrun.pl" "$sc" "$st" >> "$LOG" 2>&1
	local rc=$?
	stats "$st"
	RS_NS=$ST_TOTAL RS_USER=$ST_USER RS_SYS=$ST_SYS
	RS_STEPS=$(sed -n 's/^step \([^ ]*\) \([0-9]*\) .*/\1=\2/p' "$st" | tr '\n' ' ')
	for inner in cniadd cnidel; do
		if grep -q "/$inner.script" "$sc" && [ -f "${sc%/*}/$inner.stats" ]; then
			local outer_cni
			if grep -q '^cni-del' "$sc"; then outer_cni=${ST_cni_del:-0}; else outer_cni=${ST_cni:-0}; fi
			stats "${sc%/*}/$inner.stats"
			RS_NS=$((RS_NS - outer_cni + ${ST_TOTAL:-0}))
			RS_STEPS="$RS_STEPS plugin=${ST_TOTAL:-0}"
			rm -f "${sc%/*}/$inner.stats"
		fi
	done
	return $rc
}

# settle after a teardown: namespaces die asynchronously in the kernel
# (cleanup_net, under RTNL); let that finish before the next measurement.
# A short sleep, then wait while the kernel's count of network namespaces
# (slab net_namespace) is still falling (at most 5 s).
nscount() {
	local name act rest
	while read -r name act rest; do
		[ "$name" = net_namespace ] && { echo "$act"; return; }
	done < /proc/slabinfo 2>/dev/null
	echo 0
}
settle() {
	local n=$1 ms prev cur k
	ms=$((100 + n))
	[ $ms -gt 1000 ] && ms=1000
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	[ "$n" -gt 1 ] || return 0
	prev=$(nscount)
	for ((k = 0; k < 50; k++)); do
		sleep 0.1
		cur=$(nscount)
		[ "$cur" -lt "$prev" ] || break
		prev=$cur
	done
}

# Before a setup: fresh IPAM state for cni (addresses predictable).
presetup() { rm -rf "$1/ipam"; rm -f "$1/phases.out"; }

# Remove whatever a failed system may have left.
# (deleting the namespaces is enough: veth peers, particle ports and their
# records die with them; cni's IPAM state is reset before every setup)
scrub() {
	local d=$1 n
	n=$(cat "$d/names" 2>/dev/null) || return 0
	[ -n "$n" ] && del_ns_glob "$n"
}

# check SYSTEM DIR N: after a first setup, is the result what it should be?
check() {
	local sys=$1 d=$2 n=$3 got= want=$3 job ns
	case $sys in
	particle|particle-anyip|particle-s)
		job=$(cat "$d/names")
		[ "$n" -le 10000 ] || return 0
		got=$("$IP" -n "$ID-vA" particle slots "$job" 2>>"$LOG" | wc -l) ;;
	paper)
		ns=$(cat "$d/names")
		got=$("$STOCK" -n "$ns" -4 -o addr show dev pbpb 2>>"$LOG" | wc -l) ;;
	perfn-*|cni)
		ns=$(cat "$d/names")
		got=0; want=1
		"$STOCK" -n "$ns$((n - 1))" -4 -o addr show 2>>"$LOG" | grep -q 'inet 10\.' && got=1 ;;
	esac
	[ "$got" = "$want" ] && return 0
	say "CHECK FAILED: $sys n=$n: got $got, want $want"
	echo "$sys,$n,check: got $got want $want" >> "$OUT/raw/failures.csv"
	return 1
}

# Sweep N and tag for every system: (S = 2nd octet of its addresses)
sysS() {
	case $1 in particle) echo 101 ;; particle-anyip) echo 102 ;; particle-s) echo 109 ;;
	paper) echo 103 ;; perfn-step) echo 104 ;; perfn-batch) echo 105 ;; cni) echo 106 ;; esac
}
sysTag() {
	case $1 in particle) echo j ;; particle-anyip) echo k ;; particle-s) echo s ;;
	paper) echo p ;; perfn-step) echo f ;; perfn-batch) echo g ;; cni) echo c ;; esac
}

# measure SYSTEM N REP: one setup and one teardown of SYSTEM with N slots.
measure() {
	local sys=$1 n=$2 rep=$3 d=$TMP/sweep/$1-$2 add del nsn
	[ -f "$d/add.script" ] || gen "$sys" "$d" A 100 "$(sysTag "$sys")" "$n" "$(sysS "$sys")"
	presetup "$d"
	if ! runscript "$d/add.script"; then
		say "FAILED: $sys n=$n rep $rep add: $ST_FAIL (see $LOG)"
		echo "$sys,$n,add rep $rep: $ST_FAIL" >> "$OUT/raw/failures.csv"
		scrub "$d"; settle "$n"
		return 1
	fi
	add=$RS_NS
	echo "$rep,$n,$sys,add,$add" >> "$OUT/raw/sweep.csv"
	echo "$rep,$n,$sys,add,$RS_STEPS" >> "$OUT/raw/steps.csv"
	if [ "$sys" = particle-s ] && [ -f "$d/phases.out" ]; then
		echo "$rep,$n,$(cat "$d/phases.out")" >> "$OUT/raw/phases.csv"
	fi
	[ "$rep" = 1 ] && check "$sys" "$d" "$n"
	if ! runscript "$d/del.script"; then
		say "FAILED: $sys n=$n rep $rep del: $ST_FAIL"
		echo "$sys,$n,del rep $rep: $ST_FAIL" >> "$OUT/raw/failures.csv"
		scrub "$d"; settle "$n"
		return 1
	fi
	del=$RS_NS
	echo "$rep,$n,$sys,del,$del" >> "$OUT/raw/sweep.csv"
	echo "$rep,$n,$sys,del,$RS_STEPS" >> "$OUT/raw/steps.csv"
	case $sys in perfn-*|cni) nsn=$n ;; *) nsn=1 ;; esac
	settle "$nsn"
	say "$(printf '  rep %d n=%-7s %-14s add %9.1f ms  del %9.1f ms' "$rep" "$n" "$sys" \
		"$(ms "$add")" "$(ms "$del")")"
}
ms() { printf '%d.%03d' $(($1 / 1000000)) $(($1 / 1000 % 1000)); }

# --- probes -------------------------------------------------------------------
probe_particle() {
	local d=$TMP/probe j=$ID-probe
	if ! "$IP" particle help 2>&1 | grep -q 'particle add'; then
		say "ip particle: not available in $IP (all particle figures n/a)"
		return
	fi
	if "$IP" -n "$ID-vA" particle add "$j" vtep vx100 count 2 pool 10.99.1.1/16 >> "$LOG" 2>&1 &&
	   "$IP" -n "$ID-vA" particle del "$j" >> "$LOG" 2>&1; then
		PT_OK=1
	else
		say "ip particle: add/del does not work (see $LOG); particle figures n/a"
		del_ns_glob "$j"
		return
	fi
	if "$IP" -n "$ID-vA" particle add "$j" vtep vx100 count 2 pool 10.99.1.1/16 mode anyip >> "$LOG" 2>&1; then
		"$IP" -n "$ID-vA" particle del "$j" >> "$LOG" 2>&1
		PT_ANYIP=1
	else
		say "ip particle: mode anyip not supported (n/a)"
		del_ns_glob "$j"
	fi
	if out=$("$IP" -n "$ID-vA" -s particle add "$j" vtep vx100 count 2 pool 10.99.1.1/16 2>>"$LOG") &&
	   "$IP" -n "$ID-vA" particle del "$j" >> "$LOG" 2>&1 && [[ $out == *" phases "*total* ]]; then
		PT_PHASES=1
	else
		say "ip particle: -s phases not supported (n/a)"
		del_ns_glob "$j"
	fi
}
PT_ANYIP=0 PT_PHASES=0

# --- figure 1 (and the per-function half of figure 2) -------------------------
SWEEP_SYSTEMS=
fig_sweep() {
	local rep n i k sys list=() rot
	SWEEP_SYSTEMS="paper perfn-step perfn-batch cni"
	[ "$PT_OK" = 1 ] && SWEEP_SYSTEMS="particle $SWEEP_SYSTEMS"
	[ "$PT_ANYIP" = 1 ] && SWEEP_SYSTEMS="$SWEEP_SYSTEMS particle-anyip"
	read -r -a list <<< "$SWEEP_SYSTEMS"
	local big=0
	if [ "$PT_ANYIP" = 1 ]; then
		# "full only if slow": one trial; quick skips a slow 1,000,000.
		local d=$TMP/sweep/particle-anyip-$ANYIP_BIG t0=$SECONDS
		gen particle-anyip "$d" A 100 k $ANYIP_BIG 102
		if runscript "$d/add.script"; then
			runscript "$d/del.script"
			if [ "$MODE" = full ] || [ $((SECONDS - t0)) -le 5 ]; then big=1; else
				say "anyip count $ANYIP_BIG took $((SECONDS - t0)) s: only with --full"
				echo "anyip-big,skipped: slow ($((SECONDS - t0)) s), run --full" >> "$OUT/raw/failures.csv"
			fi
		else
			say "anyip count $ANYIP_BIG failed: $ST_FAIL"
			echo "particle-anyip,$ANYIP_BIG,add: $ST_FAIL" >> "$OUT/raw/failures.csv"
			scrub "$d"
		fi
		settle 1
	fi
	echo "rep,n,system,op,ns" > "$OUT/raw/sweep.csv"
	echo "rep,n,system,op,steps" > "$OUT/raw/steps.csv"
	for ((rep = 1; rep <= REPS; rep++)); do
		say "sweep: repetition $rep/$REPS ($((SECONDS - T_START)) s)"
		for n in $SWEEP_N; do
			for ((i = 0; i < ${#list[@]}; i++)); do
				k=$(((i + rep - 1) % ${#list[@]}))	# round-robin start
				sys=${list[$k]}
				case $sys in perfn-*|cni) [ "$n" -le "$PERFN_MAX" ] || continue ;; esac
				measure "$sys" "$n" "$rep"
			done
		done
		[ $big = 1 ] && measure particle-anyip $ANYIP_BIG "$rep"
	done
}

# --- figure 2: ip particle -s phases ------------------------------------------
fig_phases() {
	local rep n
	[ "$PT_PHASES" = 1 ] || return 0
	echo "rep,n,phases" > "$OUT/raw/phases.csv"
	for ((rep = 1; rep <= REPS; rep++)); do
		for n in $PHASE_N; do measure particle-s "$n" "$rep"; done
	done
}

# --- figure 3/4: jobs on two nodes ----------------------------------------------
# job_scripts SYSTEM TAG VNI S K: setup/teardown for both nodes of one tenant
# in $TMP/job/TAG{A,B}; function namespaces/addresses follow fn_ns/fn_addr.
job_scripts() {
	local sys=$1 tag=$2 vni=$3 s=$4 k=$5 x
	for x in A B; do
		rm -rf "$TMP/job/$tag$x"
		gen "$sys" "$TMP/job/$tag$x" "$x" "$vni" "$tag" "$k" "$s"
	done
}

# job_fns PATTERN SYSTEM TAG S K FILE: one command line per function.
job_fns() {
	local pat=$1 sys=$2 tag=$3 s=$4 k=$5 f=$6 i x ns a lead dests= port
	local run="$NSENTER --net=/run/netns/%s $UNSHARE -mpuf --kill-child $PERL $HERE/fn.pl"
	: > "$f"
	if [ "$pat" = agg ]; then
		port=7000
		fn_addr lead "$s" A 0
		fn_ns ns "$sys" "$tag" A 0
		printf "$run serve %s %d %d\n" "$ns" "$lead" $port $((2 * k - 1)) >> "$f"
		for x in A B; do
			for ((i = 0; i < k; i++)); do
				[ $x = A ] && [ $i = 0 ] && continue
				fn_ns ns "$sys" "$tag" $x $i
				fn_addr a "$s" $x $i
				printf "$run send %s %d %s\n" "$ns" "$a" $port "$lead" >> "$f"
			done
		done
	else
		port=7001
		for ((i = 0; i < k; i++)); do
			fn_ns ns "$sys" "$tag" B $i
			fn_addr a "$s" B $i
			dests="$dests $a"
			printf "$run serve %s %d %d\n" "$ns" "$a" $port "$k" >> "$f"
		done
		for ((i = 0; i < k; i++)); do
			fn_ns ns "$sys" "$tag" A $i
			fn_addr a "$s" A $i
			printf "$run send %s %d%s\n" "$ns" "$a" $port "$dests" >> "$f"
		done
	fi
}

# run_tenants LABEL PATTERN SYSTEM T K REP CSV: T tenants (VNI 101..) of the
# same system, K functions per node each, all starting at once.
run_tenants() {
	local label=$1 pat=$2 sys=$3 nt=$4 k=$5 rep=$6 csv=$7 t tag s vni args=() rc out
	for ((t = 1; t <= nt; t++)); do
		tag=t$t s=$((130 + t)) vni=$((100 + t))
		[ "$label" = jobs ] && tag=J s=130 vni=100
		job_scripts "$sys" "$tag" "$vni" "$s" "$k"
		presetup "$TMP/job/${tag}A"; presetup "$TMP/job/${tag}B"
		job_fns "$pat" "$sys" "$tag" "$s" "$k" "$TMP/job/$tag.fns"
		args+=(--tenant "$tag" --setup "$TMP/job/${tag}A/add.script" \
			--setup "$TMP/job/${tag}B/add.script" --fns "$TMP/job/$tag.fns")
	done
	out=$TMP/job/out
	PB_FN_TIMEOUT=$((JOB_TIMEOUT - 5)) bgrun "$PERL" "$HERE/pbjob.pl" --timeout "$JOB_TIMEOUT" \
		"${args[@]}" > "$out" 2>> "$LOG"
	rc=$?
	cat "$out" >> "$LOG"
	for ((t = 1; t <= nt; t++)); do
		tag=t$t
		[ "$label" = jobs ] && tag=J
		cat "$TMP/job/$tag.fns.log" >> "$LOG" 2>/dev/null
		local line net end fail msgs
		line=$(grep "^tenant $tag " "$out")
		net=$(awk '{print $6}' <<< "$line"); end=$(awk '{print $8}' <<< "$line")
		fail=$(awk '{print $10}' <<< "$line")
		if [ "$pat" = agg ]; then msgs=$((2 * k - 1)); else msgs=$((k * k)); fi
		echo "$rep,$pat,$sys,$nt,$tag,$k,$msgs,${net:--1},${end:--1},${fail:-1}" >> "$csv"
		say "$(printf '  rep %d %-7s %-12s tenants %d %-3s %3d fns/node: network %8.1f ms, last message %8.1f ms%s' \
			"$rep" "$pat" "$sys" "$nt" "$tag" "$k" "$(ms "${net:-0}")" "$(ms "${end:-0}")" \
			"$([ "${fail:-1}" != 0 ] && echo "  FAILED ($fail)")")"
		[ "${fail:-1}" = 0 ] || echo "$sys,$label,$pat tenants $nt $tag rep $rep: $fail failures" >> "$OUT/raw/failures.csv"
		runscript "$TMP/job/${tag}A/del.script" || scrub "$TMP/job/${tag}A"
		runscript "$TMP/job/${tag}B/del.script" || scrub "$TMP/job/${tag}B"
	done
	case $sys in perfn-*|cni) settle $((2 * k)) ;; *) settle 1 ;; esac
	return $rc
}

# The per-function overlay used in jobs/tput: the anchor of the sweep (the
# faster of perfn-step and perfn-batch at N=100), perfn-batch if unknown.
perfn_anchor() {
	local f=$OUT/raw/sweep.csv
	[ -f "$f" ] || { echo perfn-batch; return; }
	"$PERL" -F, -lane '
		next unless $F[1] == 100 && $F[3] eq "add" && $F[2] =~ /^perfn-/;
		push @{$v{$F[2]}}, $F[4];
		END {
			my ($best, $bm);
			for my $s (keys %v) { my @x = sort { $a <=> $b } @{$v{$s}}; my $m = $x[$#x / 2];
				($best, $bm) = ($s, $m) if !defined $bm || $m < $bm; }
			print $best // "perfn-batch";
		}' "$f"
}

# The kernel's ARP table (arp_cache) is one table for all network
# namespaces, limited by the host's gc_thresh3 (1024 by default; a host
# sysctl we must not touch).  A per-function shuffle of K x K functions
# needs 2 K^2 entries (every sender namespace resolves every receiver and
# back), 100 x 100 would need 20,000: the table overflows, ARP fails, for us
# and for everybody else on the machine.  So: every job first checks that
# its entries fit under ARP_BUDGET, and the shuffle of all systems runs with
# SHUF_K functions per node (plus ip particle alone at full size: it needs
# only 2 K entries, one namespace per node).
ARP_BUDGET=${ARP_BUDGET:-700}
SHUF_K=${SHUF_K:-15}
arp_entries() {
	"$STOCK" -s ntable show name arp_cache 2>/dev/null |
		sed -n 's/.* entries \([0-9]*\).*/\1/p' | head -1
}
arp_need() {	# SYSTEM PATTERN K
	case $1/$2 in
	particle*/*) echo $((2 * $3 + 2)) ;;
	*/agg) echo $((4 * $3)) ;;
	*) echo $((2 * $3 * $3)) ;;
	esac
}
arp_fits() {	# SYSTEM PATTERN K WHAT
	local have need
	have=$(arp_entries); have=${have:-0}
	need=$(arp_need "$1" "$2" "$3")
	[ $((have + need)) -le "$ARP_BUDGET" ] && return 0
	say "  skipped $4 $1 ($2, $3 per node): needs ~$need ARP entries, $have in use, budget $ARP_BUDGET"
	echo "$1,$4,$2 $3 per node skipped: needs ~$need ARP entries (kernel-wide table; $have in use; budget $ARP_BUDGET)" >> "$OUT/raw/failures.csv"
	return 1
}

fig_jobs() {
	local rep pat i k list=() sys pf kk
	pf=$(perfn_anchor)
	list=(cni "$pf")
	[ "$PT_OK" = 1 ] && list=(particle "${list[@]}")
	kk=$SHUF_K
	[ "$FNS" -lt "$kk" ] && kk=$FNS
	echo "rep,pattern,system,tenants,tenant,fns_per_node,messages,net_ns,end_ns,fail" > "$OUT/raw/jobs.csv"
	for ((rep = 1; rep <= JOB_REPS; rep++)); do
		for pat in agg shuffle; do
			k=$FNS
			[ $pat = shuffle ] && k=$kk
			say "jobs: $pat repetition $rep/$JOB_REPS, $k functions per node ($((SECONDS - T_START)) s)"
			for ((i = 0; i < ${#list[@]}; i++)); do
				sys=${list[$(((i + rep - 1) % ${#list[@]}))]}
				arp_fits "$sys" $pat "$k" jobs || continue
				run_tenants jobs "$pat" "$sys" 1 "$k" "$rep" "$OUT/raw/jobs.csv"
			done
			if [ $pat = shuffle ] && [ "$PT_OK" = 1 ] && [ "$FNS" -gt "$kk" ] &&
			   arp_fits particle shuffle "$FNS" jobs; then
				run_tenants jobs shuffle particle 1 "$FNS" "$rep" "$OUT/raw/jobs.csv"
			fi
		done
	done
}

fig_tenants() {
	local rep nt i list=(1 2 5) k
	[ "$PT_OK" = 1 ] || return 0
	echo "rep,pattern,system,tenants,tenant,fns_per_node,messages,net_ns,end_ns,fail" > "$OUT/raw/tenants.csv"
	for ((rep = 1; rep <= TEN_REPS; rep++)); do
		say "tenants: repetition $rep/$TEN_REPS ($((SECONDS - T_START)) s)"
		for ((i = 0; i < 3; i++)); do
			nt=${list[$(((i + rep - 1) % 3))]}
			k=$((FNS / nt))
			run_tenants tenants agg particle "$nt" "$k" "$rep" "$OUT/raw/tenants.csv"
		done
	done
}

# --- figure 5: throughput ---------------------------------------------------------
fig_tput() {
	local rep i sys list=() pf srv cli na nb aa ab bps pid k
	[ -n "$IPERF3" ] || { say "iperf3 missing: throughput n/a"; return 0; }
	[ "$PT_OK" = 1 ] || { say "throughput: ip particle n/a"; return 0; }
	pf=$(perfn_anchor)
	list=(particle "$pf")
	echo "rep,system,bits_per_second" > "$OUT/raw/tput.csv"
	# 100 functions per node for particle (as §5.5), 10 per-function
	# namespaces per node (only two of them carry traffic).
	job_scripts particle P 100 150 100
	job_scripts "$pf" Q 100 151 10
	for x in PA PB QA QB; do
		runscript "$TMP/job/$x/add.script" || { say "throughput: setup $x failed: $ST_FAIL"; return 1; }
	done
	for ((rep = 1; rep <= TPUT_REPS; rep++)); do
		for ((i = 0; i < 2; i++)); do
			sys=${list[$(((i + rep - 1) % 2))]}
			if [ "$sys" = particle ]; then
				fn_ns na particle P A 42; fn_ns nb particle P B 17
				fn_addr aa 150 A 42; fn_addr ab 150 B 17
			else
				fn_ns na "$pf" Q A 4; fn_ns nb "$pf" Q B 7
				fn_addr aa 151 A 4; fn_addr ab 151 B 7
			fi
			"$NSENTER" --net="/run/netns/$nb" "$IPERF3" -s -1 -B "$ab" -p 5301 >> "$LOG" 2>&1 &
			pid=$!
			BGPIDS="$BGPIDS $pid"
			bps=
			for k in 1 2 3 4 5 6 7 8 9 10; do
				sleep 0.2
				if "$NSENTER" --net="/run/netns/$na" "$IPERF3" -c "$ab" -B "$aa" -p 5301 \
					-t "$TPUT_T" -J > "$TMP/iperf.json" 2>> "$LOG"; then
					bps=$(jq -r '.end.sum_received.bits_per_second' "$TMP/iperf.json")
					break
				fi
			done
			kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
			BGPIDS=${BGPIDS% $pid}
			cp "$TMP/iperf.json" "$OUT/raw/iperf-$sys-$rep.json" 2>/dev/null
			echo "$rep,$sys,${bps:-0}" >> "$OUT/raw/tput.csv"
			say "$(printf '  rep %d %-12s %s -> %s: %s Gbit/s' "$rep" "$sys" "$aa" "$ab" \
				"$(awk -v b="${bps:-0}" 'BEGIN {printf "%.2f", b / 1e9}')")"
		done
	done
	for x in PA PB QA QB; do runscript "$TMP/job/$x/del.script" || scrub "$TMP/job/$x"; done
}

# --- figure 6: pool cost (issue 4) ---------------------------------------------------
# gen_kbatch DIR NS COUNT S: the kernel's own cost of inserting COUNT
# addresses in one batch: one stock "ip -batch" of COUNT "addr add" lines
# (as many consecutive addresses, same /16 prefix, as the addrs pool) on one
# device, pbkb, of a veth pair in a scratch namespace of ours.  pre.script
# builds the namespace and sets both ends up (not timed); add.script is the
# batch alone.
gen_kbatch() {
	local d=$1 ns=$2 k=$3 s=$4 i a b0
	b0=$(base "$s" A)
	mkdir -p "$d"
	for ((i = 0; i < k; i++)); do
		ip4v a $((b0 + i))
		echo "addr add $a/16 dev pbkb"
	done > "$d/addrs.b"
	cat > "$d/pre.script" <<-EOF
	netns	$STOCK netns add $ns
	veth	$STOCK -n $ns link add pbka type veth peer name pbkb
	up	$STOCK -n $ns link set pbka up
	up	$STOCK -n $ns link set pbkb up
	EOF
	printf 'batch\t%s -n %s -batch %s\n' "$STOCK" "$ns" "$d/addrs.b" > "$d/add.script"
	# the link first: its addresses go synchronously, not in the
	# namespace's asynchronous cleanup (particle del does the same)
	printf 'del-port\t%s -n %s link del pbka\ndel-netns\t%s netns del %s\n' \
		"$STOCK" "$ns" "$STOCK" "$ns" > "$d/del.script"
	echo "$ns" > "$d/names"
}

# pool_measure SYSTEM N REP: one setup (timed, with its CPU) and teardown.
pool_measure() {
	local sys=$1 n=$2 rep=$3 d=$TMP/pools/$1 add u sy got
	case $sys in
	kbatch)
		[ -f "$d/add.script" ] || gen_kbatch "$d" "$ID-K" "$n" 112
		if ! runscript "$d/pre.script"; then
			say "FAILED: pools $sys rep $rep scratch namespace: $ST_FAIL"
			echo "pools-$sys,$n,pre rep $rep: $ST_FAIL" >> "$OUT/raw/failures.csv"
			scrub "$d"; return 1
		fi ;;
	particle)
		[ -f "$d/add.script" ] || gen particle "$d" A 100 q "$n" 110 ;;
	particle-anyip)
		[ -f "$d/add.script" ] || gen particle-anyip "$d" A 100 r "$n" 111 ;;
	esac
	if ! runscript "$d/add.script"; then
		say "FAILED: pools $sys n=$n rep $rep add: $ST_FAIL (see $LOG)"
		echo "pools-$sys,$n,add rep $rep: $ST_FAIL" >> "$OUT/raw/failures.csv"
		scrub "$d"; settle 2
		return 1
	fi
	add=$RS_NS u=$RS_USER sy=$RS_SYS
	echo "$rep,$sys,$n,add,$add,$u,$sy" >> "$OUT/raw/pools.csv"
	if [ "$rep" = 1 ]; then
		if [ "$sys" = kbatch ]; then
			got=$("$STOCK" -n "$ID-K" -4 -o addr show dev pbkb 2>>"$LOG" | wc -l)
			if [ "$got" != "$n" ]; then
				say "CHECK FAILED: pools kbatch n=$n: got $got addresses"
				echo "pools-kbatch,$n,check: got $got want $n" >> "$OUT/raw/failures.csv"
			fi
		else
			check "$sys" "$d" "$n"
		fi
	fi
	if runscript "$d/del.script"; then
		echo "$rep,$sys,$n,del,$RS_NS,$RS_USER,$RS_SYS" >> "$OUT/raw/pools.csv"
	else
		say "FAILED: pools $sys n=$n rep $rep del: $ST_FAIL"
		echo "pools-$sys,$n,del rep $rep: $ST_FAIL" >> "$OUT/raw/failures.csv"
		scrub "$d"
	fi
	settle 2
	say "$(printf '  rep %d n=%-7s %-14s add %9.1f ms  (user %7.1f ms, sys %7.1f ms)' "$rep" "$n" "$sys" \
		"$(ms "$add")" "$(ms "$u")" "$(ms "$sy")")"
}

# Figure 6: anyip with POOL_ANYIP slots vs addrs with POOL_ADDRS (same node,
# same vtep), and the kernel's own batch insert of those POOL_ADDRS
# addresses; the three interleaved (round-robin, one further every time).
fig_pools() {
	local rep i list=() sys n
	[ "$PT_OK" = 1 ] && list=(particle)
	[ "$PT_ANYIP" = 1 ] && list=(particle-anyip "${list[@]}")
	list+=(kbatch)
	echo "rep,system,n,op,ns,user_ns,sys_ns" > "$OUT/raw/pools.csv"
	for ((rep = 1; rep <= POOL_REPS; rep++)); do
		say "pools: repetition $rep/$POOL_REPS ($((SECONDS - T_START)) s)"
		for ((i = 0; i < ${#list[@]}; i++)); do
			sys=${list[$(((i + rep - 1) % ${#list[@]}))]}
			n=$POOL_ADDRS
			[ "$sys" = particle-anyip ] && n=$POOL_ANYIP
			pool_measure "$sys" "$n" "$rep"
		done
	done
}

# --- main -----------------------------------------------------------------------------
machine > "$OUT/machine.txt"
say "particle bench ($MODE) -> $OUT"
say "$(grep -E '^(kernel|cpu|nproc|load):' "$OUT/machine.txt" | tr '\n' ';')"
make_nodes || die "cannot build the two-node topology"
probe_particle
: > "$OUT/raw/failures.csv"
want sweep && fig_sweep
want phases && fig_phases
want pools && fig_pools
want density && [ "$PT_OK" = 1 ] && ID=$ID MODE=$MODE OUT=$OUT LOG=$LOG IP=$IP STOCK_IP=$STOCK bgrun "$HERE/density.sh"
want conc && bgrun "$HERE/conc.sh" --out "$OUT" $([ "$MODE" = quick ] && echo --rounds 20 --reps 3 --loops 5)	# issue 10
# quick must stay under 5 minutes: on a machine so busy that the sweep used
# most of that, the jobs shrink (and say so)
if [ "$MODE" = quick ] && [ $((SECONDS - T_START)) -gt 190 ] && [ "$FNS" -gt 25 ]; then
	say "quick: $((SECONDS - T_START)) s used by the sweep and pools; jobs with 25 functions per node, 2 iperf3 runs"
	echo "quick,reduced: busy machine ($((SECONDS - T_START)) s after the sweep and pools): jobs with 25 functions per node, 2 iperf3 runs" >> "$OUT/raw/failures.csv"
	FNS=25 TPUT_REPS=2
fi
{
	echo "particle=$PT_OK anyip=$PT_ANYIP phases=$PT_PHASES"
	echo "sweep_n=$SWEEP_N perfn_max=$PERFN_MAX reps=$REPS"
	echo "fns_per_node=$FNS job_reps=$JOB_REPS ten_reps=$TEN_REPS tput_t=$TPUT_T tput_reps=$TPUT_REPS"
	echo "shuf_k=$SHUF_K arp_budget=$ARP_BUDGET"
	echo "pool_reps=$POOL_REPS pool_addrs=$POOL_ADDRS pool_anyip=$POOL_ANYIP"
} > "$OUT/raw/config.txt"
want jobs && fig_jobs
want tenants && fig_tenants
want tput && fig_tput
. "$HERE/fns.sh"
want fns && fig_fns
want kim && { bgrun env IP="$IP" "$HERE/kim.sh" "--$MODE" --out "$OUT" || say "kim.sh failed"; }
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"
echo "wall: $((SECONDS - T_START)) s" >> "$OUT/machine.txt"

"$PERL" "$HERE/report.pl" "$OUT" || die "report failed"
[ -f "$OUT/goals-fns.txt" ] && cat "$OUT/goals-fns.txt" >>"$OUT/goals.txt" &&
	cat "$OUT/fig8.md" "$OUT/goals-fns.txt" >>"$OUT/summary.md"
[ -f "$OUT/goals-kim.txt" ] && cat "$OUT/goals-kim.txt" >> "$OUT/goals.txt" && cat "$OUT/kim.md" >> "$OUT/summary.md"
[ -f "$OUT/goals-conc.txt" ] && cat "$OUT/goals-conc.txt" >> "$OUT/goals.txt"	# --only conc
ln -sfn "$(basename "$OUT")" "$(dirname "$OUT")/latest"
if [ "$PUBLISH" = 1 ]; then
	cp "$OUT/README-figures.md" "$HERE/README-figures.md"
	[ -f "$OUT/fig1.png" ] && mkdir -p "$TOP/doc" && cp "$OUT/fig1.png" "$TOP/doc/particle-bench.png"
	say "published particle/bench/README-figures.md and doc/particle-bench.png"
fi
say "done in $((SECONDS - T_START)) s: $OUT/summary.md"

