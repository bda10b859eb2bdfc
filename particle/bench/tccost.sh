#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# particle/bench/tccost.sh: what a per-slot tc tree costs the kernel (issue 12).
#
#   IP=build/iproute2-6.1.0/ip/ip particle/bench/tccost.sh [--reps R]
#       [--big N] [--shares] [--out DIR]
#
# Not part of make bench (the 10,000-class rows take a minute); HACKING's
# "Cost" paragraph quotes its output.  Rows:
#   curve    CPU per HTB class added with tc -batch, by classes already in
#            the qdisc (chunks of 1000), and with perf (if installed) the
#            split between tc_bind_tclass()'s walk of the qdisc's classes,
#            flow_indr_dev_setup_offload() (host-wide list of blocks) and
#            the rest of htb_change_class() (class, block, default pfifo)
#   trees    wall time of one job's two trees (two veths, 1000 and --big
#            slots) built with tc -batch: flat (the product's: one qdisc,
#            all slot classes siblings) vs nested (a child HTB qdisc per
#            group of 64 slots, which avoids the walk)
#   add      ip particle add count 1000 and --big, without limits and with
#            slot-rate/slot-ceil, interleaved, medians of --reps
#   shares   (--shares) job rate 40mbit, four greedy slots, one in group A
#            and three in group B: flat gives each a quarter, nested gives
#            group A half (iperf3)
# Everything runs in namespaces named htc<PID>*, removed on exit.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
TC=$(command -v tc)
PERF=$(command -v perf || true)
IPERF3=$(command -v iperf3 || true)
REPS=5 BIG=10000 SHARES=0 OUT=
while [ $# -gt 0 ]; do
	case $1 in
	--reps) REPS=$2; shift ;;
	--big) BIG=$2; shift ;;
	--shares) SHARES=1 ;;
	--out) OUT=$2; shift ;;
	*) sed -n '3,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
	shift
done
[ "$(id -u)" = 0 ] || { echo "tccost.sh: must run as root" >&2; exit 1; }
: "${OUT:=$TOP/bench/results/tccost-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
ID=htc$$
TMP=$(mktemp -d "/tmp/$ID.XXXXXX")
PIDS=

cleanup() {
	local p f
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	"$IP" -n "${ID}v" particle del "${ID}x" >/dev/null 2>&1
	for f in /run/netns/"$ID"*; do
		[ -e "$f" ] && "$STOCK" netns del "${f##*/}" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf '%s\n' "$*" | tee -a "$OUT/tccost.md"; }
now() { date +%s%N; }
median() { sort -n | awk '{v[NR] = $1} END {print NR ? v[int((NR + 1) / 2)] : 0}'; }

# A namespace NS with veths va and vc up, an HTB root and job class on each.
two_veths() {
	"$STOCK" netns add "$1" || return 1
	"$STOCK" -n "$1" link add va type veth peer name vb &&
	"$STOCK" -n "$1" link add vc type veth peer name vd &&
	"$STOCK" -n "$1" link set va up && "$STOCK" -n "$1" link set vc up
}

# slot_classes DEV PARENT MAJOR FROM TO: tc -batch lines of slot classes
slot_classes() {
	local k
	for ((k = $4; k <= $5; k++)); do
		printf 'class add dev %s parent %s classid %x:%x htb rate 1mbit ceil 10mbit quantum 131072\n' \
			"$1" "$2" "$3" "$k"
	done
}

root_lines() {
	echo "qdisc add dev $1 root handle 1: htb default 0"
	echo "class add dev $1 parent 1: classid 1:ffff htb rate 1tbit ceil 1tbit quantum 131072"
}

# "CPU WALL": user+sys and wall ms of one tc -batch FILE in NS
batch_cpu() {
	local t0 t1 u0 u1 me=$BASHPID

	u0=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$me/stat")
	t0=$(now)
	"$TC" -n "$1" -batch "$2" >/dev/null 2>&1
	t1=$(now)
	u1=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$me/stat")
	echo $(( (u1 - u0) * 1000 / $(getconf CLK_TCK) )) $(((t1 - t0) / 1000000))
}

say "# tc tree cost (issue 12), $(date -u +%FT%TZ), $(uname -r)"
say ""
say "load at start: $(uptime | sed 's/.*load/load/')"
say ""

# --- curve ---
say "## curve: HTB classes added in chunks of 1000 on one veth (tc -batch)"
say ""
say "| classes already there | CPU per class (us) | wall per class (us) |"
say "|---|---|---|"
two_veths "${ID}c" || exit 1
root_lines va > "$TMP/r"
"$TC" -n "${ID}c" -batch "$TMP/r" >/dev/null 2>&1
for ((s = 1; s <= BIG / 2; s += 1000)); do
	slot_classes va 1:ffff 1 "$s" $((s + 999)) > "$TMP/b"
	read -r cpu wall < <(batch_cpu "${ID}c" "$TMP/b")
	say "| $((s - 1)) | $cpu | $wall |"
done
"$STOCK" netns del "${ID}c"

if [ -n "$PERF" ]; then
	say ""
	say "## split (perf record -g, cpu-clock): kernel CPU per class added, by function"
	say ""
	say "| classes | other blocks on the host | per class (us) | walk of the qdisc's classes | flow_indr | rest of htb_change_class | outside tc_ctl_tclass |"
	say "|---|---|---|---|---|---|---|"
	for row in "1000 0" "2000 0" "4000 0" "1000 4000"; do
		read -r n_cl n_other <<< "$row"
		set -- "$n_cl" "$n_other"
		two_veths "${ID}p" || exit 1
		{ root_lines va; root_lines vc; } > "$TMP/r"
		"$TC" -n "${ID}p" -batch "$TMP/r" >/dev/null 2>&1
		if [ "$2" -gt 0 ]; then
			slot_classes vc 1:ffff 1 1 "$2" > "$TMP/o"
			"$TC" -n "${ID}p" -batch "$TMP/o" >/dev/null 2>&1
		fi
		slot_classes va 1:ffff 1 1 "$1" > "$TMP/b"
		"$PERF" record -q -F 10000 -g -o "$TMP/perf.data" -- \
			"$TC" -n "${ID}p" -batch "$TMP/b" >/dev/null 2>&1
		"$STOCK" netns del "${ID}p"
		tot=$("$PERF" script -i "$TMP/perf.data" -F period 2>/dev/null |
		      awk '{s += $1} END {print s + 0}')
		"$PERF" report -i "$TMP/perf.data" --children --stdio -g none \
			2>/dev/null > "$TMP/rep"
		pick() { awk -v s="$1" '$NF == s {sub("%", "", $1); print $1; f = 1; exit} END {if (!f) print 0}' "$TMP/rep"; }
		awk -v n="$1" -v o="$2" -v t="$tot" -v c="$(pick tc_ctl_tclass)" \
		    -v h="$(pick htb_change_class)" \
		    -v f="$(pick flow_indr_dev_setup_offload)" 'BEGIN {
			us = t / 1000 / n
			printf "| %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f |\n", n, o, us,
			       us * (c - h) / 100, us * f / 100, us * (h - f) / 100,
			       us * (100 - c) / 100
		}' | tee -a "$OUT/tccost.md"
	done
fi

# --- trees ---
say ""
say "## trees: one job's two trees (eth0 and port), tc -batch, wall ms (CPU ms)"
say ""
say "| slots | flat | nested (groups of 64) |"
say "|---|---|---|"
for n in 1000 "$BIG"; do
	line="| $n |"
	for shape in flat nested; do
		two_veths "${ID}t" || exit 1
		for d in va vc; do
			root_lines "$d"
			if [ $shape = flat ]; then
				slot_classes "$d" 1:ffff 1 1 "$n"
				continue
			fi
			for ((g = 1; g <= (n + 63) / 64; g++)); do
				printf 'class add dev %s parent 1:ffff classid 1:%x htb rate 64mbit ceil 1tbit quantum 131072\n' "$d" "$g"
				printf 'qdisc add dev %s parent 1:%x handle %x: htb default 0\n' "$d" "$g" $((g + 1))
				printf 'class add dev %s parent %x: classid %x:ffff htb rate 1tbit ceil 1tbit quantum 131072\n' "$d" $((g + 1)) $((g + 1))
				slot_classes "$d" "$(printf %x $((g + 1))):ffff" $((g + 1)) 1 64
			done
		done > "$TMP/b"
		read -r cpu wall < <(batch_cpu "${ID}t" "$TMP/b")
		line="$line $wall ($cpu) |"
		"$STOCK" netns del "${ID}t"
	done
	say "$line"
done

# --- add ---
say ""
say "## add: ip particle add, without limits and with slot-rate 1mbit slot-ceil 10mbit (ms, medians)"
say ""
V=${ID}v
"$STOCK" netns add "$V" || exit 1
"$STOCK" -n "$V" link set lo up
"$STOCK" -n "$V" link add u0 type veth peer name u1
"$STOCK" -n "$V" addr add 192.168.251.1/24 dev u0
"$STOCK" -n "$V" link set u0 up
"$STOCK" -n "$V" link add vxlan100 type vxlan id 100 local 192.168.251.1 \
	dev u0 dstport 4789 nolearning
"$STOCK" -n "$V" link add br0 type bridge mcast_snooping 0
"$STOCK" -n "$V" link set vxlan100 master br0
"$STOCK" -n "$V" link set br0 up
"$STOCK" -n "$V" link set vxlan100 up
say "| slots | add | add with limits | ratio | del | del with limits |"
say "|---|---|---|---|---|---|"
for n in 1000 "$BIG"; do
	reps=$REPS
	[ "$n" -gt 1000 ] && reps=1
	: > "$TMP/a0"; : > "$TMP/a1"; : > "$TMP/d0"; : > "$TMP/d1"
	for ((i = 0; i < reps; i++)); do
		for lim in 0 1; do
			extra=()
			[ $lim = 1 ] && extra=(slot-rate 1mbit slot-ceil 10mbit)
			t0=$(now)
			"$IP" -n "$V" particle add "${ID}x" vtep vxlan100 count "$n" \
				pool 10.67.0.10/16 "${extra[@]}" || exit 1
			t1=$(now)
			"$IP" -n "$V" particle del "${ID}x" || exit 1
			t2=$(now)
			echo $(((t1 - t0) / 1000)) >> "$TMP/a$lim"
			echo $(((t2 - t1) / 1000)) >> "$TMP/d$lim"
		done
	done
	a0=$(median < "$TMP/a0") a1=$(median < "$TMP/a1")
	d0=$(median < "$TMP/d0") d1=$(median < "$TMP/d1")
	awk -v n="$n" -v a0="$a0" -v a1="$a1" -v d0="$d0" -v d1="$d1" 'BEGIN {
		printf "| %d | %.1f | %.1f | %.2f | %.1f | %.1f |\n", n, a0 / 1000,
		       a1 / 1000, a1 / a0, d0 / 1000, d1 / 1000
	}' | tee -a "$OUT/tccost.md"
done

# --- shares ---
if [ $SHARES = 1 ] && [ -n "$IPERF3" ]; then
	say ""
	say "## shares: job rate 40mbit, four greedy slots (Mbit/s, iperf3 8 s)"
	say ""
	say "| tree | slot 0 (group A) | slot 1 | slot 2 | slot 3 (group B) |"
	say "|---|---|---|---|---|"
	for shape in flat nested; do
		S=${ID}s R=${ID}r
		"$STOCK" netns add "$S"; "$STOCK" netns add "$R"
		"$STOCK" -n "$S" link add va type veth peer name vb netns "$R"
		for k in 0 1 2 3; do
			"$STOCK" -n "$S" addr add 10.9.0.$((10 + k))/24 dev va
		done
		"$STOCK" -n "$R" addr add 10.9.0.1/24 dev vb
		"$STOCK" -n "$S" link set va up; "$STOCK" -n "$R" link set vb up
		"$STOCK" -n "$S" link set lo up; "$STOCK" -n "$R" link set lo up
		cl='htb rate 1mbit ceil 40mbit quantum 131072 burst 256k cburst 256k'
		{
			echo "qdisc add dev va root handle 1: htb default 0"
			echo "class add dev va parent 1: classid 1:ffff htb rate 40mbit ceil 40mbit quantum 131072 burst 256k cburst 256k"
			if [ $shape = flat ]; then
				for k in 0 1 2 3; do
					echo "class add dev va parent 1:ffff classid 1:$((k + 1)) $cl"
					echo "filter add dev va parent 1: protocol ip prio 1 u32 match ip src 10.9.0.$((10 + k))/32 flowid 1:$((k + 1))"
				done
			else
				for g in 1 2; do
					echo "class add dev va parent 1:ffff classid 1:$g htb rate 2mbit ceil 40mbit quantum 131072 burst 256k cburst 256k"
					echo "qdisc add dev va parent 1:$g handle $((g + 1)): htb default 0"
					echo "class add dev va parent $((g + 1)): classid $((g + 1)):ffff htb rate 40mbit ceil 40mbit quantum 131072 burst 256k cburst 256k"
				done
				for k in 0 1 2 3; do
					g=$((k ? 2 : 1)) m=$((k ? k : 1))
					echo "class add dev va parent $((g + 1)):ffff classid $((g + 1)):$m $cl"
					echo "filter add dev va parent 1: protocol ip prio 1 u32 match ip src 10.9.0.$((10 + k))/32 flowid 1:$g"
					echo "filter add dev va parent $((g + 1)): protocol ip prio 1 u32 match ip src 10.9.0.$((10 + k))/32 flowid $((g + 1)):$m"
				done
			fi
		} > "$TMP/s"
		"$TC" -n "$S" -batch "$TMP/s" || exit 1
		PIDS=
		for k in 0 1 2 3; do
			"$STOCK" netns exec "$R" "$IPERF3" -s -1 -p $((5300 + k)) >/dev/null 2>&1 &
			PIDS="$PIDS $!"
		done
		sleep 0.5
		for k in 0 1 2 3; do
			"$STOCK" netns exec "$S" "$IPERF3" -c 10.9.0.1 -B 10.9.0.$((10 + k)) \
				-p $((5300 + k)) -t 8 -O 2 -J 2>/dev/null |
				jq -r '.end.sum_received.bits_per_second / 1e6' > "$TMP/o$k" &
		done
		wait
		PIDS=
		printf '| %s | %.1f | %.1f | %.1f | %.1f |\n' $shape "$(cat "$TMP/o0")" \
			"$(cat "$TMP/o1")" "$(cat "$TMP/o2")" "$(cat "$TMP/o3")" |
			tee -a "$OUT/tccost.md"
		"$STOCK" netns del "$S"; "$STOCK" netns del "$R"
	done
fi
say ""
say "load at end: $(uptime | sed 's/.*load/load/')"
echo "tccost: $OUT/tccost.md" >&2
