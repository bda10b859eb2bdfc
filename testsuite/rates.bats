#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Per-slot rates and counters (issue 12), without traffic: the grammar of
# rate, slot-rate, slot-ceil and counters on add and set, what they make in
# the kernel on both ends of the job's veth, refusals that change nothing,
# set count, and nothing left after del.  Traffic is in shaping.bats.

PT_TAG=R
load lib/topo

setup() {
	pt_nodes 1
	J=${T}j
	P=$(pt_port "$J")
}
teardown() { pt_teardown; }

# tree NODE JOB: the traffic-control state of both ends, for comparisons
tree() {
	echo "== eth0"
	tc -n "$2" qdisc show dev eth0 2>&1 | grep -v 'qdisc noqueue' | sed 's/ direct_packets_stat [0-9]*//'
	tc -n "$2" class show dev eth0 2>&1
	tc -n "$2" filter show dev eth0 2>&1 | sed 's/ id [0-9]*//; s/ tag [0-9a-f]*//'
	echo "== port"
	tc -n "$1" qdisc show dev "$(pt_port "$2")" 2>&1 | grep -v 'qdisc noqueue' | sed 's/ direct_packets_stat [0-9]*//'
	tc -n "$1" class show dev "$(pt_port "$2")" 2>&1
	tc -n "$1" filter show dev "$(pt_port "$2")" 2>&1 | sed 's/ id [0-9]*//; s/ tag [0-9a-f]*//'
}

# the job's record
alias_of() { sip -n "$NA" -d link show dev "$P" | grep -o 'alias .*'; }

# nclasses NS DEV: HTB classes on DEV, the job's class included
nclasses() { tc -n "$1" class show dev "$2" | grep -c '^class htb'; }

# slot_rate NS DEV SLOT: "rate R ceil C" of a slot's class, as tc says it
slot_rate() {
	tc -n "$1" class show dev "$2" classid "1:$(printf %x $(($3 + 1)))" |
		grep -oE 'rate [^ ]+ ceil [^ ]+'
}

@test "rates: add with rate, slot-rate, slot-ceil builds HTB and a bpf classifier on both ends" {
	run "$IP" -n "$NA" particle add "$J" vtep vxlan100 count 6 pool 10.77.0.10/16 \
		rate 600mbit slot-rate 50mbit slot-ceil 100mbit
	assert_success
	run nclasses "$J" eth0
	assert_output 7
	run nclasses "$NA" "$P"
	assert_output 7
	run slot_rate "$J" eth0 5
	assert_output "rate 50Mbit ceil 100Mbit"
	run slot_rate "$NA" "$P" 0
	assert_output "rate 50Mbit ceil 100Mbit"
	run tc -n "$J" class show dev eth0 classid 1:ffff
	assert_output --partial "rate 600Mbit ceil 600Mbit"
	run tc -n "$J" filter show dev eth0
	assert_output --partial "bpf"
	assert_output --partial "pt_slot_src"
	run tc -n "$NA" filter show dev "$P"
	assert_output --partial "pt_slot_dst"
	# the record carries the limits (bytes per second)
	run sip -n "$NA" -d link show dev "$P"
	assert_output --partial "rate=75000000 srate=6250000 sceil=12500000"
}

@test "rates: show prints the limits as tc writes them, -j as bytes per second" {
	"$IP" -n "$NA" particle add "$J" vtep vxlan100 count 2 pool 10.77.0.10/16 \
		slot-rate 12500kbps
	run "$IP" -n "$NA" particle show "$J"
	assert_success
	assert_output --partial "slot-rate 100Mbit counters"
	refute_output --partial " rate "
	run "$IP" -n "$NA" -j particle show "$J"
	run jq -c '.[0] | [.slot_rate, .counters, has("rate"), has("slot_ceil")]' <<<"$output"
	assert_output '[12500000,true,false,false]'
}

@test "rates: a job without limits has no qdisc, no class, no filter" {
	"$IP" -n "$NA" particle add "$J" vtep vxlan100 count 4 pool 10.77.0.10/16
	run tree "$NA" "$J"
	assert_output "== eth0
== port"
	run "$IP" -n "$NA" particle show "$J"
	refute_output --partial counters
}

@test "rates: counters on gives per-slot classes without limits; set counters off removes them" {
	"$IP" -n "$NA" particle add "$J" vtep vxlan100 count 3 pool 10.77.0.10/16 counters on
	run nclasses "$J" eth0
	assert_output 4
	run "$IP" -n "$NA" -s -j particle slots "$J"
	assert_success
	run jq -c '[.[] | .tx | keys] | unique' <<<"$output"
	assert_output '[["bytes","dropped","packets"]]'
	run "$IP" -n "$NA" particle set "$J" counters off
	assert_success
	run tree "$NA" "$J"
	assert_output "== eth0
== port"
}

@test "rates: set changes limits in place and none removes them" {
	"$IP" -n "$NA" particle add "$J" vtep vxlan100 count 4 pool 10.77.0.10/16 slot-rate 10mbit
	run slot_rate "$J" eth0 3
	assert_output "rate 10Mbit ceil 8796Gbit"
	run "$IP" -n "$NA" particle set "$J" slot-ceil 30mbit rate 100mbit
	assert_success
	run slot_rate "$J" eth0 3
	assert_output "rate 10Mbit ceil 30Mbit"
	run slot_rate "$NA" "$P" 2
	assert_output "rate 10Mbit ceil 30Mbit"
	run "$IP" -n "$NA" particle show "$J"
	assert_output --partial "rate 100Mbit slot-rate 10Mbit slot-ceil 30Mbit"
	# the slot-ceil default is the job's rate
	run "$IP" -n "$NA" particle set "$J" slot-ceil none
	assert_success
	run slot_rate "$J" eth0 0
	assert_output "rate 10Mbit ceil 100Mbit"
	run "$IP" -n "$NA" particle set "$J" slot-rate none rate none
	assert_success
	run tree "$NA" "$J"
	assert_output "== eth0
== port"
	run sip -n "$NA" -d link show dev "$P"
	refute_output --partial "rate="
}

@test "rates: set count keeps the limits for new slots and removes the classes of removed ones" {
	"$IP" -n "$NA" particle add "$J" vtep vxlan100 count 4 pool 10.77.0.10/16 \
		slot-rate 5mbit slot-ceil 7mbit
	run "$IP" -n "$NA" particle set "$J" count 9
	assert_success
	run nclasses "$J" eth0
	assert_output 10
	run nclasses "$NA" "$P"
	assert_output 10
	run slot_rate "$NA" "$P" 8
	assert_output "rate 5Mbit ceil 7Mbit"
	run "$IP" -n "$NA" particle set "$J" count 2
	assert_success
	run nclasses "$J" eth0
	assert_output 3
	run tc -n "$NA" class show dev "$P" classid 1:3
	assert_output ""
	# count and limits in one set
	run "$IP" -n "$NA" particle set "$J" count 5 slot-ceil 9mbit
	assert_success
	run slot_rate "$J" eth0 4
	assert_output "rate 5Mbit ceil 9Mbit"
	run slot_rate "$J" eth0 0
	assert_output "rate 5Mbit ceil 9Mbit"
	run "$IP" -n "$NA" particle show "$J"
	assert_output --partial "count 5 "
}

@test "rates: set turns limits on for a job made without them, dual stack" {
	"$IP" -n "$NA" particle add "$J" vtep vxlan100 count 3 pool 10.77.0.10/16 \
		pool 2001:db8:77::10/64
	run "$IP" -n "$NA" particle set "$J" slot-rate 1mbit
	assert_success
	run nclasses "$J" eth0
	assert_output 4
	run "$IP" -n "$NA" particle slots "$J"
	assert_line "0 10.77.0.10 2001:db8:77::10"
}

@test "rates: refusals name the word and change nothing (add)" {
	local b
	"$IP" -n "$NA" particle add "${T}k" vtep vxlan100 count 2 pool 10.77.9.10/16 slot-rate 1mbit
	b=$(tree "$NA" "${T}k")
	pt_refuse fast rate -- add "$J" vtep vxlan100 count 2 pool 10.77.0.10/16 rate fast
	pt_refuse -5mbit -- add "$J" vtep vxlan100 count 2 pool 10.77.0.10/16 slot-rate -5mbit
	pt_refuse 0 -- add "$J" vtep vxlan100 count 2 pool 10.77.0.10/16 slot-ceil 0
	pt_refuse 7bit "8bit" -- add "$J" vtep vxlan100 count 2 pool 10.77.0.10/16 rate 7bit
	pt_refuse 10mbitx -- add "$J" vtep vxlan100 count 2 pool 10.77.0.10/16 rate 10mbitx
	pt_refuse slot-rate 20Mbit 10Mbit -- add "$J" vtep vxlan100 count 2 pool 10.77.0.10/16 \
		rate 10mbit slot-rate 20mbit
	pt_refuse slot-ceil 5Mbit -- add "$J" vtep vxlan100 count 2 pool 10.77.0.10/16 \
		slot-rate 10mbit slot-ceil 5mbit
	pt_refuse "slot-rate" "4 slots" -- add "$J" vtep vxlan100 count 4 pool 10.77.0.10/16 \
		rate 30mbit slot-rate 10mbit
	pt_refuse counters "on or off" -- add "$J" vtep vxlan100 count 2 pool 10.77.0.10/16 counters yes
	pt_refuse "slot-rate" "needs a value" -- add "$J" vtep vxlan100 count 2 pool 10.77.0.10/16 slot-rate
	pt_refuse "slot-rate" "given twice" -- add "$J" vtep vxlan100 count 2 pool 10.77.0.10/16 \
		slot-rate 1mbit slot-rate 2mbit
	pt_refuse 65534 "16 bits" -- add "$J" vtep vxlan100 count 70000 pool 10.80.0.1/8 \
		mode anyip slot-rate 1mbit
	assert_equal "$(tree "$NA" "${T}k")" "$b"
	[ ! -e "/run/netns/$J" ]
}

@test "rates: refusals of set change nothing, in the kernel and the record" {
	local b r
	"$IP" -n "$NA" particle add "$J" vtep vxlan100 count 4 pool 10.77.0.10/16 \
		rate 100mbit slot-rate 10mbit
	b=$(tree "$NA" "$J")
	r=$(alias_of)
	pt_refuse slot-rate 200Mbit -- set "$J" slot-rate 200mbit
	pt_refuse slot-rate 30Mbit -- set "$J" rate 30mbit
	pt_refuse 11 "11 slots" -- set "$J" count 11
	pt_refuse slot-ceil -- set "$J" slot-ceil 1mbit
	pt_refuse lots -- set "$J" rate lots
	pt_refuse speed "count, rate" -- set "$J" speed 1mbit
	pt_refuse "rate" "given twice" -- set "$J" rate 1gbit rate 2gbit
	pt_refuse "count" "needs a value" -- set "$J" slot-rate 1mbit count
	pt_refuse "missing what to change" -- set "$J"
	pt_refuse 65535 65534 -- set "$J" count 65535 rate none slot-rate none counters on
	assert_equal "$(tree "$NA" "$J")" "$b"
	assert_equal "$(alias_of)" "$r"
}

@test "rates: -s slots on a job without counters says how to turn them on" {
	"$IP" -n "$NA" particle add "$J" vtep vxlan100 count 2 pool 10.77.0.10/16
	run --separate-stderr "$IP" -n "$NA" -s particle slots "$J"
	assert_success
	assert_line "1 10.77.0.11"
	[[ $stderr == *"counters on"* ]]
	run "$IP" -n "$NA" -s -j particle show "$J"
	run jq -c '.[0] | [(.tx | keys), (.rx | keys)]' <<<"$output"
	assert_output '[["bytes","dropped","packets"],["bytes","dropped","packets"]]'
}

@test "rates: del leaves no qdisc, class, filter or BPF program behind" {
	local ids id
	"$IP" -n "$NA" particle add "$J" vtep vxlan100 count 16 pool 10.77.0.10/16 \
		pool 2001:db8:77::10/64 slot-rate 1mbit slot-ceil 2mbit
	ids=$( { tc -n "$J" filter show dev eth0; tc -n "$NA" filter show dev "$P"; } |
		grep -oE ' id [0-9]+' | awk '{print $2}')
	[ "$(wc -w <<<"$ids")" = 2 ]
	for id in $ids; do
		bpftool prog show id "$id" >/dev/null
	done
	run "$IP" -n "$NA" particle del "$J"
	assert_success
	assert_job_gone "$NA" "$J"
	run tc -n "$NA" qdisc show
	refute_output --partial htb
	# programs go once the last reference (the filter) is released
	for id in $ids; do
		for _ in $(seq 50); do
			bpftool prog show id "$id" >/dev/null 2>&1 || break
			sleep 0.1
		done
		run bpftool prog show id "$id"
		assert_failure
	done
}

@test "rates: flush removes shaped jobs completely" {
	"$IP" -n "$NA" particle add "$J" vtep vxlan100 count 3 pool 10.77.0.10/16 rate 10mbit
	"$IP" -n "$NA" particle add "${T}k" vtep vxlan100 count 3 pool 10.77.1.10/16 counters on
	run "$IP" -n "$NA" particle flush
	assert_success
	assert_job_gone "$NA" "$J"
	assert_job_gone "$NA" "${T}k"
	run tc -n "$NA" qdisc show
	refute_output --partial htb
}

@test "rates: a kernel refusal half way through set is rolled back (exit 2)" {
	local b r
	"$IP" -n "$NA" particle add "$J" vtep vxlan100 count 4 pool 10.77.0.10/16
	# somebody's qdisc on the port: eth0's tree goes in, the port's is refused
	tc -n "$NA" qdisc add dev "$P" root handle 7: htb
	b=$(tree "$NA" "$J"; pt_snapshot)
	r=$(alias_of)
	run --separate-stderr "$IP" -n "$NA" particle set "$J" slot-rate 1mbit
	echo "$stderr"
	assert_failure 2
	[[ $stderr == *Error:*"$J"*refused* ]]
	assert_equal "$(tree "$NA" "$J"; pt_snapshot)" "$b"
	assert_equal "$(alias_of)" "$r"
	tc -n "$NA" qdisc del dev "$P" root

	# a class in the way of a new slot's: count, addresses, classes go back
	"$IP" -n "$NA" particle set "$J" slot-rate 1mbit
	tc -n "$NA" class add dev "$P" parent 1:ffff classid 1:8 htb rate 1mbit
	# (the undo removes slot 7's class on both ends, this one included:
	# it sits in the job's own tree)
	b=$(tree "$NA" "$J" | grep -v 'class htb 1:8 '; pt_snapshot)
	r=$(alias_of)
	run --separate-stderr "$IP" -n "$NA" particle set "$J" count 8
	echo "$stderr"
	assert_failure 2
	[[ $stderr == *"adding class 1:8"* ]]
	assert_equal "$(tree "$NA" "$J"; pt_snapshot)" "$b"
	assert_equal "$(alias_of)" "$r"
}

@test "rates: valgrind is clean for add, set, -s slots, -s show, del with limits" {
	pt_need_valgrind
	local log=$BATS_TEST_TMPDIR/vg.log
	vg() {
		run timeout 240 valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect \
			--error-exitcode=99 -q --log-file="$log" "$IP" "$@"
		cat "$log"
		assert_success
		! grep -qE 'Invalid|definitely lost|indirectly lost|Unsupported|unhandled' "$log"
	}
	vg -n "$NA" particle add "$J" vtep vxlan100 count 20 pool 10.77.0.10/16 \
		pool 2001:db8:77::10/64 rate 100mbit slot-rate 1mbit
	vg -n "$NA" particle set "$J" count 30 slot-ceil 3mbit
	vg -n "$NA" -s -j particle slots "$J"
	vg -n "$NA" -s particle show
	vg -n "$NA" particle set "$J" rate none slot-rate none slot-ceil none
	vg -n "$NA" particle del "$J"
}

@test "rates: completion offers the rate keywords for add and set, on/off for counters" {
	# shellcheck disable=SC1091
	source "$BATS_TEST_DIRNAME/../particle/bash-completion/ip-particle"
	c() {
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_ip_particle
		printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
	}
	run c ip particle add j1 vtep vx count 4 slot-rate 1mbit sl
	assert_output "slot-ceil "
	run c ip particle add j1 counters ""
	assert_output "off on "
	run c ip particle set j1 slot-rate 1mbit ""
	assert_output "count counters rate slot-ceil "
	run c ip particle set j1 cou 4 counters ""
	assert_output "off on "
}
