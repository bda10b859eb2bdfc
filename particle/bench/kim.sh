#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# particle/bench/kim.sh: network resources per function (issue 12).
#
#   IP=build/iproute2-6.1.0/ip/ip particle/bench/kim.sh [--quick|--full]
#       [--out DIR] [--rate R]
#
# Kim, Park, Lee (faas-network-isolation, Fig. 5) on two simulated nodes:
# k = 1 2 4 8 16 26 functions of one job on node A each download with
# iperf3 (-R) from a server of their own on node B,
#   (a) without limits,
#   (b) with slot-rate R slot-ceil R on the job,
#   (c) as (b) while one more function of the job runs 8 parallel streams.
# Rows: per-function median and aggregate vs k (kim.csv, kim.md, kim.png),
# Jain's fairness index, and the goals of the issue (goals-kim.txt):
#   (b), (c): every function within +-10 % of R at every k where k*R fits
#             the capacity measured in (a); Jain's index >= 0.99
#   add count 1000 with slot limits <= 2x the same add without limits
#   one stream with limits far above capacity >= 0.95 of no limits
#   ip -s particle slots on a 10,000-slot job <= 100 ms
# Everything runs in namespaces named pk<PID>*, removed on exit.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/env.sh"
IPERF3=$(command -v iperf3 || true)

MODE=quick OUT= R=50mbit
while [ $# -gt 0 ]; do
	case $1 in
	--quick) MODE=quick ;;
	--full) MODE=full ;;
	--out) OUT=$2; shift ;;
	--rate) R=$2; shift ;;
	*) sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
	shift
done
if [ "$MODE" = quick ]; then
	KS=${KS:-1 2 4 8 16 26} T=${T:-3} REPS=1 ADD_REPS=3 TP_REPS=3 TP_T=2
else
	KS=${KS:-1 2 4 8 16 26} T=${T:-6} REPS=3 ADD_REPS=7 TP_REPS=5 TP_T=4
fi
KMAX=26
[ "$(id -u)" = 0 ] || { echo "kim.sh: must run as root" >&2; exit 1; }
[ -n "$IPERF3" ] || { echo "kim.sh: iperf3 missing (scripts/deps.sh bench)" >&2; exit 1; }
: "${OUT:=$TOP/bench/results/kim-$MODE-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT/raw"
LOG=$OUT/raw/kim.log
: > "$LOG"
ID=pk$$ A=pk$$a B=pk$$b JA=pk$$fa JB=pk$$sb
TMP=$(mktemp -d "/tmp/$ID.XXXXXX")
PIDS=

say() { printf '%s\n' "$*" >&2; printf '%s\n' "$*" >> "$LOG"; }
cleanup() {
	local p f
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
	for f in /run/netns/"$ID"*; do
		[ -e "$f" ] || continue
		case ${f##*/} in "$A"|"$B") continue ;; esac
		"$IP" -n "$A" particle del "${f##*/}" >/dev/null 2>&1 ||
			"$IP" -n "$B" particle del "${f##*/}" >/dev/null 2>&1
	done
	for f in /run/netns/"$ID"*; do
		[ -e "$f" ] && "$STOCK" netns del "${f##*/}" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Two nodes joined by an underlay veth, vxlan100 on br0 in each.
nodes() {
	local x i=0
	for x in "$A" "$B"; do
		"$STOCK" netns add "$x" || return 1
		"$STOCK" -n "$x" link set lo up
	done
	"$STOCK" -n "$A" link add u0 type veth peer name u0 netns "$B" || return 1
	for x in "$A" "$B"; do
		i=$((i + 1))
		"$STOCK" -n "$x" addr add 192.168.251.$i/24 dev u0
		"$STOCK" -n "$x" link set u0 up
		"$STOCK" -n "$x" link add vxlan100 type vxlan id 100 local 192.168.251.$i \
			dev u0 dstport 4789 nolearning
		"$STOCK" -n "$x" link add br0 type bridge mcast_snooping 0
		"$STOCK" -n "$x" link set vxlan100 master br0
		"$STOCK" -n "$x" link set br0 up
		"$STOCK" -n "$x" link set vxlan100 up
		bridge -n "$x" fdb append 00:00:00:00:00:00 dev vxlan100 \
			dst 192.168.251.$((3 - i))
	done
}

fa() { echo "10.66.0.$((10 + $1))"; }	# function k on A
sb() { echo "10.66.1.$((10 + $1))"; }	# its server on B

# run_k K SCEN: K functions download at once (SCEN c: plus the greedy
# one, slot KMAX, with 8 streams); prints one Mbit/s per function.
run_k() {
	local k=$1 scen=$2 i pids=() gpid=
	for ((i = 0; i < k; i++)); do
		nsenter --net="/run/netns/$JA" "$IPERF3" -J -R -c "$(sb "$i")" -B "$(fa "$i")" \
			-p $((5400 + i)) -t "$T" -O 1 > "$TMP/c$i.json" 2>>"$LOG" &
		pids+=($!)
	done
	if [ "$scen" = c ]; then
		nsenter --net="/run/netns/$JA" "$IPERF3" -J -R -c "$(sb "$KMAX")" -B "$(fa "$KMAX")" \
			-p $((5400 + KMAX)) -t $((T + 1)) -P 8 > "$TMP/g.json" 2>>"$LOG" &
		gpid=$!
	fi
	for i in "${pids[@]}" $gpid; do wait "$i"; done
	for ((i = 0; i < k; i++)); do
		jq -r '(.end.sum_received.bits_per_second // 0) / 1e6' "$TMP/c$i.json" 2>/dev/null || echo 0
	done
	if [ "$scen" = c ]; then
		echo "greedy $(jq -r '(.end.sum_received.bits_per_second // 0) / 1e6' "$TMP/g.json" 2>/dev/null || echo 0)" >> "$TMP/greedy"
	fi
}

# Limits of each scenario, set live on the same job.
scenario() {
	case $1 in
	a) "$IP" -n "$A" particle set "$JA" slot-rate none slot-ceil none counters off ;;
	b|c) "$IP" -n "$A" particle set "$JA" slot-rate "$R" slot-ceil "$R" ;;
	esac
}

servers() {	# one iperf3 server per function, restarted for every run
	local i
	for ((i = 0; i <= KMAX; i++)); do
		nsenter --net="/run/netns/$JB" "$IPERF3" -s -D -B "$(sb "$i")" -p $((5400 + i)) \
			--pidfile "$TMP/s$i.pid" >>"$LOG" 2>&1
	done
	sleep 0.3
	for ((i = 0; i <= KMAX; i++)); do
		[ -s "$TMP/s$i.pid" ] && PIDS="$PIDS $(cat "$TMP/s$i.pid")"
	done
}

median() { sort -g | awk '{v[NR] = $1} END {if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
now() { date +%s%N; }

nodes || { say "kim.sh: cannot build the nodes"; exit 1; }
"$IP" -n "$A" particle add "$JA" vtep vxlan100 count $((KMAX + 1)) pool 10.66.0.10/16 || exit 1
"$IP" -n "$B" particle add "$JB" vtep vxlan100 count $((KMAX + 1)) pool 10.66.1.10/16 || exit 1
servers
"$IP" -n "$A" particle set "$JA" slot-rate "$R" slot-ceil "$R" || exit 1
RB=$("$IP" -n "$A" -j particle show "$JA" | jq '.[0].slot_rate * 8 / 1e6')
say "kim: R = $R = $RB Mbit/s, k = $KS, $T s per run, $REPS repetition(s); $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"

echo "rep,k,scenario,function,mbit" > "$OUT/kim-raw.csv"
: > "$TMP/greedy"
for ((rep = 1; rep <= REPS; rep++)); do
	for k in $KS; do
		for s in a b c; do	# interleaved: a, b, c at each k
			scenario "$s" >>"$LOG" 2>&1
			i=0
			run_k "$k" "$s" | while read -r v; do
				echo "$rep,$k,$s,$i,$v"
				i=$((i + 1))
			done >> "$OUT/kim-raw.csv"
		done
		say "  rep $rep k=$k done"
	done
done

# Rows: per k and scenario, per-function median, min, max, aggregate, Jain.
perl -e '
	my (%v, %agg);
	open my $f, "<", $ARGV[0] or die; <$f>;
	while (<$f>) { chomp; my ($rep, $k, $s, $fn, $m) = split /,/; push @{$v{$k}{$s}}, $m; $agg{$k}{$s}{$rep} += $m; }
	my $R = $ARGV[1];
	print "k,scenario,median,min,max,aggregate,jain,within10\n";
	for my $k (sort { $a <=> $b } keys %v) {
		for my $s (sort keys %{$v{$k}}) {
			my @x = sort { $a <=> $b } @{$v{$k}{$s}};
			my $n = @x; my ($sum, $sq) = (0, 0);
			$sum += $_, $sq += $_ * $_ for @x;
			my $med = $n % 2 ? $x[$n / 2] : ($x[$n / 2 - 1] + $x[$n / 2]) / 2;
			my @a = sort { $a <=> $b } values %{$agg{$k}{$s}};
			my $ag = $a[$#a / 2];
			my $in = grep { abs($_ - $R) <= 0.1 * $R } @x;
			printf "%d,%s,%.1f,%.1f,%.1f,%.1f,%.4f,%d/%d\n", $k, $s, $med, $x[0], $x[-1], $ag,
				$sq ? $sum * $sum / ($n * $sq) : 0, $in, $n;
		}
	}' "$OUT/kim-raw.csv" "$RB" > "$OUT/kim.csv"

# The capacity: the largest aggregate without limits.
CAP=$(awk -F, '$2 == "a" && $6 > c {c = $6} END {print c + 0}' "$OUT/kim.csv")
GREEDY=$(awk '{print $2}' "$TMP/greedy" | median)

# --- the cost figures, interleaved ---
say "kim: add count 1000 with and without slot limits, $ADD_REPS times each"
: > "$TMP/add0"; : > "$TMP/add1"
for ((i = 0; i < ADD_REPS; i++)); do
	for lim in 0 1; do
		extra=()
		[ "$lim" = 1 ] && extra=(slot-rate "$R" slot-ceil "$R")
		t0=$(now)
		"$IP" -n "$A" particle add "${ID}x" vtep vxlan100 count 1000 pool 10.67.0.10/16 \
			"${extra[@]}" >>"$LOG" 2>&1
		t1=$(now)
		echo $(((t1 - t0) / 1000)) >> "$TMP/add$lim"
		"$IP" -n "$A" particle del "${ID}x" >>"$LOG" 2>&1
	done
done
ADD0=$(median < "$TMP/add0") ADD1=$(median < "$TMP/add1")

say "kim: one stream between two functions, limits far above capacity vs none, $TP_REPS times each"
: > "$TMP/tp0"; : > "$TMP/tp1"
for ((i = 0; i < TP_REPS; i++)); do
	for lim in 0 1; do
		if [ "$lim" = 1 ]; then
			"$IP" -n "$A" particle set "$JA" rate 1tbit slot-rate 500gbit slot-ceil 1tbit >>"$LOG" 2>&1
		else
			"$IP" -n "$A" particle set "$JA" rate none slot-rate none slot-ceil none counters off >>"$LOG" 2>&1
		fi
		nsenter --net="/run/netns/$JA" "$IPERF3" -J -c "$(sb 0)" -B "$(fa 0)" -p 5400 \
			-t "$TP_T" -O 1 2>>"$LOG" | jq -r '(.end.sum_received.bits_per_second // 0) / 1e6' >> "$TMP/tp$lim"
	done
done
TP0=$(median < "$TMP/tp0") TP1=$(median < "$TMP/tp1")
"$IP" -n "$A" particle set "$JA" rate none slot-rate none slot-ceil none >>"$LOG" 2>&1

say "kim: ip -s particle slots on a 10,000-slot job with limits"
t0=$(now)
"$IP" -n "$A" particle add "${ID}y" vtep vxlan100 count 10000 pool 10.68.0.10/16 \
	slot-rate 1mbit slot-ceil 10mbit >>"$LOG" 2>&1
t1=$(now)
ADD10K=$(((t1 - t0) / 1000))
: > "$TMP/sl"
for ((i = 0; i < 5; i++)); do
	t0=$(now)
	"$IP" -n "$A" -s particle slots "${ID}y" > "$TMP/slots.out"
	t1=$(now)
	echo $(((t1 - t0) / 1000)) >> "$TMP/sl"
done
SLOTS=$(median < "$TMP/sl")
NSL=$(grep -c '^    tx ' "$TMP/slots.out")
"$IP" -n "$A" particle del "${ID}y" >>"$LOG" 2>&1

# --- goals ---
{
	awk -F, -v R="$RB" -v C="$CAP" '
		NR > 1 && ($2 == "b" || $2 == "c") && $1 * R <= C {
			split($8, w, "/"); n[$2] += w[2]; ok[$2] += w[1]
			if (jmin[$2] == "" || $7 < jmin[$2]) jmin[$2] = $7
			ks[$2] = ks[$2] " " $1
		}
		END {
			for (s in n)
				printf "%s (%s) every function within 10 %% of R=%.0f Mbit/s at k where k*R fits %.0f Mbit/s (k =%s): %d/%d functions (goal all)\n",
					(ok[s] == n[s] ? "PASS" : "MISS"), s, R, C, ks[s], ok[s], n[s]
			for (s in n)
				printf "%s (%s) Jain fairness index, lowest over those k: %.4f (goal >= 0.99)\n",
					(jmin[s] >= 0.99 ? "PASS" : "MISS"), s, jmin[s]
		}' "$OUT/kim.csv" | sort -k2
	awk -v a="$ADD1" -v b="$ADD0" 'BEGIN {r = b ? a / b : 0
		printf "%s add count 1000 with slot limits / without: %.2f (%.1f ms / %.1f ms, medians; goal <= 2)\n", (r <= 2 ? "PASS" : "MISS"), r, a / 1000, b / 1000}'
	awk -v a="$TP1" -v b="$TP0" 'BEGIN {r = b ? a / b : 0
		printf "%s one stream, limits far above capacity / no limits: %.3f (%.0f / %.0f Mbit/s, medians; goal >= 0.95)\n", (r >= 0.95 ? "PASS" : "MISS"), r, a, b}'
	awk -v t="$SLOTS" -v n="$NSL" 'BEGIN {
		printf "%s ip -s particle slots, 10,000-slot job with limits: %.1f ms (%d slots printed, median of 5; goal <= 100 ms)\n", (t <= 100000 && n == 10000 ? "PASS" : "MISS"), t / 1000, n}'
} > "$OUT/goals-kim.txt"

{
	echo "## Network resources per function (Kim et al. Fig. 5), $MODE"
	echo
	echo "R = $R ($RB Mbit/s; slot-rate R slot-ceil R in (b) and (c)); capacity (largest aggregate of (a)) $CAP Mbit/s;"
	echo "$T s per iperf3 run (first second omitted), $REPS repetition(s), a/b/c interleaved at every k."
	echo "The greedy function of (c) (8 streams, its own slot): median $GREEDY Mbit/s."
	echo
	echo "| k | (a) median | (a) aggregate | (a) Jain | (b) median | (b) min-max | (b) aggregate | (b) Jain | (c) median | (c) min-max | (c) aggregate | (c) Jain |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	awk -F, 'NR > 1 {m[$1, $2] = $3; lo[$1, $2] = $4; hi[$1, $2] = $5; ag[$1, $2] = $6; j[$1, $2] = $7; ks[$1] = 1}
		END {
			n = 0; for (k in ks) kv[++n] = k + 0
			for (i = 1; i <= n; i++) for (x = i + 1; x <= n; x++) if (kv[x] < kv[i]) {t = kv[i]; kv[i] = kv[x]; kv[x] = t}
			for (i = 1; i <= n; i++) { k = kv[i]
				printf "| %d | %s | %s | %s | %s | %s-%s | %s | %s | %s | %s-%s | %s | %s |\n", k,
					m[k, "a"], ag[k, "a"], j[k, "a"], m[k, "b"], lo[k, "b"], hi[k, "b"], ag[k, "b"], j[k, "b"],
					m[k, "c"], lo[k, "c"], hi[k, "c"], ag[k, "c"], j[k, "c"] }
		}' "$OUT/kim.csv"
	echo
	echo "add count 1000: $ADD0 us without limits, $ADD1 us with (medians of $ADD_REPS); add count 10000 with limits: $ADD10K us."
	echo
	sed 's/^/    /' "$OUT/goals-kim.txt"
} > "$OUT/kim.md"

if command -v gnuplot >/dev/null; then
	awk -F, 'NR > 1 {print $1, $2, $3, $6}' "$OUT/kim.csv" > "$TMP/plot.dat"
	for s in a b c; do awk -v s=$s '$2 == s' "$TMP/plot.dat" > "$OUT/raw/kim-$s.dat"; done
	cat > "$OUT/raw/kim.gp" <<EOF
set terminal pngcairo size 1200,480 font ",10"
set output "$OUT/kim.png"
set multiplot layout 1,2 title "Kim et al. Fig. 5 with ip particle: k functions of one job downloading (iperf3), R = $R"
set logscale x 2
set xtics (1, 2, 4, 8, 16, 26)
set xlabel "functions k"
set ylabel "Mbit/s"
set key top right
set title "per-function median"
set logscale y
plot "$OUT/raw/kim-a.dat" u 1:3 w lp t "(a) no limits", \
     "$OUT/raw/kim-b.dat" u 1:3 w lp t "(b) slot-rate R", \
     "$OUT/raw/kim-c.dat" u 1:3 w lp t "(c) slot-rate R + greedy x8", \
     $RB w l dt 2 t "R"
set title "aggregate of the k functions"
set key top left
plot "$OUT/raw/kim-a.dat" u 1:4 w lp t "(a) no limits", \
     "$OUT/raw/kim-b.dat" u 1:4 w lp t "(b) slot-rate R", \
     "$OUT/raw/kim-c.dat" u 1:4 w lp t "(c) slot-rate R + greedy x8", \
     x * $RB w l dt 2 t "k R"
unset multiplot
EOF
	gnuplot "$OUT/raw/kim.gp" 2>>"$LOG" || say "kim: gnuplot failed"
fi
cat "$OUT/kim.md" >&2
