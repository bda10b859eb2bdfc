#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Refusals: every one exits 1 (HACKING: refused before touching the kernel),
# says "Error:" naming the bad word, and leaves this test's kernel state
# (links, addresses, routes, /run/netns, mounts) exactly as it was.
# Kernel refusals half way through exit 1 or 2 and leave nothing behind.

PT_TAG=E
load lib/topo

setup() {
	pt_nodes 1
	pt_lone "${T}c" 192.0.2.3	# vxlan100 without a bridge
	J=${T}j
	ADD=(add "$J" vtep vxlan100 count 4 pool "$PT_POOL")
}
teardown() { pt_teardown; }

# --- missing or malformed keywords --------------------------------------

@test "refuse: add without JOB" {
	pt_refuse job -- add
}

@test "refuse: add without vtep" {
	pt_refuse vtep -- add "$J" count 4 pool "$PT_POOL"
}

@test "refuse: add without count" {
	pt_refuse count -- add "$J" vtep vxlan100 pool "$PT_POOL"
}

@test "refuse: vtep without its value" {
	pt_refuse vtep -- add "$J" count 4 pool "$PT_POOL" vtep
}

@test "refuse: count without its value" {
	pt_refuse count -- add "$J" vtep vxlan100 pool "$PT_POOL" count
}

@test "refuse: pool without its value" {
	pt_refuse pool -- add "$J" vtep vxlan100 count 4 pool
}

@test "refuse: count 0" {
	pt_refuse count -- add "$J" vtep vxlan100 count 0 pool "$PT_POOL"
}

@test "refuse: count -1" {
	pt_refuse -1 -- add "$J" vtep vxlan100 count -1 pool "$PT_POOL"
}

@test "refuse: count abc" {
	pt_refuse abc -- add "$J" vtep vxlan100 count abc pool "$PT_POOL"
}

@test "refuse: count 4x (trailing garbage)" {
	pt_refuse 4x -- add "$J" vtep vxlan100 count 4x pool "$PT_POOL"
}

@test "refuse: count 70000 in addrs mode names the limit 65536" {
	pt_refuse count 65536 -- add "$J" vtep vxlan100 count 70000 pool 10.0.0.1/8
}

@test "refuse: count larger than 32 bits" {
	pt_refuse 99999999999 -- add "$J" vtep vxlan100 count 99999999999 \
		pool 10.0.0.1/8 mode anyip
}

# --- JOB -------------------------------------------------------------------

@test "refuse: JOB of 65 characters" {
	local long=$T
	while ((${#long} < 65)); do long+=x; done
	pt_refuse "$long" -- add "$long" vtep vxlan100 count 4 pool "$PT_POOL"
}

@test "refuse: JOB starting with '.'" {
	pt_refuse ".$T" -- add ".$T" vtep vxlan100 count 4 pool "$PT_POOL"
}

@test "refuse: JOB starting with '-'" {
	pt_refuse "-$T" -- add "-$T" vtep vxlan100 count 4 pool "$PT_POOL"
}

@test "refuse: JOB containing '/'" {
	pt_refuse "$T/x" -- add "$T/x" vtep vxlan100 count 4 pool "$PT_POOL"
}

@test "refuse: JOB containing a space" {
	pt_refuse "$T x" -- add "$T x" vtep vxlan100 count 4 pool "$PT_POOL"
}

@test "refuse: empty JOB" {
	pt_refuse job -- add "" vtep vxlan100 count 4 pool "$PT_POOL"
}

@test "refuse: JOB whose namespace exists (not a job), namespace untouched" {
	sip netns add "${T}n"
	pt_refuse "${T}n" -- add "${T}n" vtep vxlan100 count 4 pool "$PT_POOL"
	run sip -n "${T}n" -o link
	assert_output --regexp '^1: lo:'
	assert_equal "${#lines[@]}" 1
}

@test "refuse: JOB that is already a job, job untouched" {
	run "$IP" -n "$NA" particle "${ADD[@]}"
	assert_success
	pt_refuse "$J" -- add "$J" vtep vxlan100 count 2 pool 10.77.5.10/16
	run sip -n "$J" -o -4 addr show dev eth0
	assert_equal "${#lines[@]}" 4
}

# --- vtep, bridge -----------------------------------------------------------

@test "refuse: vtep that does not exist" {
	pt_refuse nosuch0 -- add "$J" vtep nosuch0 count 4 pool "$PT_POOL"
}

@test "refuse: vtep of the wrong type (a veth)" {
	pt_refuse u0 -- add "$J" vtep u0 count 4 pool "$PT_POOL"
}

@test "refuse: vtep of the wrong type (lo)" {
	pt_refuse vtep -- add "$J" vtep lo count 4 pool "$PT_POOL"
}

@test "refuse: bridge naming a veth for an unbridged vxlan" {
	pt_refuse -n "${T}c" u1 -- add "$J" vtep vxlan100 count 4 \
		pool "$PT_POOL" bridge u1
}

@test "refuse: bridge name longer than 15 characters" {
	pt_refuse -n "${T}c" br0123456789abcd -- add "$J" vtep vxlan100 count 4 \
		pool "$PT_POOL" bridge br0123456789abcd
}

# --- pool -------------------------------------------------------------------

@test "refuse: pool overflowing its subnet" {
	pt_refuse 10.0.0.250/24 -- add "$J" vtep vxlan100 count 10 pool 10.0.0.250/24
}

@test "refuse: pool whose last slot would be the broadcast address" {
	pt_refuse 10.0.0.250/24 -- add "$J" vtep vxlan100 count 6 pool 10.0.0.250/24
}

@test "refuse: pool starting at the network address" {
	pt_refuse 10.0.0.0 -- add "$J" vtep vxlan100 count 4 pool 10.0.0.0/24
}

@test "refuse: pool starting at the broadcast address" {
	pt_refuse 10.0.0.255 -- add "$J" vtep vxlan100 count 1 pool 10.0.0.255/24
}

@test "refuse: pool overlapping another job's pool on the same bridge" {
	run "$IP" -n "$NA" particle add "${T}o" vtep vxlan100 count 8 pool "$PT_POOL"
	assert_success
	pt_refuse 10.77.0.17 -- add "$J" vtep vxlan100 count 4 pool 10.77.0.17/16
}

@test "refuse: pool enclosing another job's pool on the same bridge" {
	run "$IP" -n "$NA" particle add "${T}o" vtep vxlan100 count 8 pool "$PT_POOL"
	assert_success
	pt_refuse pool -- add "$J" vtep vxlan100 count 100 pool 10.77.0.2/16
}

@test "refuse: pool overlapping another job's IPv6 pool" {
	run "$IP" -n "$NA" particle add "${T}o" vtep vxlan100 count 8 \
		pool 2001:db8:77::100/64
	assert_success
	pt_refuse pool -- add "$J" vtep vxlan100 count 4 pool 2001:db8:77::107/64
}

@test "refuse: pool containing the bridge's address" {
	sip -n "$NA" addr add 10.77.0.5/16 dev br0
	pt_refuse pool -- add "$J" vtep vxlan100 count 8 pool 10.77.0.2/16
}

@test "refuse: pool 10.0.0.300/24" {
	pt_refuse 10.0.0.300 -- add "$J" vtep vxlan100 count 4 pool 10.0.0.300/24
}

@test "refuse: pool without prefix length" {
	pt_refuse 10.0.0.3 -- add "$J" vtep vxlan100 count 4 pool 10.0.0.3
}

@test "refuse: pool with prefix length 33" {
	pt_refuse 10.0.0.3/33 -- add "$J" vtep vxlan100 count 4 pool 10.0.0.3/33
}

@test "refuse: IPv6 pool with prefix length 129" {
	pt_refuse 2001:db8::10/129 -- add "$J" vtep vxlan100 count 4 \
		pool 2001:db8::10/129
}

@test "refuse: pool abc" {
	pt_refuse abc -- add "$J" vtep vxlan100 count 4 pool abc/24
}

@test "refuse: two IPv4 pools" {
	pt_refuse pool -- add "$J" vtep vxlan100 count 4 pool "$PT_POOL" \
		pool 10.78.0.10/16
}

@test "refuse: no pool and the bridge has no IPv4 address asks for pool" {
	pt_refuse pool -- add "$J" vtep vxlan100 count 4
}

# --- other keywords ---------------------------------------------------------

@test "refuse: mode bogus" {
	pt_refuse bogus -- "${ADD[@]}" mode bogus
}

@test "refuse: mac bogus" {
	pt_refuse zz:11 -- "${ADD[@]}" mac zz:11
}

@test "refuse: mtu bogus" {
	pt_refuse 15x0 -- "${ADD[@]}" mtu 15x0
}

@test "refuse: gateway bogus" {
	pt_refuse 10.77.0.999 -- "${ADD[@]}" gateway 10.77.0.999
}

@test "refuse: duplicate keyword count" {
	pt_refuse count -- "${ADD[@]}" count 5
}

@test "refuse: duplicate keyword mode" {
	pt_refuse mode -- "${ADD[@]}" mode addrs mode anyip
}

@test "refuse: unknown keyword" {
	pt_refuse frob -- "${ADD[@]}" frob 1
}

@test "refuse: unknown verb" {
	pt_refuse frobnicate -- frobnicate
}

# --- del, set, slots, show of what does not exist ---------------------------

@test "refuse: del of a job that does not exist" {
	pt_refuse "${T}none" "no particle job" -- del "${T}none"
}

@test "refuse: del of a namespace that is not a job, namespace kept" {
	sip netns add "${T}n"
	pt_refuse "${T}n" "no particle job" -- del "${T}n"
	[ -e "/run/netns/${T}n" ]
}

@test "refuse: del without JOB" {
	pt_refuse job -- del
}

@test "refuse: del with a stray word, job kept" {
	run "$IP" -n "$NA" particle "${ADD[@]}"
	assert_success
	pt_refuse stray -- del "$J" stray
	[ -e "/run/netns/$J" ]
}

@test "refuse: slots of a job that does not exist" {
	pt_refuse "${T}none" "no particle job" -- slots "${T}none"
}

@test "refuse: show of a job that does not exist" {
	pt_refuse "${T}none" -- show "${T}none"
}

@test "refuse: set of a job that does not exist" {
	pt_refuse "${T}none" "no particle job" -- set "${T}none" count 4
}

@test "refuse: set without count, set count 0, set beyond the subnet" {
	run "$IP" -n "$NA" particle add "$J" vtep vxlan100 count 4 pool 10.0.0.250/24
	assert_success
	pt_refuse count -- set "$J"
	pt_refuse count -- set "$J" count 0
	pt_refuse pool -- set "$J" count 6
	run "$IP" -n "$NA" particle slots "$J"
	assert_equal "${#lines[@]}" 4
}

@test "refuse: a job on another node is not visible (del from the wrong node)" {
	run "$IP" -n "${T}c" particle "${ADD[@]}"
	assert_success
	pt_refuse "$J" "no particle job" -- del "$J"
	[ -e "/run/netns/$J" ]
}

@test "refuse: not root" {
	local before after
	before=$(pt_snapshot)
	run --separate-stderr sip netns exec "$NA" setpriv --reuid=65534 \
		--regid=65534 --clear-groups --inh-caps=-all "$IP" particle "${ADD[@]}"
	after=$(pt_snapshot)
	echo "# status $status stderr $stderr"
	assert_equal "$status" 1
	[[ $stderr == *Error:* ]]
	assert_equal "$after" "$before"
}

# --- kernel refusals half way: rolled back ----------------------------------

@test "rollback: multicast mac (kernel refuses the veth)" {
	pt_refuse -x '1|2' mac -- "${ADD[@]}" mac 01:00:00:00:00:01
	assert_job_gone "$NA" "$J"
}

@test "rollback: mtu 70000 (veth maximum is 65535)" {
	pt_refuse -x '1|2' mtu -- "${ADD[@]}" mtu 70000
	assert_job_gone "$NA" "$J"
}

@test "rollback: gateway outside the on-link prefix (route step refused)" {
	pt_refuse -x '1|2' gateway -- "${ADD[@]}" gateway 10.99.0.1
	assert_job_gone "$NA" "$J"
}

@test "rollback: IPv6 pool on an MTU below 1280 (pool step refused)" {
	pt_refuse -x '1|2' -- add "$J" vtep vxlan100 count 4 pool "$PT_POOL" \
		pool 2001:db8:77::10/64 mtu 1200
	assert_job_gone "$NA" "$J"
}

@test "rollback: port name already taken, the other device kept" {
	sip -n "$NA" link add "$(pt_port "$J")" type veth peer name x1
	pt_refuse -x '1|2' -- "${ADD[@]}"
	[ ! -e "/run/netns/$J" ]
	run sip -n "$NA" -o link show "$(pt_port "$J")"
	assert_success
}

@test "rollback: a refused add leaves the next add of the same job working" {
	pt_refuse -x '1|2' -- "${ADD[@]}" gateway 10.99.0.1
	run "$IP" -n "$NA" particle "${ADD[@]}"
	assert_success
	run sip -n "$J" -o -4 addr show dev eth0
	assert_equal "${#lines[@]}" 4
}

@test "refuse: gateway of the other family than the pool" {
	pt_refuse 2001:db8::1 -- "${ADD[@]}" gateway 2001:db8::1
}
