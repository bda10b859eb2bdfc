#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The index of a bridge's pools (issue 13, particle/pt_resv.c): one route
# per pool in a private table of the vtep namespace, metric = count, that
# add reads instead of every port's record.  The record stays the
# authority: a job whose entries are gone is still seen, and indexed again.

PT_TAG=Q
load lib/topo

setup() {
	pt_lone "${T}a" 192.0.2.1 br0
	NA=${T}a
	sip -n "$NA" addr add 10.9.0.1/16 dev br0
	sip -n "$NA" link set br0 up
	TBL=$(( 0xf0000000 | $(sip -n "$NA" -o link show br0 | cut -d: -f1) ))
	CTBL=$(( 0xe0000000 | $(sip -n "$NA" -o link show br0 | cut -d: -f1) ))
}
teardown() { pt_teardown; }

# entry NODE PORT: "ADDR metric N" of the port's index route(s)
entry() { sip -n "$1" route show table "$TBL" dev "$2" | awk '{ for (i = 1; i < NF; i++) if ($i == "metric") m = $(i + 1); print $1, "metric", m }'; }

# counted: the bridge's count of job ports (metric - 1 of its entry)
counted() { sip -n "$NA" route show table "$CTBL" proto 115 | awk '{ for (i = 1; i < NF; i++) if ($i == "metric") print $(i + 1) - 1 }'; }
# settled N: the count after a del, which a helper of del lowers once the
# kernel lets go of the RTNL lock (pt_del.c)
settled() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(counted)" = "$1" ] && break
		sleep 0.1
	done
	counted
}
# indexed: how many pool entries the table holds
indexed() { sip -n "$NA" route show table "$TBL" proto 113 | wc -l; }

fill() {	# 30 jobs of count 4 from 10.9.1.1 (past the small-bridge path)
	local i b=$BATS_TEST_TMPDIR/fill.b
	for ((i = 0; i < 30; i++)); do
		echo "particle add ${T}f$i vtep vxlan100 count 4 pool 10.9.1.$((i * 4 + 1))/16"
	done > "$b"
	run "$IP" -n "$NA" -batch "$b"
	assert_success
	refute_output --partial "interrupted"
}

@test "index: one route per pool, metric = count; set moves it; del takes it" {
	run "$IP" -n "$NA" particle add "${T}j" vtep vxlan100 count 4 pool 10.9.0.10/16 pool fd00::10/64
	assert_success
	assert_equal "$(entry "$NA" "pt-${T}j")" "10.9.0.10 metric 4"
	run "$IP" -n "$NA" particle set "${T}j" count 9
	assert_success
	assert_equal "$(entry "$NA" "pt-${T}j")" "10.9.0.10 metric 9"
	run "$IP" -n "$NA" particle set "${T}j" count 2
	assert_success
	assert_equal "$(entry "$NA" "pt-${T}j")" "10.9.0.10 metric 2"
	run "$IP" -n "$NA" particle del "${T}j"
	assert_success
	for ((i = 0; i < 50; i++)); do
		[ -z "$(sip -n "$NA" route show table "$TBL" dev "pt-${T}j")" ] && break
		sleep 0.1
	done
	assert_equal "$(sip -n "$NA" route show table "$TBL" dev "pt-${T}j")" ""
	# what is left is the bridge's count of job ports: none
	assert_equal "$(settled 0)" 0
}

@test "index: with 30 jobs, pools come from the index; lost entries are read again and remade" {
	fill
	assert_equal "$(indexed)" 30
	# an overlap is refused naming the job, from the index
	pt_refuse "${T}f3" -- add "${T}x" vtep vxlan100 count 2 pool 10.9.1.14/16
	# entries lost (as when a port goes down): the records still count
	sip -n "$NA" route flush table "$TBL"
	# (the refusal indexes them again: not "nothing changed")
	run "$IP" -n "$NA" particle add "${T}x" vtep vxlan100 count 2 pool 10.9.1.30/16
	assert_failure 1
	assert_output --partial "overlaps job \"${T}f7\""
	assert_equal "$(indexed)" 30
	# one job's entry lost: read by its record, not missed
	sip -n "$NA" route del 10.9.1.41 table "$TBL" dev "pt-${T}f10"
	run "$IP" -n "$NA" particle add "${T}x" vtep vxlan100 count 2 pool 10.9.1.42/16
	assert_failure 1
	assert_output --partial "overlaps job \"${T}f10\""
	assert_equal "$(entry "$NA" "pt-${T}f10")" "10.9.1.41 metric 4"
	# a default pool skips every job
	run "$IP" -n "$NA" particle add "${T}x" vtep vxlan100 count 4
	assert_success
	run "$IP" -n "$NA" -j particle show "${T}x"
	assert_output --partial '"first":"10.9.0.2"'
}

# bridgedumps CMD...: how many AF_BRIDGE link dumps CMD asked the kernel for
bridgedumps() {
	strace -f -e trace=sendto,sendmsg -o "$BATS_TEST_TMPDIR/st" "$@" > /dev/null 2>&1
	grep -cE 'nlmsg_type=(0x12|RTM_GETLINK)[^}]*(0x300|NLM_F_DUMP)[^"]*"\\x07' "$BATS_TEST_TMPDIR/st" || true
}

@test "count: the bridge counts its job ports; add reads only the table while the count holds" {
	fill
	assert_equal "$(counted)" 30
	# in a table of its own, apart from the pools' entries
	assert_equal "$(sip -n "$NA" route show table "$TBL" proto 115)" ""
	run "$IP" -n "$NA" particle del "${T}f0"
	assert_success
	assert_equal "$(settled 29)" 29
	# the count holds: no listing of the bridge's ports
	assert_equal "$(bridgedumps "$IP" -n "$NA" particle add "${T}y" vtep vxlan100 count 2 pool 10.9.1.1/16)" 0
	assert_equal "$(counted)" 30
	# a port gone down loses its entries: the ports are read, its pool
	# is still taken
	sip -n "$NA" link set "pt-${T}f5" down
	assert_equal "$(sip -n "$NA" route show table "$TBL" dev "pt-${T}f5")" ""
	run "$IP" -n "$NA" particle add "${T}x" vtep vxlan100 count 2 pool 10.9.1.22/16
	assert_failure 1
	assert_output --partial "overlaps job \"${T}f5\""
	sip -n "$NA" link set "pt-${T}f5" up
	# a job taken away by stock ip leaves the count too high: the next
	# add reads the ports and sets it right
	sip netns del "${T}f7"
	for ((i = 0; i < 50; i++)); do
		sip -n "$NA" link show "pt-${T}f7" > /dev/null 2>&1 || break
		sleep 0.1
	done
	assert_equal "$(counted)" 30
	run "$IP" -n "$NA" particle add "${T}x" vtep vxlan100 count 2 pool 10.9.1.29/16
	assert_success
	assert_equal "$(counted)" 30
	assert_equal "$(bridgedumps "$IP" -n "$NA" particle add "${T}z" vtep vxlan100 count 2 pool 10.9.1.121/16)" 0
	assert_equal "$(counted)" 31
	run "$IP" -n "$NA" -j particle show
	assert_equal "$(echo "$output" | grep -o '"job":' | wc -l)" 31
}

@test "count: a del killed after its port went leaves the count high, and the next add mends it" {
	fill
	run env PARTICLE_FAULT=del:port "$IP" -n "$NA" particle del "${T}f2"
	assert_failure
	sleep 0.3	# its helper, told nothing, left it
	assert_equal "$(counted)" 30
	run "$IP" -n "$NA" particle add "${T}x" vtep vxlan100 count 2 pool 10.9.1.9/16
	assert_success
	assert_equal "$(counted)" 30
	# and a del lowers it again
	run "$IP" -n "$NA" particle del "${T}x"
	assert_success
	assert_equal "$(settled 29)" 29
	# del's helper killed before it lowers the count: del is done, the
	# count one too high, and the next add mends it
	run env PARTICLE_FAULT=del:count "$IP" -n "$NA" particle del "${T}f3"
	assert_success
	assert_job_gone "$NA" "${T}f3"
	sleep 0.3
	assert_equal "$(counted)" 29
	run "$IP" -n "$NA" particle add "${T}x" vtep vxlan100 count 2 pool 10.9.1.9/16
	assert_success
	assert_equal "$(counted)" 29
	run "$IP" -n "$NA" -j particle show
	assert_equal "$(echo "$output" | grep -o '"job":' | wc -l)" 29
}

@test "count: concurrent adds and dels leave it equal to the job ports, and add then reads no port" {
	local i pids=()
	fill
	# 10 dels and 10 adds at once, each add in a pool of its own
	for ((i = 0; i < 10; i++)); do
		"$IP" -n "$NA" particle del "${T}f$i" &
		pids+=($!)
		"$IP" -n "$NA" particle add "${T}c$i" vtep vxlan100 count 4 \
			pool "10.9.2.$((i * 4 + 1))/16" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || fail "a concurrent add or del failed"
	done
	run "$IP" -n "$NA" -j particle show
	assert_equal "$(echo "$output" | grep -o '"job":' | wc -l)" 30
	assert_equal "$(settled 30)" 30
	# the count holds: the next add reads the table alone
	assert_equal "$(bridgedumps "$IP" -n "$NA" particle add "${T}y" vtep vxlan100 count 2 pool 10.9.3.1/16)" 0
	assert_equal "$(counted)" 31
}
