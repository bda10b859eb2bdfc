#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Density (issue 13): the bridge's port limit refused up front, the
# default pool's sweep past many jobs, jobs of other bridges ignored, and
# del/set/slots/show JOB asking the kernel for their job by name (no
# dump of every device).  Timings are in the benchmark (figure 7).

PT_TAG=N
load lib/topo

setup() {
	pt_lone "${T}a" 192.0.2.1 br0
	NA=${T}a
	sip -n "$NA" addr add 10.9.0.1/24 dev br0
	sip -n "$NA" link set br0 up
}
teardown() { pt_teardown; }

# ports NODE BRIDGE: how many devices the bridge has
ports() { sip -n "$1" -o link show master "$2" | wc -l; }

@test "bridge limit: 1023 ports, the next add refused naming bridge and limit, nothing made" {
	local i b=$BATS_TEST_TMPDIR/fill.b
	# 1020 filler ports (down, both veth ends here) + vxlan100 = 1021
	for ((i = 0; i < 1020; i++)); do
		echo "link add f$i master br0 type veth peer name g$i"
	done > "$b"
	run sip -n "$NA" -batch "$b"
	assert_success
	assert_equal "$(ports "$NA" br0)" 1021
	run "$IP" -n "$NA" particle add "${T}j1" vtep vxlan100 count 2
	assert_success
	run "$IP" -n "$NA" particle add "${T}j2" vtep vxlan100 count 2
	assert_success
	assert_equal "$(ports "$NA" br0)" 1023
	pt_refuse br0 1023 -- add "${T}j3" vtep vxlan100 count 2
	[ ! -e "/run/netns/${T}j3" ]
	# an explicit pool is refused the same way
	pt_refuse br0 1023 -- add "${T}j3" vtep vxlan100 count 2 pool 10.9.0.200/24
	# the kernel agrees: one more port would not fit
	run sip -n "$NA" link add x0 master br0 type veth peer name x1
	assert_failure
	sip -n "$NA" link del x0 2>/dev/null || true
	# one port freed: the job fits again, and works
	sip -n "$NA" link del f0
	run "$IP" -n "$NA" particle add "${T}j3" vtep vxlan100 count 2
	assert_success
	run "$IP" -n "$NA" particle slots "${T}j3"
	assert_success
	assert_equal "$(ports "$NA" br0)" 1023
	for i in 1 2 3; do
		run "$IP" -n "$NA" particle del "${T}j$i"
		assert_success
	done
	assert_equal "$(ports "$NA" br0)" 1020
}

@test "bridge limit: an unbridged vtep that would join counts as a port too" {
	local i b=$BATS_TEST_TMPDIR/fill.b
	sip -n "$NA" link add vx2 type vxlan id 2 local 192.0.2.1 dev u0 dstport 4789
	sip -n "$NA" link add br2 type bridge
	sip -n "$NA" link set br2 up
	for ((i = 0; i < 1022; i++)); do
		echo "link add f$i master br2 type veth peer name g$i"
	done > "$b"
	run sip -n "$NA" -batch "$b"
	assert_success
	# 1022 ports: the job's port alone would fit, not with vx2 joining
	pt_refuse br2 1023 -- add "${T}j" vtep vx2 bridge br2 count 1 pool 10.10.0.2/24
	sip -n "$NA" link del f0
	run "$IP" -n "$NA" particle add "${T}j" vtep vx2 bridge br2 count 1 pool 10.10.0.2/24
	assert_success
	assert_equal "$(ports "$NA" br2)" 1023
	run "$IP" -n "$NA" particle del "${T}j"
	assert_success
}

@test "default pool: the lowest hole that fits, past jobs in any order; other bridges and IPv6 ignored" {
	# br0 10.9.0.1/24: taken .2-.4, .6-.7, .10-.14 (added out of order)
	run "$IP" -n "$NA" particle add "${T}jb" vtep vxlan100 count 5 pool 10.9.0.10/24
	assert_success
	run "$IP" -n "$NA" particle add "${T}jc" vtep vxlan100 count 2 pool 10.9.0.6/24
	assert_success
	run "$IP" -n "$NA" particle add "${T}ja" vtep vxlan100 count 3 pool 10.9.0.2/24
	assert_success
	run "$IP" -n "$NA" particle add "${T}jv6" vtep vxlan100 count 4 pool 2001:db8:9::5/64
	assert_success
	# another bridge in the same namespace, a job on 10.9.0.15-.30 there
	sip -n "$NA" link add vx2 type vxlan id 2 local 192.0.2.1 dev u0 dstport 4789
	run "$IP" -n "$NA" particle add "${T}jo" vtep vx2 bridge br2 count 16 pool 10.9.0.15/24
	assert_success

	run "$IP" -n "$NA" particle add "${T}jd2" vtep vxlan100 count 2
	assert_success
	run "$IP" -n "$NA" particle add "${T}jd1" vtep vxlan100 count 1
	assert_success
	run "$IP" -n "$NA" particle add "${T}jd3" vtep vxlan100 count 3
	assert_success
	run "$IP" -n "$NA" -j particle show
	assert_success
	local firsts
	firsts=$(jq -r '.[] | select(.bridge == "br0") | "\(.job) \(.pool.first // .pool[0].first)"' <<<"$output" | sort)
	assert_equal "$firsts" "$(printf '%s\n' "${T}ja 10.9.0.2" "${T}jb 10.9.0.10" "${T}jc 10.9.0.6" \
		"${T}jd1 10.9.0.5" "${T}jd2 10.9.0.8" "${T}jd3 10.9.0.15" "${T}jv6 2001:db8:9::5" | sort)"
	# the kernel has what the records say
	run sip -n "${T}jd3" -4 -o addr show dev eth0
	assert_output --partial "10.9.0.17/24"
	# nothing left in .2-.254 for 241 more, the error says so
	pt_refuse "no free range of 241" br0 -- add "${T}je" vtep vxlan100 count 241
}

@test "set: growing is checked against the jobs of the same bridge only" {
	sip -n "$NA" link add vx2 type vxlan id 2 local 192.0.2.1 dev u0 dstport 4789
	run "$IP" -n "$NA" particle add "${T}ja" vtep vxlan100 count 2 pool 10.9.0.10/24
	assert_success
	run "$IP" -n "$NA" particle add "${T}jo" vtep vx2 bridge br2 count 4 pool 10.9.0.12/24
	assert_success
	run "$IP" -n "$NA" particle add "${T}jn" vtep vxlan100 count 2 pool 10.9.0.20/24
	assert_success
	# over .12-.15 of the other bridge: allowed
	run "$IP" -n "$NA" particle set "${T}ja" count 8
	assert_success
	run "$IP" -n "$NA" particle slots "${T}ja"
	assert_equal "$(wc -l <<<"$output")" 8
	# into ${T}jn on the same bridge: refused, nothing changed
	pt_refuse "${T}jn" -- set "${T}ja" count 11
}

# dumps CMD...: the link dumps (RTM_GETLINK with NLM_F_DUMP) CMD asks for,
# one line each, with their attributes in hex.
dumps() {
	strace -f -qq -xx -s 256 -e trace=sendto,sendmsg -o "$BATS_TEST_TMPDIR/st" "$@" >/dev/null 2>&1
	grep -E 'nlmsg_type=(RTM_GETLINK|0x12)[ ,][^}]*nlmsg_flags=[^,]*(NLM_F_DUMP|0x300)' \
		"$BATS_TEST_TMPDIR/st" || true
}

@test "del, set, slots, show JOB find the job by its port's name, without a dump; add dumps no port while the count holds, else only its bridge" {
	local long=${T}-a-job-name-longer-than-twelve i verb
	for i in 1 2 3; do
		run "$IP" -n "$NA" particle add "${T}f$i" vtep vxlan100 count 2
		assert_success
	done
	run "$IP" -n "$NA" particle add "$long" vtep vxlan100 count 2
	assert_success
	# add: no link dump at all, the bridge's count of job ports holds
	# (pt_resv.c); without the count, one filtered by master
	# (IFLA_MASTER = 10)
	run dumps "$IP" -n "$NA" particle add "${T}x" vtep vxlan100 count 2
	assert_output ""
	sip -n "$NA" route flush table all proto 115
	run dumps "$IP" -n "$NA" particle add "${T}y" vtep vxlan100 count 2
	assert_equal "$(grep -c . <<<"$output")" 1
	assert_output --partial '\x08\x00\x0a\x00'
	run dumps "$IP" -n "$NA" particle show "$long"
	assert_output ""
	run dumps "$IP" -n "$NA" particle slots "$long"
	assert_output ""
	run dumps "$IP" -n "$NA" particle set "$long" count 1
	assert_output ""
	run "$IP" -n "$NA" particle slots "$long"
	assert_equal "$(wc -l <<<"$output")" 1
	run "$IP" -n "$NA" particle show "$long"
	assert_success
	assert_output --partial "port $(pt_port "$long")"
	run dumps "$IP" -n "$NA" particle del "$long"
	assert_output ""
	assert_job_gone "$NA" "$long"
	# a job that is not there: no port of its name, so no dump either
	for verb in del show slots "set"; do
		run dumps "$IP" -n "$NA" particle $verb "${T}nosuch" $([ "$verb" = set ] && echo count 1)
		assert_output ""
		run "$IP" -n "$NA" particle $verb "${T}nosuch" $([ "$verb" = set ] && echo count 1)
		assert_failure 1
		assert_output --partial "no particle job \"${T}nosuch\""
	done
	# a name whose port exists but holds another job's (or no) record
	sip -n "$NA" link add "pt-${T}z" type veth peer name "${T}zz"
	pt_refuse "no particle job" -- del "${T}z"
	pt_refuse "no particle job" -- show "${T}z"
	pt_refuse "no particle job" -- slots "${T}z"
	pt_refuse "no particle job" -- set "${T}z" count 3
}

@test "ip -n: particle verbs other than exec make no mount namespace (a copy costs per host mount), exec and -batch do, and the job namespace is seen outside" {
	local calls=$BATS_TEST_TMPDIR/strace
	run strace -f -qq -e trace=unshare -o "$calls" \
		"$IP" -n "$NA" particle add "${T}j1" vtep vxlan100 count 2
	assert_success
	refute grep -q CLONE_NEWNS "$calls"
	# mounted where ip netns and other processes look
	run sip netns exec "${T}j1" ip -br addr show dev eth0
	assert_success
	assert_output --partial 10.9.0.
	for v in "show ${T}j1" "slots ${T}j1" "set ${T}j1 count 3"; do
		# shellcheck disable=SC2086
		run strace -f -qq -e trace=unshare -o "$calls" "$IP" -n "$NA" particle $v
		assert_success
		refute grep -q CLONE_NEWNS "$calls"
	done
	# exec: one copy (its function's), as nsenter + unshare -m make
	run strace -f -qq -e trace=unshare -o "$calls" \
		"$IP" -n "$NA" particle exec "${T}j1" slot 0 true
	assert_success
	assert_equal "$(grep -c CLONE_NEWNS "$calls")" 1
	# -batch keeps netns_switch() whole, for every command of the file
	echo "particle show" > "$BATS_TEST_TMPDIR/b"
	run strace -f -qq -e trace=unshare -o "$calls" \
		"$IP" -n "$NA" -batch "$BATS_TEST_TMPDIR/b"
	assert_success
	grep -q CLONE_NEWNS "$calls"
	run strace -f -qq -e trace=unshare -o "$calls" "$IP" -n "$NA" particle del "${T}j1"
	assert_success
	refute grep -q CLONE_NEWNS "$calls"
	[ ! -e "/run/netns/${T}j1" ]
	run sip -n "$NA" -o link show master br0
	refute_output --partial pt-
}

@test "a port without IPv6 pool has IPv6 off (no IPv6 routes of its own to walk); a dual-stack job's port keeps it, with its index routes" {
	local p4 p6 t
	# this node has IPv6 (the suite's nodes are made without it)
	sip netns exec "$NA" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.default.disable_ipv6=0
	run "$IP" -n "$NA" particle add "${T}j4" vtep vxlan100 count 2
	assert_success
	run "$IP" -n "$NA" particle add "${T}j6" vtep vxlan100 count 2 pool 10.9.0.100/24 pool fd00:9::10/64
	assert_success
	p4=$(pt_port "${T}j4") p6=$(pt_port "${T}j6")
	run sip netns exec "$NA" cat "/proc/sys/net/ipv6/conf/$p4/disable_ipv6" \
		"/proc/sys/net/ipv6/conf/$p6/disable_ipv6"
	assert_success
	assert_output $'1\n0'
	# the IPv4 job's port is up, bridged, and holds no IPv6 route
	run sip -n "$NA" -o link show dev "$p4"
	assert_output --partial "master br0"
	assert_output --partial "state UP"
	run sip -n "$NA" -6 route show table all dev "$p4"
	assert_output ""
	# both jobs' pools are indexed (one route per pool, through the port)
	t=$(sip -n "$NA" -o link show dev br0 | cut -d: -f1)
	t=$((0xf0000000 | t))
	run sip -n "$NA" route show table "$t"
	assert_output --partial "10.9.0.100 dev $p6"
	assert_line --partial "dev $p4"
	run sip -n "$NA" -6 route show table "$t"
	assert_output --partial "fd00:9::10 dev $p6"
	# IPv6 still crosses the IPv4 job's port (frames are the bridge's
	# business): a connection to an address given to its eth0 by hand
	sip -n "${T}j4" addr add fd00:9::99/64 dev eth0 nodad
	pt_listen "${T}j4" fd00:9::99 7000
	run pt_send "${T}j6" fd00:9::10 fd00:9::99 7000 hello6
	assert_success
	assert_output hello6
	for t in j4 j6; do
		run "$IP" -n "$NA" particle del "${T}$t"
		assert_success
	done
}

@test "a job without IPv6 pool: eth0 has no link-local address and sends no IPv6 (no DAD, RS or MLD for the bridge to flood); a dual-stack job keeps its link-local address" {
	local n
	run "$IP" -n "$NA" particle add "${T}q4" vtep vxlan100 count 2 pool 10.9.0.50/24
	assert_success
	run "$IP" -n "$NA" particle add "${T}q6" vtep vxlan100 count 2 pool 10.9.0.100/24 pool fd00:9::10/64
	assert_success
	# DAD would take a second, then the first solicitation goes out
	sleep 1.5
	run sip -n "${T}q4" -6 addr show dev eth0
	refute_output --partial inet6
	run sip netns exec "${T}q4" cat /proc/net/dev_snmp6/eth0
	assert_line --regexp '^Ip6OutRequests[[:space:]]+0$'
	run sip -n "${T}q6" -6 addr show dev eth0 scope link
	assert_output --partial "inet6 fe80::"
	# IPv4 between the two jobs still works
	pt_listen "${T}q6" 10.9.0.100 7000
	run pt_send "${T}q4" 10.9.0.51 10.9.0.100 7000 hello4
	assert_success
	assert_output hello4
	for n in q4 q6; do
		run "$IP" -n "$NA" particle del "${T}$n"
		assert_success
	done
}
