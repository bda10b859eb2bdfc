#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Functions of one job on two nodes talk over the VXLAN overlay: each
# function is a process with its own mount, pid and uts namespaces that
# joins the job's network namespace and binds its slot's address.

PT_TAG=T
load lib/topo

setup() {
	pt_nodes 2
	JA=${T}ja JB=${T}jb
	run "$IP" -n "$NA" particle add "$JA" vtep vxlan100 count 8 pool "$PT_POOL"
	assert_success
	run "$IP" -n "$NB" particle add "$JB" vtep vxlan100 count 8 pool "$PT_POOL2"
	assert_success
}
teardown() { pt_teardown; }

@test "traffic: slot 0 on node A gets its echo back from slot N-1 on node B" {
	pt_listen "$JB" 10.77.1.17 7000
	run pt_send "$JA" 10.77.0.10 10.77.1.17 7000 "hello from slot 0"
	assert_success
	assert_output "hello from slot 0"
}

@test "traffic: the peer sees the sender's slot address, not another" {
	# read the line first: closing with it unread would send a reset,
	# which can overtake the answer
	pt_listen "$JB" 10.77.1.10 7001 'SYSTEM:read -r line; echo "$SOCAT_PEERADDR"'
	run pt_send "$JA" 10.77.0.13 10.77.1.10 7001 x
	assert_success
	assert_output 10.77.0.13
}

@test "traffic: every slot of A reaches the same slot of B" {
	local k
	for k in 0 1 2 3 4 5 6 7; do
		pt_listen "$JB" "10.77.1.$((10 + k))" 7002
	done
	for k in 0 1 2 3 4 5 6 7; do
		run pt_send "$JA" "10.77.0.$((10 + k))" "10.77.1.$((10 + k))" 7002 "slot $k"
		assert_success
		assert_output "slot $k"
	done
}

@test "traffic: 256 KiB survive the overlay intact (MTU right, no blackhole)" {
	local data=$BATS_TEST_TMPDIR/data
	head -c 262144 /dev/urandom >"$data"
	pt_listen "$JB" 10.77.1.11 7003
	run bash -c "timeout 15 '$STOCK_IP' netns exec '$JA' unshare -mpuf --kill-child \
		socat -t 5 -b 65536 - TCP4:10.77.1.11:7003,bind=10.77.0.11,connect-timeout=4 \
		<'$data' | sha256sum"
	assert_success
	assert_output "$(sha256sum <"$data")"
}

@test "traffic: two jobs on the same node reach each other through br0" {
	run "$IP" -n "$NA" particle add "${T}jc" vtep vxlan100 count 2 pool 10.77.2.10/16
	assert_success
	pt_listen "${T}jc" 10.77.2.11 7004
	run pt_send "$JA" 10.77.0.12 10.77.2.11 7004 same-node
	assert_success
	assert_output same-node
}

@test "traffic: an address outside every pool does not answer" {
	run pt_send "$JA" 10.77.0.10 10.77.1.18 7005 nobody
	assert_failure
	run sip -n "$JA" neigh show 10.77.1.18
	refute_output --partial lladdr
}

@test "traffic: after del on B, B's slots no longer answer" {
	pt_listen "$JB" 10.77.1.10 7006
	run pt_send "$JA" 10.77.0.10 10.77.1.10 7006 before
	assert_output before
	run "$IP" -n "$NB" particle del "$JB"
	assert_success
	sip -n "$JA" neigh flush dev eth0
	run pt_send "$JA" 10.77.0.10 10.77.1.10 7006 after
	assert_failure
	refute_output --partial after
}

@test "traffic: jobs on different VNIs are isolated" {
	# a second overlay (VNI 200, bridge br1) on both nodes
	local n i=0
	for n in "$NA" "$NB"; do
		node_vtep "$n" vxlan200 200 "${PT_UL[i]}" u0 br1 nolearning -- mcast_snooping 0
		node_flood "$n" vxlan200 "${PT_UL[1 - i]}"
		i=$((i + 1))
	done
	run "$IP" -n "$NB" particle add "${T}jd" vtep vxlan200 count 2 pool 10.77.3.10/16
	assert_success
	pt_listen "${T}jd" 10.77.3.10 7007
	run pt_send "$JA" 10.77.0.10 10.77.3.10 7007 other-tenant
	assert_failure
	# but a job of the same VNI 200 on node A reaches it
	run "$IP" -n "$NA" particle add "${T}je" vtep vxlan200 count 2 pool 10.77.4.10/16
	assert_success
	run pt_send "${T}je" 10.77.4.10 10.77.3.10 7007 same-tenant
	assert_success
	assert_output same-tenant
}
