#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# particle/bench/conc.sh: many "ip particle" processes at once (issue 10).
#
#   IP=build/iproute2-6.1.0/ip/ip particle/bench/conc.sh [--out DIR]
#       [--rounds R] [--reps N] [--loops L]
#
# 1. overlap: R rounds of 8 concurrent default-pool adds on one bridge;
#    after each, the addresses the kernel holds on every job's eth0 are
#    compared: overlapping addresses must be 0.  Also the wait for the
#    bridge lock of every add (add -s -j: phases.lock), median and max.
# 2. throughput: 8 concurrent loops of L (add count 10 + del) on one
#    bridge against the same 8 x L add/del done serially by one loop;
#    N repetitions interleaved (serial, concurrent, serial, ...), medians.
#    Goal: concurrent rate >= 0.8 x serial rate.  The same with the 8 loops
#    on 8 bridges shows what the per-bridge lock leaves to the kernel.
# Writes DIR/conc.md, DIR/conc.csv and DIR/goals-conc.txt (run.sh appends
# them to goals.txt).  Everything lives in namespaces named pc<PID>-*.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
OUT= ROUNDS=100 REPS=5 LOOPS=10
while [ $# -gt 0 ]; do
	case $1 in
	--out) OUT=$2; shift ;;
	--rounds) ROUNDS=$2; shift ;;
	--reps) REPS=$2; shift ;;
	--loops) LOOPS=$2; shift ;;
	*) sed -n '3,5p' "$0" >&2; exit 2 ;;
	esac
	shift
done
: "${OUT:=$TOP/bench/results/conc-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
[ "$(id -u)" = 0 ] || { echo "conc.sh: must run as root" >&2; exit 1; }
command -v jq >/dev/null || { echo "conc.sh: needs jq" >&2; exit 1; }

ID=pc$$
V=$ID-v
TMP=$(mktemp -d "/tmp/$ID.XXXXXX")
cleanup() {
	local f
	"$IP" -n "$V" particle flush >/dev/null 2>&1
	for f in /run/netns/"$ID"-*; do
		[ -e "$f" ] && "$STOCK" netns del "${f##*/}" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

say() { printf '%s\n' "$*" >&2; }
now() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

"$STOCK" netns add "$V" || exit 1
{
	echo "link set lo up"
	for b in 0 1 2 3 4 5 6 7; do
		echo "link add br$b type bridge"
		echo "addr add 10.9$b.0.1/16 dev br$b"
		echo "link set br$b up"
	done
} > "$TMP/topo"
"$STOCK" -n "$V" -batch "$TMP/topo" || exit 1

# ---- 1. overlap and lock wait ----
say "conc: $ROUNDS rounds of 8 concurrent default-pool adds on one bridge"
overlaps=0 failed=0
: > "$TMP/lock"
for ((r = 0; r < ROUNDS; r++)); do
	pids=()
	for k in 0 1 2 3 4 5 6 7; do
		"$IP" -n "$V" -s -j particle add "$ID-o$k" vtep br0 count 10 \
			> "$TMP/add$k" 2>&1 &
		pids+=($!)
	done
	for k in 0 1 2 3 4 5 6 7; do
		wait "${pids[k]}" || failed=$((failed + 1))
		jq -r '.phases.lock' "$TMP/add$k" >> "$TMP/lock" 2>/dev/null
		jq -r '.phases.total' "$TMP/add$k" >> "$TMP/total" 2>/dev/null
	done
	n=$(for k in 0 1 2 3 4 5 6 7; do
		"$STOCK" -n "$ID-o$k" -4 -o addr show dev eth0 2>/dev/null |
			awk '{ sub("/.*", "", $4); print $4 }'
	done | sort | uniq -d | wc -l)
	overlaps=$((overlaps + n))
	"$IP" -n "$V" particle flush || failed=$((failed + 1))
done
lock_med=$(median < "$TMP/lock")
lock_max=$(sort -n "$TMP/lock" | tail -1)
total_med=$(median < "$TMP/total")
say "conc: overlapping addresses $overlaps, failed commands $failed, lock wait median ${lock_med} us max ${lock_max} us (add total median ${total_med} us)"

# ---- 2. throughput ----
# loop J BR N: N times add J on BR (default pool, count 10) and del J
loop() {
	local j=$1 br=$2 n=$3 i
	for ((i = 0; i < n; i++)); do
		"$IP" -n "$V" particle add "$j" vtep "$br" count 10 || return 1
		"$IP" -n "$V" particle del "$j" || return 1
	done
}
# run MODE: prints the add/del pairs per second
run() {
	local mode=$1 t0 t1 k pids=() bad=0
	t0=$(now)
	case $mode in
	serial) loop "$ID-s" br0 $((8 * LOOPS)) || bad=1 ;;
	one | eight)
		for k in 0 1 2 3 4 5 6 7; do
			loop "$ID-c$k" "br$([ "$mode" = one ] && echo 0 || echo "$k")" "$LOOPS" &
			pids+=($!)
		done
		for k in "${pids[@]}"; do wait "$k" || bad=1; done
		;;
	esac
	t1=$(now)
	[ "$bad" = 0 ] || say "conc: a $mode loop failed"
	awk -v n=$((8 * LOOPS)) -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f\n", n / (ns / 1e9) }'
}
say "conc: throughput, $REPS repetitions of 8 x $LOOPS add/del (serial, 8 loops one bridge, 8 loops 8 bridges)"
echo "rep,mode,pairs_per_s" > "$OUT/conc.csv"
for ((rep = 1; rep <= REPS; rep++)); do
	for mode in serial one eight; do
		rate=$(run "$mode")
		echo "$rep,$mode,$rate" >> "$OUT/conc.csv"
		say "  rep $rep $mode: $rate add/del pairs per s"
	done
done
med() { awk -F, -v m="$1" '$2 == m { print $3 }' "$OUT/conc.csv" | median; }
s=$(med serial) o=$(med one) e=$(med eight)
# ratios within each repetition (the serial run next to the concurrent
# ones), then their median: the load of the machine cancels out
ratio() {
	awk -F, -v m="$1" '$2 == "serial" { s[$1] = $3 } $2 == m { c[$1] = $3 }
		END { for (r in c) if (s[r] > 0) printf "%.3f\n", c[r] / s[r] }' \
		"$OUT/conc.csv" | median | xargs printf '%.2f'
}
r1=$(ratio one) r8=$(ratio eight)

{
	echo "# Many processes at once (issue 10)"
	echo
	echo "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(uname -r)"
	echo
	echo "| figure | value |"
	echo "| --- | --- |"
	echo "| 8 concurrent default-pool adds x $ROUNDS rounds: overlapping addresses (kernel) | $overlaps |"
	echo "| commands that failed in those rounds | $failed |"
	echo "| bridge-lock wait per add, median / max | $lock_med us / $lock_max us |"
	echo "| add (count 10) total under 8-way concurrency, median | $total_med us |"
	echo "| serial add/del pairs per s (median of $REPS) | $s |"
	echo "| 8 concurrent loops, one bridge: pairs per s / ratio to serial (median of per-repetition ratios) | $o / $r1 |"
	echo "| 8 concurrent loops, 8 bridges: pairs per s / ratio to serial (median of per-repetition ratios) | $e / $r8 |"
} > "$OUT/conc.md"
cat "$OUT/conc.md" >&2
pass() { if awk "BEGIN { exit !($1) }"; then echo PASS; else echo MISS; fi; }
{
	echo "$(pass "$overlaps == 0 && $failed == 0") 8 concurrent default-pool adds x $ROUNDS rounds: $overlaps overlapping addresses, $failed failures (goal 0)"
	echo "$(pass "$r1 >= 0.8") 8 concurrent add/del loops on one bridge vs serial: $r1 x (goal >= 0.8)"
} > "$OUT/goals-conc.txt"
cat "$OUT/goals-conc.txt" >&2
