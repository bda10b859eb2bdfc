#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Per-slot rates with traffic (issue 12): iperf3 between functions of a
# job on node A and a server job on node B, both directions shaped per
# slot, counters that add up to what iperf3 moved, limits changed live.
# Tolerances are wide on purpose: the machine has 2 shared, busy cores;
# an upper bound is what proves a limit, and a lower one that it is not
# starving the slot.  Figures belong to make bench (particle/bench/fig5k).

PT_TAG=S
load lib/topo

setup() {
	command -v iperf3 >/dev/null || skip "no iperf3 (scripts/deps.sh bench)"
	pt_nodes 2
	JA=${T}ja JB=${T}jb
	"$IP" -n "$NB" particle add "$JB" vtep vxlan100 count 8 pool 10.77.1.10/16 \
		pool 2001:db8:77::1:10/64
}
teardown() { pt_teardown; }

# server PORT: an iperf3 server on B's slot 0, for one test
server() {
	pt_bg timeout 60 "$STOCK_IP" netns exec "$JB" iperf3 -s -1 -B 10.77.1.10 -p "$1" \
		>/dev/null 2>&1
	local i
	for ((i = 0; i < 100; i++)); do
		sip netns exec "$JB" ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.05
	done
	fail "iperf3 server on port $1 did not start"
}

# client JOB SRC PORT ARGS...: iperf3 -J from SRC in JOB to B's slot 0
client() {
	local job=$1 src=$2 port=$3
	shift 3
	timeout 40 "$STOCK_IP" netns exec "$job" iperf3 -J -c 10.77.1.10 -B "$src" \
		-p "$port" "$@"
}

mbit() { jq -r '.end.sum_received.bits_per_second / 1e6 | floor' <<<"$1"; }

# within LO HI X: LO <= X <= HI (integers)
within() {
	echo "# $3 Mbit/s, want $1..$2"
	(($1 <= $3 && $3 <= $2))
}

@test "shaping: from the functions (eth0) and to them (the port), per slot" {
	local out
	"$IP" -n "$NA" particle add "$JA" vtep vxlan100 count 4 pool 10.77.0.10/16 \
		slot-rate 20mbit slot-ceil 20mbit
	server 5201
	out=$(client "$JA" 10.77.0.11 5201 -t 4)
	within 10 23 "$(mbit "$out")"
	server 5202
	out=$(client "$JA" 10.77.0.12 5202 -t 4 -R)
	within 10 23 "$(mbit "$out")"
	# the same path without limits goes much faster
	"$IP" -n "$NA" particle add "${T}jc" vtep vxlan100 count 2 pool 10.77.2.10/16
	server 5203
	out=$(client "${T}jc" 10.77.2.10 5203 -t 2 -R)
	echo "# unlimited: $(mbit "$out") Mbit/s"
	(($(mbit "$out") > 60))
}

@test "shaping: counters add up to what iperf3 moved, slot by slot" {
	local out sent got tx rx
	"$IP" -n "$NA" particle add "$JA" vtep vxlan100 count 4 pool 10.77.0.10/16 \
		slot-rate 50mbit
	server 5211
	out=$(client "$JA" 10.77.0.11 5211 -t 2)
	sent=$(jq '.end.sum_sent.bytes' <<<"$out")
	server 5212
	out=$(client "$JA" 10.77.0.13 5212 -t 2 -R)
	got=$(jq '.end.sum_received.bytes' <<<"$out")
	run "$IP" -n "$NA" -s -j particle slots "$JA"
	assert_success
	echo "$output" | jq -c '.[]'
	tx=$(jq '.[1].tx.bytes' <<<"$output")
	rx=$(jq '.[3].rx.bytes' <<<"$output")
	echo "# iperf3 sent $sent, slot 1 tx $tx; iperf3 received $got, slot 3 rx $rx"
	# headers and the TCP handshake on top of the payload: at most 10 %
	((tx >= sent && tx <= sent * 110 / 100 + 100000))
	((rx >= got && rx <= got * 110 / 100 + 100000))
	# slots that sent nothing counted nothing; ACKs are counted where they go
	assert_equal "$(jq '[.[0], .[2]] | map(.tx.bytes + .rx.bytes) | add' <<<"$output")" 0
	(($(jq '.[1].rx.packets' <<<"$output") > 0))
	(($(jq '.[3].tx.packets' <<<"$output") > 0))
	# the job's totals hold every slot's
	run "$IP" -n "$NA" -s -j particle show "$JA"
	(($(jq '.[0].tx.bytes' <<<"$output") >= tx))
	(($(jq '.[0].rx.bytes' <<<"$output") >= rx))
	run "$IP" -n "$NA" -s particle slots "$JA"
	assert_line --regexp "^    tx bytes $tx packets [0-9]+ dropped [0-9]+$"
}

@test "shaping: set changes a slot's ceiling live, the connection carries on" {
	local out early late
	"$IP" -n "$NA" particle add "$JA" vtep vxlan100 count 2 pool 10.77.0.10/16 \
		slot-rate 10mbit slot-ceil 15mbit
	server 5221
	client "$JA" 10.77.0.10 5221 -t 9 -i 1 >"$BATS_TEST_TMPDIR/live.json" &
	PT_PIDS+=($!)
	sleep 4
	run "$IP" -n "$NA" particle set "$JA" slot-ceil 60mbit
	assert_success
	wait "${PT_PIDS[-1]}"
	out=$(cat "$BATS_TEST_TMPDIR/live.json")
	[ "$(jq -r '.error // "none"' <<<"$out")" = none ]
	early=$(jq '[.intervals[1:3][].sum.bits_per_second] | add / length / 1e6 | floor' <<<"$out")
	late=$(jq '[.intervals[6:9][].sum.bits_per_second] | add / length / 1e6 | floor' <<<"$out")
	echo "# before set: $early Mbit/s, after: $late Mbit/s"
	((early <= 18))
	((late >= 25))
}

@test "shaping: a flooding function does not take a slot's guarantee" {
	local out
	# slot-rate 20mbit each, the job's rate 60mbit is the ceiling of all
	"$IP" -n "$NA" particle add "$JA" vtep vxlan100 count 3 pool 10.77.0.10/16 \
		rate 60mbit slot-rate 20mbit
	server 5231
	server 5232
	client "$JA" 10.77.0.10 5231 -t 8 -P 8 -R >/dev/null &
	PT_PIDS+=($!)
	sleep 1
	out=$(client "$JA" 10.77.0.11 5232 -t 5 -R)
	wait "${PT_PIDS[-1]}" || true
	within 16 40 "$(mbit "$out")"
	# and the job as a whole stayed under its rate
	run "$IP" -n "$NA" -s -j particle slots "$JA"
	echo "$output" | jq -c '.[] | .rx'
}

@test "shaping: IPv6 packets are classified to their slot too (dual stack)" {
	"$IP" -n "$NA" particle add "$JA" vtep vxlan100 count 4 pool 10.77.0.10/16 \
		pool 2001:db8:77::10/64 counters on
	pt_listen "$JB" 2001:db8:77::1:10 7100
	run pt_send "$JA" 2001:db8:77::12 2001:db8:77::1:10 7100 "over IPv6"
	assert_success
	assert_output "over IPv6"
	run "$IP" -n "$NA" -s -j particle slots "$JA"
	echo "$output" | jq -c '.[]'
	# SYN, data, ACKs, FIN each way
	(($(jq '.[2].tx.packets' <<<"$output") >= 3))
	(($(jq '.[2].rx.packets' <<<"$output") >= 3))
	assert_equal "$(jq '.[1].tx.packets + .[3].tx.packets' <<<"$output")" 0
}
