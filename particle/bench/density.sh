#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# particle/bench/density.sh: figure 7, density (issue 13).  run.sh runs it
# (--only density); alone:
#
#   IP=build/iproute2-6.1.0/ip/ip particle/bench/density.sh [--quick|--full]
#       [--out DIR]
#
# J = 0, 100, 500, 1000 jobs (count 4) already present, either all on the
# bridge of the measured job ("one") or spread over four other bridges of
# the same vtep namespace ("four").  At each J, interleaved repetitions of:
#   add     ip particle -s add (default pool) on br200, with its phases
#   del     ip particle -s del of that job, with its phases
#   netns   stock ip netns add / del            (the kernel's own growth)
#   veth    stock ip link add ... master br200 up type veth / link del, in
#           the vtep namespace                  (the kernel's own growth)
#   dump    stock ip -br link show master br200 (the kernel listing the
#           bridge's ports; what a filtered dump costs it)
# The stock veth and dump commands enter the vtep namespace with nsenter
# --net, not ip -n: ip -n copies the host's mount namespace, one mount per
# job namespace, a growth that is stock ip's own and that particle's add
# does not pay (it would be set aside as the kernel's otherwise).
# The jobs are filled in with ip -batch (100, 400, 500 adds) and removed
# with one ip -batch of 1000 dels; those wall times are measured too.
# Then J = 0 is measured again, so that the machine's drift over the
# sweep is on both sides.  The sweep is made DENS_ROUNDS times (2) per
# layout, J = 0 between the sweeps measured once: a slow spell of the
# host, which can double every figure for seconds, then falls on one block
# of a J among several.  Each J's figures are the medians of all its
# blocks.
# Writes OUT/raw/density.csv, density-batch.csv, density-phases.csv (add's),
# density-delphases.csv;
# density.pl turns them into fig7.{md,csv,png} and the goals.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
PERL=$(command -v perl)
MODE=${MODE:-quick}
OUT=${OUT:-}
while [ $# -gt 0 ]; do
	case $1 in
	--quick) MODE=quick ;;
	--full) MODE=full ;;
	--out) OUT=$2; shift ;;
	*) echo "density.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || { echo "density.sh: must run as root" >&2; exit 1; }
: "${OUT:=$TOP/bench/results/density-$MODE-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT/raw"
LOG=${LOG:-$OUT/run.log}
if [ "$MODE" = quick ]; then : "${DENS_REPS:=3}"; else : "${DENS_REPS:=7}"; fi
DENS_J=${DENS_J:-"0 100 500 1000"}
: "${DENS_ROUNDS:=2}"

DID=${ID:-pb$$}-d		# every name we make starts with $DID
VT=$DID-v			# the vtep namespace
DT=$(mktemp -d "/tmp/${DID}.XXXXXX")
NSNET="$(command -v nsenter) --net=/run/netns/$VT"
say() { printf '%s\n' "$*" >&2; printf '%s\n' "$*" >> "$LOG"; }

# Everything of ours: the jobs (flush in our own vtep namespace only), the
# stock namespace, the vtep namespace.
dens_cleanup() {
	local f b=$DT/clean.b
	[ -e "/run/netns/$VT" ] && "$IP" -n "$VT" particle flush >> "$LOG" 2>&1
	: > "$b"
	for f in /run/netns/"$DID"*; do
		[ -e "$f" ] && echo "netns del ${f##*/}" >> "$b"
	done
	[ -s "$b" ] && "$STOCK" -force -batch "$b" >> "$LOG" 2>&1
	rm -rf "$DT"
}
trap 'dens_cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The kernel frees namespaces and DELLINKs later (under RTNL): wait until
# no port of ours is left and the count of network namespaces stops
# falling, so that the next measurement does not pay for them.
nscount() { awk '$1 == "net_namespace" { print $2; exit }' /proc/slabinfo 2>/dev/null || echo 0; }
quiet() {
	local k prev cur
	for ((k = 0; k < 600 && ${1:-0}; k++)); do
		[ -z "$("$STOCK" -n "$VT" -o link show type veth 2>/dev/null | head -1)" ] && break
		sleep 0.1
	done
	prev=$(nscount)
	for ((k = 0; k < 100; k++)); do
		sleep 0.2
		cur=$(nscount)
		[ "$cur" -lt "$prev" ] || break
		prev=$cur
	done
}

# The vtep namespace: vx200 on br200 (the measured job's), vx201..vx204
# on br201..br204 (layout "four"), each bridge with 10.B.255.254/16 and,
# as ip particle makes its bridges and as the test suite's are, without
# multicast snooping (DENS_SNOOP=1 keeps the kernel's default, snooping
# on: 0.5-0.8 ms more per add and del at J = 1000, the kernel's).
make_vtep() {
	local b
	"$STOCK" netns add "$VT" || return 1
	{
		echo "link set lo up"
		for b in 200 201 202 203 204; do
			echo "link add vx$b type vxlan id $b dstport 4789 local 192.0.2.1"
			echo "link add br$b type bridge mcast_snooping ${DENS_SNOOP:-0}"
			echo "link set vx$b master br$b"
			echo "link set vx$b up"
			echo "link set br$b up"
			echo "addr add 10.$b.255.254/16 dev br$b"
		done
	} > "$DT/vtep.b"
	"$STOCK" -n "$VT" -batch "$DT/vtep.b"
}

# fill LAYOUT FROM TO: one ip -batch adding jobs FROM..TO-1 (count 4,
# explicit pools, consecutive from 10.B.0.1), timed.
fill() {
	local lay=$1 from=$2 to=$3 i b k a
	for ((i = from; i < to; i++)); do
		if [ "$lay" = one ]; then b=200 k=$i; else b=$((201 + i % 4)) k=$((i / 4)); fi
		a=$((k * 4 + 1))
		echo "particle add $DID$i vtep vx$b count 4 pool 10.$b.$((a / 256)).$((a % 256))/16"
	done > "$DT/fill.b"
	printf 'batch-add\t%s -n %s -batch %s\n' "$IP" "$VT" "$DT/fill.b" > "$DT/fill.script"
	"$PERL" "$HERE/pbrun.pl" "$DT/fill.script" "$DT/fill.stats" >> "$LOG" 2>&1 ||
		{ say "density: batch add $lay $from..$to failed (see $LOG)"; return 1; }
	echo "$lay,$((to - from)),add,$(awk '$1 == "total" { print $2 }' "$DT/fill.stats")" >> "$OUT/raw/density-batch.csv"
}

# empty LAYOUT N: one ip -batch deleting all N jobs, timed.
empty() {
	local lay=$1 n=$2 i
	for ((i = 0; i < n; i++)); do echo "particle del $DID$i"; done > "$DT/empty.b"
	printf 'batch-del\t%s -n %s -batch %s\n' "$IP" "$VT" "$DT/empty.b" > "$DT/empty.script"
	"$PERL" "$HERE/pbrun.pl" "$DT/empty.script" "$DT/empty.stats" >> "$LOG" 2>&1 ||
		say "density: batch del $lay of $n failed (see $LOG)"
	echo "$lay,$n,del,$(awk '$1 == "total" { print $2 }' "$DT/empty.stats")" >> "$OUT/raw/density-batch.csv"
	quiet 1
}

# measure LAYOUT J [FIRST]: DENS_REPS repetitions, numbered from FIRST
# (1), the four systems round-robin.
measure() {
	local lay=$1 j=$2 first=${3:-1} r i k sc=$DT/m.script
	local sys=(particle netns veth dump)
	: > "$DT/phases.out"
	: > "$DT/delphases.out"
	{
		for ((r = first; r < first + DENS_REPS; r++)); do
			for ((i = 0; i < 4; i++)); do
				k=${sys[$(((i + r - 1) % 4))]}
				case $k in
				particle)
					printf 'add-%d\t%s -n %s -s particle add %sm vtep vx200 count 4 >>%s\n' \
						"$r" "$IP" "$VT" "$DID" "$DT/phases.out"
					printf 'settle\t/bin/sleep 0.05\n'
					printf 'del-%d\t%s -n %s -s particle del %sm >>%s\n' \
						"$r" "$IP" "$VT" "$DID" "$DT/delphases.out" ;;
				netns)
					printf 'netns_add-%d\t%s netns add %sn\n' "$r" "$STOCK" "$DID"
					printf 'netns_del-%d\t%s netns del %sn\n' "$r" "$STOCK" "$DID" ;;
				veth)
					printf 'veth_add-%d\t%s %s link add pbdv master br200 up type veth peer name pbdw\n' \
						"$r" "$NSNET" "$STOCK"
					printf 'veth_del-%d\t%s %s link del pbdv\n' "$r" "$NSNET" "$STOCK" ;;
				dump)
					printf 'dump-%d\t%s %s -br link show master br200 >/dev/null\n' \
						"$r" "$NSNET" "$STOCK" ;;
				esac
				printf 'settle\t/bin/sleep 0.15\n'
			done
		done
	} > "$sc"
	if ! "$PERL" "$HERE/pbrun.pl" "$sc" "$sc.stats" >> "$LOG" 2>&1; then
		say "density: measurement $lay J=$j failed: $(grep '^fail' "$sc.stats") (see $LOG)"
		"$IP" -n "$VT" particle del "${DID}m" >> "$LOG" 2>&1
		"$STOCK" netns del "${DID}n" >> "$LOG" 2>&1
		"$STOCK" -n "$VT" link del pbdv >> "$LOG" 2>&1
	fi
	awk -v l="$lay" -v j="$j" '$1 == "step" && $2 ~ /-[0-9]+$/ {
		n = split($2, p, "-"); printf "%s,%d,%d,%s,%d\n", l, j, p[2], p[1], $3 }
		$1 == "cpu" && $2 ~ /^(add|del)-[0-9]+$/ {	# user and system CPU
		split($2, p, "-"); printf "%s,%d,%d,%s_user,%d\n%s,%d,%d,%s_sys,%d\n",
			l, j, p[2], p[1], $3, l, j, p[2], p[1], $4 }' \
		"$sc.stats" >> "$OUT/raw/density.csv"
	for k in phases delphases; do
		awk -v l="$lay" -v j="$j" '{ printf "%s,%d,%s\n", l, j, $0 }' "$DT/$k.out" \
			>> "$OUT/raw/density-$k.csv"
	done
	say "$(printf '  density %-4s J=%-4d add %s ms, del %s ms (median of %d)' "$lay" "$j" \
		"$(awk -F, -v l="$lay" -v j="$j" '$1 == l && $2 == j && $4 == "add" { print $5 / 1e6 }' "$OUT/raw/density.csv" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')" \
		"$(awk -F, -v l="$lay" -v j="$j" '$1 == l && $2 == j && $4 == "del" { print $5 / 1e6 }' "$OUT/raw/density.csv" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')" \
		"$DENS_REPS")"
}

echo "layout,j,rep,what,ns" > "$OUT/raw/density.csv"
echo "layout,n,op,ns" > "$OUT/raw/density-batch.csv"
echo "layout,j,phases" > "$OUT/raw/density-phases.csv"
echo "layout,j,phases" > "$OUT/raw/density-delphases.csv"
echo "reps=$DENS_REPS j=${DENS_J// /:} rounds=$DENS_ROUNDS snoop=${DENS_SNOOP:-0}" > "$OUT/raw/density-config.txt"
make_vtep || { say "density: cannot build the vtep namespace"; exit 1; }
# warm up (caches, the first namespace of the run) outside the figures
"$IP" -n "$VT" particle add "${DID}m" vtep vx200 count 4 >> "$LOG" 2>&1 &&
	"$IP" -n "$VT" particle del "${DID}m" >> "$LOG" 2>&1
quiet
for lay in one four; do
	for ((round = 0; round < DENS_ROUNDS; round++)); do
		have=0
		for j in $DENS_J; do
			if [ "$j" -gt "$have" ]; then
				fill "$lay" "$have" "$j" || break
				have=$j
				quiet
			fi
			# J = 0 of a later round is the previous sweep's "after"
			[ "$j" = 0 ] && [ "$round" -gt 0 ] && continue
			measure "$lay" "$j" $((round * DENS_REPS + 1))
		done
		[ "$have" -gt 0 ] || break
		empty "$lay" "$have"
		# J = 0 once more, the jobs gone: the machine's drift over the
		# sweep falls on both ends of the ratios (repetitions past the
		# first DENS_REPS)
		[ "${DENS_J%% *}" = 0 ] && measure "$lay" 0 $(((round + 1) * DENS_REPS + 1))
	done
done
"$PERL" "$HERE/density.pl" "$OUT" || say "density: report failed"
