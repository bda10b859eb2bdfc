#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The harness itself (stock ip only): if these fail, every other file's
# failures are the topology's, not ip particle's.

PT_TAG=H
load lib/topo

setup() { pt_nodes 2; pt_lone "${T}c" 192.0.2.3; }
teardown() { pt_teardown; }

@test "topo: nodes have a bridged vxlan100 with MTU 1450 and static FDB" {
	for n in "$NA" "$NB"; do
		run sip -n "$n" -d -o link show vxlan100
		assert_success
		assert_output --partial "mtu 1450"
		assert_output --partial "master br0"
		assert_output --partial "vxlan id 100"
		assert_output --partial "dstport 4789"
		run bridge -n "$n" fdb show dev vxlan100
		assert_output --partial "00:00:00:00:00:00 dst 192.0.2."
	done
	run sip -n "${T}c" -d -o link show vxlan100
	assert_success
	refute_output --partial "master"
}

@test "topo: hand-made veths on br0 of two nodes talk over the overlay" {
	for n in "$NA" "$NB"; do
		sip netns add "${n}f"
		sip link add p0 netns "$n" type veth peer name eth0 netns "${n}f"
		sip -n "$n" link set p0 master br0 up
		sip -n "${n}f" link set lo up
		sip -n "${n}f" link set eth0 up
	done
	sip -n "${NA}f" addr add 10.77.0.10/16 dev eth0
	sip -n "${NB}f" addr add 10.77.1.10/16 dev eth0
	pt_listen "${NB}f" 10.77.1.10 7000
	run pt_send "${NA}f" 10.77.0.10 10.77.1.10 7000 hello-overlay
	assert_success
	assert_output hello-overlay
}

@test "topo: teardown leaves no namespace of this test" {
	pt_teardown
	run pt_jobs_left
	assert_output ""
	run bash -c "ls /run/netns | grep '^$T'"
	assert_output ""
}

@test "topo: pt_port follows HACKING's naming" {
	assert_equal "$(pt_port abc)" pt-abc
	assert_equal "$(pt_port 123456789012)" pt-123456789012
	run pt_port 1234567890123
	assert_output --regexp '^pt~[0-9a-f]{12}$'
	refute_output "$(pt_port 1234567890124)"
}
