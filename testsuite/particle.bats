#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# add / show / slots / del / flush and the options, checked against what
# the kernel really holds afterwards, not only exit statuses.

PT_TAG=P
load lib/topo

setup() {
	pt_nodes 2
	J=${T}j
}
teardown() { pt_teardown; }

add_j() {
	run --separate-stderr "$IP" -n "$NA" particle add "$J" vtep vxlan100 \
		count 8 pool "$PT_POOL" "$@"
	echo "# add: status $status stdout '$output' stderr '$stderr'"
	assert_success
}

@test "add: job namespace, mount, eth0 with the pool, port on br0" {
	local before
	before=$(ls /run/netns | grep -F "$T")
	add_j
	# the namespace is a bind mount visible in this (the caller's) mount
	# namespace, although ip ran with -n
	[ -e "/run/netns/$J" ]
	run awk -v m="/run/netns/$J" '$5 == m' /proc/self/mountinfo
	assert_output --partial nsfs
	# nothing but the job namespace appeared in /run/netns
	run diff <({ echo "$before"; echo "$J"; } | sort) <(ls /run/netns | grep -F "$T" | sort)
	assert_success
	run sip netns list
	assert_output --partial "$J"
	# inside: lo and eth0, both up, nothing else
	run sip -n "$J" -o link
	assert_equal "${#lines[@]}" 2
	assert_line --index 0 --regexp '^1: lo: <LOOPBACK,UP'
	assert_line --index 1 --regexp '^[0-9]+: eth0@[^:]+: <[^>]*,UP[,>].* mtu 1450 '
	# the pool: 10.77.0.10 .. 10.77.0.17 /16 on eth0, nothing else IPv4
	run sip -n "$J" -o -4 addr show
	assert_equal "${#lines[@]}" 9	# lo's 127.0.0.1 + 8
	for k in 0 1 2 3 4 5 6 7; do
		assert_line --partial "eth0    inet 10.77.0.$((10 + k))/16 "
	done
	run sip -n "$J" route show
	assert_output --partial "10.77.0.0/16 dev eth0"
	# the port: a veth on br0, up, with the job's record as ifalias
	run sip -n "$NA" -o link show master br0
	assert_output --partial "pt-$J@"
	run sip -n "$NA" -d -o link show "pt-$J"
	assert_success
	assert_output --partial "master br0"
	assert_output --partial "mtu 1450"
	assert_output --regexp 'state (UP|LOWERLAYERDOWN)'
	assert_output --regexp '<[^>]*UP[^>]*>'
	assert_output --partial "veth"
	assert_output --partial "bridge_slave"
	assert_output --partial "alias particle:1 job=$J vtep=vxlan100 mode=addrs count=8 pool=10.77.0.10/16"
	# tools attach to it by name or path
	run sip netns exec "$J" cat /proc/net/dev
	assert_output --partial eth0
	run nsenter --net="/run/netns/$J" "$STOCK_IP" -o link show eth0
	assert_success
}

@test "add: eth0's MTU defaults to the vtep's (1450), not 1500" {
	local vx
	vx=$(sip -n "$NA" -j link show vxlan100 | jq '.[0].mtu')
	assert_equal "$vx" 1450
	add_j
	assert_equal "$(sip -n "$J" -j link show eth0 | jq '.[0].mtu')" "$vx"
	assert_equal "$(sip -n "$NA" -j link show "pt-$J" | jq '.[0].mtu')" "$vx"
}

@test "add mtu: both ends of the veth get it" {
	add_j mtu 1400
	assert_equal "$(sip -n "$J" -j link show eth0 | jq '.[0].mtu')" 1400
	assert_equal "$(sip -n "$NA" -j link show "pt-$J" | jq '.[0].mtu')" 1400
	run "$IP" -n "$NA" particle show "$J"
	assert_output --partial " mtu 1400 "
}

@test "add mac: eth0 has it, show prints it" {
	add_j mac 02:11:22:33:44:55
	run sip -n "$J" -o link show eth0
	assert_output --partial "link/ether 02:11:22:33:44:55 "
	run "$IP" -n "$NA" -j particle show "$J"
	assert_equal "$(jq -r '.[0].mac' <<<"$output")" 02:11:22:33:44:55
}

@test "add: default MAC is a unicast locally administered address" {
	add_j
	local mac first
	mac=$(sip -n "$J" -j link show eth0 | jq -r '.[0].address')
	first=$((16#${mac:0:2}))
	((first & 2)) || fail "$mac is not locally administered"
	((!(first & 1))) || fail "$mac is multicast"
}

@test "add gateway: default route in the job namespace" {
	add_j gateway 10.77.0.1
	run sip -n "$J" route show default
	assert_output --regexp '^default via 10\.77\.0\.1 dev eth0'
	run "$IP" -n "$NA" particle show "$J"
	assert_output --regexp ' gateway 10\.77\.0\.1 functions 0$'
	run "$IP" -n "$NA" -j particle show "$J"
	assert_equal "$(jq -r '.[0].gateway' <<<"$output")" 10.77.0.1
}

@test "add: without gateway there is no default route" {
	add_j
	run sip -n "$J" route show default
	assert_output ""
	run sip -n "$J" route get 192.0.2.1
	assert_failure
}

@test "show: one line per job in HACKING's format" {
	add_j
	local mac
	mac=$(sip -n "$J" -j link show eth0 | jq -r '.[0].address')
	run --separate-stderr "$IP" -n "$NA" particle show
	assert_success
	assert_output "$J mode addrs pool 10.77.0.10-10.77.0.17/16 count 8 mac $mac mtu 1450 vtep vxlan100 bridge br0 port pt-$J functions 0"
}

@test "show -j: valid JSON with all keys and the kernel's values" {
	add_j
	local mac
	mac=$(sip -n "$J" -j link show eth0 | jq -r '.[0].address')
	run --separate-stderr "$IP" -n "$NA" -j particle show
	assert_success
	jq -e . <<<"$output" >/dev/null || fail "not JSON: $output"
	run jq -c '.[0] | [.job, .netns, .mode, .count, .pool.first, .pool.last,
		.pool.prefixlen, .mac, .mtu, .vtep, .bridge, .port]' <<<"$output"
	assert_output "[\"$J\",\"/run/netns/$J\",\"addrs\",8,\"10.77.0.10\",\"10.77.0.17\",16,\"$mac\",1450,\"vxlan100\",\"br0\",\"pt-$J\"]"
}

@test "show -j -p: pretty JSON, same content" {
	add_j
	local flat
	flat=$("$IP" -n "$NA" -j particle show | jq -S -c .)
	run --separate-stderr "$IP" -n "$NA" -j -p particle show
	assert_success
	(("${#lines[@]}" > 5)) || fail "not indented: $output"
	assert_line --regexp '^ +"job": '
	assert_equal "$(jq -S -c . <<<"$output")" "$flat"
}

@test "show: empty node prints nothing, -j prints []" {
	run --separate-stderr "$IP" -n "$NA" particle show
	assert_success
	assert_output ""
	run --separate-stderr "$IP" -n "$NA" -j particle show
	assert_success
	assert_equal "$(jq -c . <<<"$output")" "[]"
}

@test "show JOB: only that job; show lists both" {
	add_j
	run "$IP" -n "$NA" particle add "${T}k" vtep vxlan100 count 2 pool 10.77.2.1/16
	assert_success
	run "$IP" -n "$NA" particle show
	assert_equal "${#lines[@]}" 2
	run "$IP" -n "$NA" particle show "${T}k"
	assert_equal "${#lines[@]}" 1
	assert_output --regexp "^${T}k mode addrs pool 10\.77\.2\.1-10\.77\.2\.2/16 count 2 "
	run "$IP" -n "$NA" -j particle show "$J"
	assert_equal "$(jq -r 'length' <<<"$output")" 1
	assert_equal "$(jq -r '.[0].job' <<<"$output")" "$J"
}

@test "show: jobs of another node are not listed" {
	add_j
	run --separate-stderr "$IP" -n "$NB" particle show
	assert_success
	assert_output ""
}

@test "slots: text and -j" {
	add_j
	run --separate-stderr "$IP" -n "$NA" particle slots "$J"
	assert_success
	assert_equal "${#lines[@]}" 8
	for k in 0 1 2 3 4 5 6 7; do
		assert_line --index "$k" "$k 10.77.0.$((10 + k))"
	done
	run --separate-stderr "$IP" -n "$NA" -j particle slots "$J"
	assert_success
	assert_equal "$(jq -c '.[0]' <<<"$output")" '{"slot":0,"address":"10.77.0.10"}'
	assert_equal "$(jq -c '.[7]' <<<"$output")" '{"slot":7,"address":"10.77.0.17"}'
	assert_equal "$(jq 'length' <<<"$output")" 8
}

@test "slots: pool crossing an octet boundary counts on" {
	run "$IP" -n "$NA" particle add "$J" vtep vxlan100 count 4 pool 10.77.0.254/16
	assert_success
	run "$IP" -n "$NA" particle slots "$J"
	assert_output "0 10.77.0.254
1 10.77.0.255
2 10.77.1.0
3 10.77.1.1"
	run sip -n "$J" -o -4 addr show dev eth0
	assert_equal "${#lines[@]}" 4
	assert_output --partial "10.77.1.0/16"
}

@test "add: a pool ending at the last usable address is accepted" {
	run "$IP" -n "$NA" particle add "$J" vtep vxlan100 count 5 pool 10.0.0.250/24
	assert_success
	run "$IP" -n "$NA" particle slots "$J"
	assert_line --index 4 "4 10.0.0.254"
}

@test "add: pools adjacent to another job's pool are accepted" {
	add_j
	run "$IP" -n "$NA" particle add "${T}k" vtep vxlan100 count 4 pool 10.77.0.18/16
	assert_success
	run "$IP" -n "$NA" particle add "${T}l" vtep vxlan100 count 4 pool 10.77.0.6/16
	assert_success
}

@test "add: the same pool on another node (another bridge) is accepted" {
	add_j
	run "$IP" -n "$NB" particle add "${T}k" vtep vxlan100 count 8 pool "$PT_POOL"
	assert_success
}

@test "del: removes namespace, mount, port and pool; node back as before" {
	local before
	before=$(pt_snapshot)
	add_j gateway 10.77.0.1
	run --separate-stderr "$IP" -n "$NA" particle del "$J"
	assert_success
	assert_job_gone "$NA" "$J"
	run sip -n "$NA" -o link show master br0
	assert_equal "${#lines[@]}" 1
	assert_output --partial vxlan100
	assert_equal "$(pt_snapshot)" "$before"
	run sip netns list
	refute_output --partial "$J"
}

@test "del: a process inside keeps running but loses the network" {
	add_j
	pt_bg "$STOCK_IP" netns exec "$J" sleep 30
	local pid=${PT_PIDS[-1]} i
	for ((i = 0; i < 50; i++)); do
		[ "$(readlink /proc/$pid/ns/net)" = "$(sip netns exec "$J" readlink /proc/self/ns/net)" ] && break
		sleep 0.05
	done
	run "$IP" -n "$NA" particle del "$J"
	assert_success
	assert_job_gone "$NA" "$J"
	kill -0 "$pid"
	run nsenter -t "$pid" -n "$STOCK_IP" -o link
	assert_equal "${#lines[@]}" 1
	assert_output --partial "lo:"
}

@test "del: then add of the same name works again" {
	add_j
	run "$IP" -n "$NA" particle del "$J"
	assert_success
	add_j
	run sip -n "$J" -o -4 addr show dev eth0
	assert_equal "${#lines[@]}" 8
}

@test "flush: removes every job of the node, none of the other node" {
	add_j
	run "$IP" -n "$NA" particle add "${T}k" vtep vxlan100 count 2 pool 10.77.2.1/16
	assert_success
	run "$IP" -n "$NB" particle add "${T}m" vtep vxlan100 count 2 pool 10.77.3.1/16
	assert_success
	run --separate-stderr "$IP" -n "$NA" particle flush
	assert_success
	assert_job_gone "$NA" "$J"
	assert_job_gone "$NA" "${T}k"
	[ -e "/run/netns/${T}m" ]
	run "$IP" -n "$NB" particle show
	assert_output --regexp "^${T}m mode addrs "
	run "$IP" -n "$NA" particle show
	assert_output ""
	run sip -n "$NA" -o link show master br0
	assert_equal "${#lines[@]}" 1
}

@test "flush: on a node without jobs succeeds and changes nothing" {
	local before
	before=$(pt_snapshot)
	run "$IP" -n "$NA" particle flush
	assert_success
	assert_equal "$(pt_snapshot)" "$before"
}

@test "help: exit 0, prints the grammar" {
	run "$IP" particle help
	assert_success
	assert_output --partial Usage
	assert_output --partial "particle add JOB vtep DEV count N"
	assert_output --partial slots
}

@test "abbreviations: part sh, part a, part sl, part d; -netns" {
	run --separate-stderr "$IP" -netns "$NA" part a "$J" vtep vxlan100 count 2 pool "$PT_POOL"
	assert_success
	run --separate-stderr "$IP" -n "$NA" part sh
	assert_success
	assert_output --regexp "^$J mode addrs "
	run --separate-stderr "$IP" -n "$NA" part sl "$J"
	assert_success
	assert_line --index 1 "1 10.77.0.11"
	run --separate-stderr "$IP" -n "$NA" part d "$J"
	assert_success
	assert_job_gone "$NA" "$J"
}

@test "add -s: prints the phases in microseconds" {
	run --separate-stderr "$IP" -n "$NA" -s particle add "$J" vtep vxlan100 count 8 pool "$PT_POOL"
	assert_success
	assert_output --regexp "^$J phases lookup [0-9]+us netns [0-9]+us link [0-9]+us pool [0-9]+us total [0-9]+us$"
	run --separate-stderr "$IP" -n "$NA" -s -j particle add "${T}k" vtep vxlan100 count 8 pool "$PT_POOL2"
	assert_success
	run jq -r '[.job, (.phases | .lookup, .netns, .link, .pool, .total | type)] | join(" ")' <<<"$output"
	assert_output "${T}k number number number number number"
	run jq -e '.phases.total >= .phases.pool and .phases.total > 0' <<<"$("$IP" -n "$NA" -s -j particle add "${T}l" vtep vxlan100 count 8 pool 10.77.2.10/16)"
	assert_success
}

@test "del -s: prints its phases in microseconds" {
	add_j
	run --separate-stderr "$IP" -n "$NA" -s particle del "$J"
	assert_success
	assert_output --regexp "^$J phases lookup [0-9]+us netns [0-9]+us port [0-9]+us total [0-9]+us$"
	assert_job_gone "$NA" "$J"
	add_j
	run --separate-stderr "$IP" -n "$NA" -s -j particle del "$J"
	assert_success
	run jq -r '[.job, (.phases | .lookup, .netns, .port, .total, .lock | type)] | join(" ")' <<<"$output"
	assert_output "$J number number number number number"
	assert_job_gone "$NA" "$J"
}

@test "add without -s prints nothing on stdout" {
	add_j
	assert_output ""
}

@test "default pool: next free range in br0's subnet, skipping br0's address" {
	sip -n "$NA" addr add 10.88.0.1/24 dev br0
	run "$IP" -n "$NA" particle add "$J" vtep vxlan100 count 4
	assert_success
	run "$IP" -n "$NA" particle slots "$J"
	assert_output "0 10.88.0.2
1 10.88.0.3
2 10.88.0.4
3 10.88.0.5"
	run sip -n "$J" -o -4 addr show dev eth0
	assert_output --partial "inet 10.88.0.2/24 "
	run "$IP" -n "$NA" particle add "${T}k" vtep vxlan100 count 4
	assert_success
	run "$IP" -n "$NA" -j particle show "${T}k"
	assert_equal "$(jq -c '.[0].pool' <<<"$output")" '{"first":"10.88.0.6","last":"10.88.0.9","prefixlen":24}'
}

@test "default pool: a range may not straddle the bridge's address" {
	sip -n "$NA" addr add 10.88.0.5/24 dev br0
	run "$IP" -n "$NA" particle add "$J" vtep vxlan100 count 4
	assert_success
	run "$IP" -n "$NA" -j particle show "$J"
	assert_equal "$(jq -c '.[0].pool' <<<"$output")" '{"first":"10.88.0.1","last":"10.88.0.4","prefixlen":24}'
	run "$IP" -n "$NA" particle add "${T}k" vtep vxlan100 count 2
	assert_success
	run "$IP" -n "$NA" -j particle show "${T}k"
	assert_equal "$(jq -c '.[0].pool' <<<"$output")" '{"first":"10.88.0.6","last":"10.88.0.7","prefixlen":24}'
}

@test "default pool: a full subnet is refused, nothing applied" {
	sip -n "$NA" addr add 10.88.0.1/29 dev br0
	run "$IP" -n "$NA" particle add "$J" vtep vxlan100 count 5
	assert_success
	pt_refuse pool -- add "${T}k" vtep vxlan100 count 1
}

@test "vtep without a bridge: br-vxlan100 is created, up, without multicast snooping, and kept after del" {
	pt_lone "${T}c" 192.0.2.3
	run --separate-stderr "$IP" -n "${T}c" particle add "$J" vtep vxlan100 count 2 pool "$PT_POOL"
	assert_success
	run sip -n "${T}c" -d -o link show br-vxlan100
	assert_success
	assert_output --partial "bridge forward_delay"
	assert_output --partial " mcast_snooping 0 "
	assert_output --regexp '<[^>]*UP[^>]*>'
	run sip -n "${T}c" -d -o link show vxlan100
	assert_output --partial "master br-vxlan100"
	assert_output --regexp '<[^>]*UP[^>]*>'
	run sip -n "${T}c" -o link show master br-vxlan100
	assert_output --partial "pt-$J@"
	run "$IP" -n "${T}c" particle show "$J"
	assert_output --partial " vtep vxlan100 bridge br-vxlan100 port pt-$J"
	run "$IP" -n "${T}c" particle del "$J"
	assert_success
	run sip -n "${T}c" -o link show master br-vxlan100
	assert_output --partial vxlan100
	# a second job joins the bridge made for the first
	run "$IP" -n "${T}c" particle add "${T}k" vtep vxlan100 count 2 pool "$PT_POOL"
	assert_success
	run sip -n "${T}c" -o link show master br-vxlan100
	assert_output --partial "pt-${T}k@"
	run sip -n "${T}c" -o link show type bridge
	assert_equal "${#lines[@]}" 1
}

@test "vtep without a bridge, bridge NAME: that bridge is created" {
	pt_lone "${T}c" 192.0.2.3
	run --separate-stderr "$IP" -n "${T}c" particle add "$J" vtep vxlan100 count 2 pool "$PT_POOL" bridge brx
	assert_success
	run sip -n "${T}c" -d -o link show vxlan100
	assert_output --partial "master brx"
	run sip -n "${T}c" -d -o link show "pt-$J"
	assert_output --partial "master brx"
	run sip -n "${T}c" -o link show br-vxlan100
	assert_failure
	run "$IP" -n "${T}c" -j particle show
	assert_equal "$(jq -r '.[0].bridge' <<<"$output")" brx
}

@test "vtep is a bridge: the port joins it directly" {
	run --separate-stderr "$IP" -n "$NA" particle add "$J" vtep br0 count 2 pool "$PT_POOL"
	assert_success
	run sip -n "$NA" -d -o link show "pt-$J"
	assert_output --partial "master br0"
	run "$IP" -n "$NA" -j particle show
	assert_equal "$(jq -c '.[0] | [.vtep, .bridge]' <<<"$output")" '["br0","br0"]'
}

@test "bridge option on a bridged vxlan: its own bridge accepted, another refused" {
	pt_refuse brx -- add "$J" vtep vxlan100 count 8 pool "$PT_POOL" bridge brx
	run sip -n "$NA" -o link show brx
	assert_failure
	add_j bridge br0
	run sip -n "$NA" -d -o link show "pt-$J"
	assert_output --partial "master br0"
}

@test "bridge option on a bridge vtep: only that bridge" {
	pt_refuse brx -- add "$J" vtep br0 count 8 pool "$PT_POOL" bridge brx
	run "$IP" -n "$NA" particle add "$J" vtep br0 count 8 pool "$PT_POOL" bridge br0
	assert_success
}

@test "no namespace move: at most one setns(CLONE_NEWNET), no link deleted in the vtep namespace" {
	local st=$BATS_TEST_TMPDIR/strace mon=$BATS_TEST_TMPDIR/mon
	pt_bg timeout 20 "$STOCK_IP" -n "$NA" -o monitor link >"$mon" 2>&1
	sleep 0.3
	run strace -f -qq -e trace=setns -o "$st" "$IP" -n "$NA" particle add "$J" vtep vxlan100 count 8 pool "$PT_POOL"
	assert_success
	sleep 0.3
	kill "${PT_PIDS[-1]}"
	cat "$st"
	run grep -c 'CLONE_NEWNET' "$st"
	(("$output" <= 1)) || fail "$output setns(CLONE_NEWNET) calls: $(cat "$st")"
	cat "$mon"
	run grep -E '^Deleted' "$mon"
	assert_output ""
	run grep -F "pt-$J" "$mon"
	assert_success
	run sip -n "$NA" -o link show "pt-$J"
	assert_success
	run sip -n "$J" -o link show eth0
	assert_success
}

@test "del: no link moves either, one setns at most" {
	add_j
	local st=$BATS_TEST_TMPDIR/strace
	run strace -f -qq -e trace=setns -o "$st" "$IP" -n "$NA" particle del "$J"
	assert_success
	run grep -c 'CLONE_NEWNET' "$st"
	(("$output" <= 1)) || fail "$(cat "$st")"
}

@test "port names: pt-JOB up to 12 characters, pt~hash beyond, unique" {
	local j12=${T}abcdefghijkl j13a j13b j64
	j12=${j12:0:12}
	j13a=${T}abcdefghijklmn j13a=${j13a:0:13}
	j13b=${j13a:0:12}z
	j64=$T
	while ((${#j64} < 64)); do j64+=y; done
	local k=0 j
	for j in "$j12" "$j13a" "$j13b" "$j64"; do
		run --separate-stderr "$IP" -n "$NA" particle add "$j" vtep vxlan100 count 1 pool "10.77.9.$((++k))/16"
		assert_success
	done
	assert_equal "$(pt_port "$j12")" "pt-$j12"
	run "$IP" -n "$NA" -j particle show
	for j in "$j12" "$j13a" "$j13b" "$j64"; do
		assert_equal "$(jq -r --arg j "$j" '.[] | select(.job == $j) | .port' <<<"$output")" "$(pt_port "$j")"
		sip -n "$NA" -o link show "$(pt_port "$j")" >/dev/null ||
			fail "no port $(pt_port "$j") for $j"
		[ -e "/run/netns/$j" ]
	done
	assert_equal "$(jq -r '.[].port' <<<"$output" | sort -u | wc -l)" 4
	for j in "$j12" "$j13a" "$j13b" "$j64"; do
		run "$IP" -n "$NA" particle del "$j"
		assert_success
		assert_job_gone "$NA" "$j"
	done
}

@test "the host namespace is not touched by -n" {
	local before
	before=$(sip -o link | grep -cF "$T" || true)
	add_j
	assert_equal "$(sip -o link | grep -cF "$T" || true)" "$before"
	run sip -o link show "pt-$J"
	assert_failure
}

@test "job namespace is isolated: only lo and eth0, no route to the underlay" {
	add_j
	run sip -n "$J" route get 192.0.2.1
	assert_failure
	run sip -n "$J" route get 10.77.200.1
	assert_success
	run sip -n "$J" -o link
	assert_equal "${#lines[@]}" 2
}

@test "add mac in upper case: stored and shown in lower case" {
	add_j mac 02:AA:BB:CC:DD:EE
	run sip -n "$J" -o link show eth0
	assert_output --partial "link/ether 02:aa:bb:cc:dd:ee "
	run "$IP" -n "$NA" particle show "$J"
	assert_output --partial " mac 02:aa:bb:cc:dd:ee "
}

@test "add gateway for an IPv6 pool: IPv6 default route" {
	run "$IP" -n "$NA" particle add "$J" vtep vxlan100 count 2 pool 2001:db8:77::10/64 gateway 2001:db8:77::1
	assert_success
	run sip -n "$J" -6 route show default
	assert_output --regexp '^default via 2001:db8:77::1 dev eth0'
}

@test "JOB may use _ . - and digits" {
	local j=${T}_a.b-9
	run "$IP" -n "$NA" particle add "$j" vtep vxlan100 count 2 pool "$PT_POOL"
	assert_success
	[ -e "/run/netns/$j" ]
	run "$IP" -n "$NA" -j particle show "$j"
	assert_equal "$(jq -r '.[0].port' <<<"$output")" "$(pt_port "$j")"
	run "$IP" -n "$NA" particle del "$j"
	assert_success
	assert_job_gone "$NA" "$j"
}

@test "a job whose namespace was deleted behind ip particle's back is gone" {
	add_j
	sip netns del "$J"
	local i
	for ((i = 0; i < 50; i++)); do
		sip -n "$NA" -o link show "pt-$J" >/dev/null 2>&1 || break
		sleep 0.1
	done
	run "$IP" -n "$NA" particle show
	assert_output ""
	add_j
	run sip -n "$J" -o -4 addr show dev eth0
	assert_equal "${#lines[@]}" 8
}

@test "other ports on the bridge are not jobs" {
	sip -n "$NA" link add x0 type veth peer name x1
	sip -n "$NA" link set x0 master br0 up
	sip -n "$NA" link set x0 alias "not a particle"
	add_j
	run "$IP" -n "$NA" -j particle show
	assert_equal "$(jq length <<<"$output")" 1
	run "$IP" -n "$NA" particle flush
	assert_success
	run sip -n "$NA" -o link show x0
	assert_success
}
