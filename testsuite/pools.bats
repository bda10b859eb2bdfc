#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Pools: anyip mode, IPv6, dual stack, set (grow/shrink under a live TCP
# connection), limits.  Reachability is checked from a function on the
# other node, over the overlay.

PT_TAG=O
load lib/topo

setup() {
	pt_nodes 2
	JA=${T}ja JB=${T}jb
	# the "other node" side: a dual-stack job on A
	run "$IP" -n "$NA" particle add "$JA" vtep vxlan100 count 4 \
		pool "$PT_POOL" pool 2001:db8:77::a:10/64
	assert_success
}
teardown() { pt_teardown; }

# reach DST PORT: a function on A (slot 0, matching family) gets an echo
# from DST:PORT.
reach() {
	local src=10.77.0.10
	[[ $1 == *:* ]] && src=2001:db8:77::a:10
	run pt_send "$JA" "$src" "$1" "$2" "to $1"
	assert_success
	assert_output "to $1"
}

# unreachable DST: nothing answers DST (no neighbour entry with an address).
unreachable() {
	local src=10.77.0.10
	[[ $1 == *:* ]] && src=2001:db8:77::a:10
	run pt_send "$JA" "$src" "$1" 7999 "to $1"
	assert_failure
	run sip -n "$JA" neigh show "$1"
	refute_output --partial lladdr
}

# Minimal number of CIDR blocks covering [a, a+n-1] (IPv4).
cover_count() {
	local a=$1 n=$2 c=0 size
	while ((n > 0)); do
		size=1
		while (((a & (size * 2 - 1)) == 0 && size * 2 <= n)); do
			size=$((size * 2))
		done
		a=$((a + size)) n=$((n - size)) c=$((c + 1))
	done
	echo "$c"
}

@test "anyip: 1000 slots, first/middle/last reachable from the other node" {
	local first last mid
	first=10.77.4.1
	mid=$(ipadd $first 500)
	last=$(ipadd $first 999)
	run --separate-stderr "$IP" -n "$NB" particle add "$JB" vtep vxlan100 \
		count 1000 pool $first/16 mode anyip
	assert_success
	# only slot 0 is an address; the rest is local routes
	run sip -n "$JB" -o -4 addr show dev eth0
	assert_equal "${#lines[@]}" 1
	assert_output --partial "inet $first/16 "
	local a
	for a in "$first" "$mid" "$last"; do
		pt_listen "$JB" "$a" 7100
	done
	for a in "$first" "$mid" "$last"; do
		reach "$a" 7100
	done
	run sip -n "$JA" neigh show "$mid"
	assert_output --partial "lladdr $(sip -n "$JB" -j link show eth0 | jq -r '.[0].address')"
	unreachable "$(ipadd $first 1000)"
	unreachable "$(ipadd $first -1)"
}

@test "anyip: local routes cover exactly the pool, with the fewest prefixes" {
	local first=10.77.4.3 n=1000 last
	last=$(ipadd $first $((n - 1)))
	run "$IP" -n "$NB" particle add "$JB" vtep vxlan100 count $n pool $first/16 mode anyip
	assert_success
	local a
	for a in "$first" "$(ipadd $first 1)" "$(ipadd $first 511)" "$last"; do
		run sip -n "$JB" route get "$a"
		assert_output --regexp "^local $a dev lo "
	done
	for a in "$(ipadd $first -1)" "$(ipadd $last 1)"; do
		run sip -n "$JB" route get "$a"
		refute_output --regexp "^local "
	done
	run sip -n "$JB" -4 route show table local type local dev eth0
	echo "$output"
	local want
	want=$(cover_count "$(ip2int $first)" $n)
	((${#lines[@]} <= want + 1)) || fail "${#lines[@]} local routes, the pool needs $want"
	run "$IP" -n "$NB" particle slots "$JB"
	assert_equal "${#lines[@]}" $n
	assert_line --index 999 "999 $last"
	run "$IP" -n "$NB" -j particle show "$JB"
	assert_equal "$(jq -c '.[0] | [.mode, .count, .pool.first, .pool.last, .pool.prefixlen]' <<<"$output")" \
		"[\"anyip\",$n,\"$first\",\"$last\",16]"
}

@test "anyip: a million slots cost a few routes, not a million" {
	run --separate-stderr "$IP" -n "$NB" -s -j particle add "$JB" vtep vxlan100 \
		count 1000000 pool 10.0.0.1/8 mode anyip
	assert_success
	echo "$output"
	run sip -n "$JB" -4 route show table local type local dev eth0
	((${#lines[@]} <= 40)) || fail "${#lines[@]} routes"
	run sip -n "$JB" route get 10.15.66.64	# 10.0.0.1 + 999999
	assert_output --regexp '^local '
	run sip -n "$JB" route get 10.15.66.65
	refute_output --regexp '^local '
	run "$IP" -n "$NB" particle del "$JB"
	assert_success
	assert_job_gone "$NB" "$JB"
}

@test "IPv6 addrs: usable at once (nodad, nothing tentative), reachable" {
	run --separate-stderr "$IP" -n "$NB" particle add "$JB" vtep vxlan100 \
		count 8 pool 2001:db8:77::100/64
	assert_success
	run sip -n "$JB" -6 -o addr show dev eth0 scope global
	assert_equal "${#lines[@]}" 8
	refute_output --partial tentative
	assert_output --partial "inet6 2001:db8:77::100/64 "
	assert_output --partial "inet6 2001:db8:77::107/64 "
	# bind at once: a tentative address would refuse the bind
	pt_listen "$JB" 2001:db8:77::107 7200
	reach 2001:db8:77::107 7200
	run "$IP" -n "$NB" particle slots "$JB"
	assert_line --index 0 "0 2001:db8:77::100"
	assert_line --index 7 "7 2001:db8:77::107"
	run "$IP" -n "$NB" -j particle show "$JB"
	assert_equal "$(jq -c '.[0].pool' <<<"$output")" '{"first":"2001:db8:77::100","last":"2001:db8:77::107","prefixlen":64}'
}

@test "IPv6 anyip: 1000 slots, first and last answer (ND), next does not" {
	run --separate-stderr "$IP" -n "$NB" particle add "$JB" vtep vxlan100 \
		count 1000 pool 2001:db8:77::1000/64 mode anyip
	assert_success
	run sip -n "$JB" -6 -o addr show dev eth0 scope global
	assert_equal "${#lines[@]}" 1
	refute_output --partial tentative
	# ::1000 + 999 = ::13e7
	pt_listen "$JB" 2001:db8:77::1000 7300
	pt_listen "$JB" 2001:db8:77::13e7 7300
	reach 2001:db8:77::1000 7300
	reach 2001:db8:77::13e7 7300
	unreachable 2001:db8:77::13e8
	run "$IP" -n "$NB" particle slots "$JB"
	assert_line --index 999 "999 2001:db8:77::13e7"
}

@test "dual stack: slots has both, show -j pool is an array of 2, both reachable" {
	run --separate-stderr "$IP" -n "$NB" particle add "$JB" vtep vxlan100 \
		count 4 pool 10.77.5.1/16 pool 2001:db8:77::5:1/64
	assert_success
	run "$IP" -n "$NB" particle slots "$JB"
	assert_output "0 10.77.5.1 2001:db8:77::5:1
1 10.77.5.2 2001:db8:77::5:2
2 10.77.5.3 2001:db8:77::5:3
3 10.77.5.4 2001:db8:77::5:4"
	run "$IP" -n "$NB" -j particle slots "$JB"
	assert_equal "$(jq -c '.[3]' <<<"$output")" '{"slot":3,"address":"10.77.5.4","address6":"2001:db8:77::5:4"}'
	run "$IP" -n "$NB" -j particle show "$JB"
	assert_equal "$(jq '.[0].pool | length' <<<"$output")" 2
	assert_equal "$(jq -c '.[0].pool' <<<"$output")" \
		'[{"first":"10.77.5.1","last":"10.77.5.4","prefixlen":16},{"first":"2001:db8:77::5:1","last":"2001:db8:77::5:4","prefixlen":64}]'
	run "$IP" -n "$NB" particle show "$JB"
	assert_output --regexp "^$JB mode addrs pool 10\.77\.5\.1-10\.77\.5\.4/16 pool 2001:db8:77::5:1-2001:db8:77::5:4/64 count 4 "
	run sip -n "$JB" -o addr show dev eth0 scope global
	assert_equal "${#lines[@]}" 8
	pt_listen "$JB" 10.77.5.4 7400
	pt_listen "$JB" 2001:db8:77::5:4 7400
	reach 10.77.5.4 7400
	reach 2001:db8:77::5:4 7400
}

@test "dual stack anyip: both families covered" {
	run --separate-stderr "$IP" -n "$NB" particle add "$JB" vtep vxlan100 \
		count 300 pool 10.77.5.1/16 pool 2001:db8:77::5:1/64 mode anyip
	assert_success
	pt_listen "$JB" "$(ipadd 10.77.5.1 299)" 7500
	pt_listen "$JB" 2001:db8:77::5:12c 7500	# ::5:1 + 299
	reach "$(ipadd 10.77.5.1 299)" 7500
	reach 2001:db8:77::5:12c 7500
}

# A client function on A with a TCP connection to slot 0 of JB kept open
# across "set"; talk MSG checks an echo through it.
open_conn() {
	pt_listen "$JB" "$1" 7600
	coproc CONN {
		exec 3>&- timeout 100 "$STOCK_IP" netns exec "$JA" \
			unshare -mpuf --kill-child socat - "TCP4:$1:7600,bind=10.77.0.10"
	}
	PT_PIDS+=("$CONN_PID")
}
talk() {
	local line
	echo "$1" >&"${CONN[1]}"
	read -t 5 -r line <&"${CONN[0]}" || fail "no echo for $1"
	assert_equal "$line" "$1"
}

@test "set: grow and shrink (addrs) with a TCP connection held open across both" {
	run "$IP" -n "$NB" particle add "$JB" vtep vxlan100 count 8 pool "$PT_POOL2"
	assert_success
	open_conn 10.77.1.10
	talk one
	run --separate-stderr "$IP" -n "$NB" particle set "$JB" count 16
	assert_success
	run sip -n "$JB" -o -4 addr show dev eth0
	assert_equal "${#lines[@]}" 16
	assert_output --partial "inet 10.77.1.25/16 "
	run "$IP" -n "$NB" particle slots "$JB"
	assert_line --index 15 "15 10.77.1.25"
	talk two
	# a new slot is usable at once from the other node
	pt_listen "$JB" 10.77.1.25 7601
	reach 10.77.1.25 7601
	run --separate-stderr "$IP" -n "$NB" particle set "$JB" count 4
	assert_success
	run sip -n "$JB" -o -4 addr show dev eth0
	assert_equal "${#lines[@]}" 4
	refute_output --partial "10.77.1.14/"
	run "$IP" -n "$NB" particle show "$JB"
	assert_output --regexp "^$JB mode addrs pool 10\.77\.1\.10-10\.77\.1\.13/16 count 4 "
	run sip -n "$NB" -o link show "pt-$JB"
	assert_output --partial "count=4 "
	talk three
	talk "still carrying bytes"
}

@test "set: grow and shrink (anyip) keep a connection and cover exactly" {
	run "$IP" -n "$NB" particle add "$JB" vtep vxlan100 count 100 pool "$PT_POOL2" mode anyip
	assert_success
	open_conn 10.77.1.10
	talk one
	run "$IP" -n "$NB" particle set "$JB" count 1000
	assert_success
	run sip -n "$JB" route get "$(ipadd 10.77.1.10 999)"
	assert_output --regexp '^local '
	run sip -n "$JB" route get "$(ipadd 10.77.1.10 1000)"
	refute_output --regexp '^local '
	talk two
	run "$IP" -n "$NB" particle set "$JB" count 10
	assert_success
	run sip -n "$JB" route get 10.77.1.19
	assert_output --regexp '^local '
	run sip -n "$JB" route get 10.77.1.20
	refute_output --regexp '^local '
	talk three
}

@test "set: dual stack resizes both pools" {
	run "$IP" -n "$NB" particle add "$JB" vtep vxlan100 count 2 pool 10.77.5.1/16 pool 2001:db8:77::5:1/64
	assert_success
	run "$IP" -n "$NB" particle set "$JB" count 5
	assert_success
	run "$IP" -n "$NB" particle slots "$JB"
	assert_line --index 4 "4 10.77.5.5 2001:db8:77::5:5"
	run sip -n "$JB" -o addr show dev eth0 scope global
	assert_equal "${#lines[@]}" 10
	run "$IP" -n "$NB" particle set "$JB" count 1
	assert_success
	run sip -n "$JB" -o addr show dev eth0 scope global
	assert_equal "${#lines[@]}" 2
}

@test "set: refused growth into another job's pool changes nothing" {
	run "$IP" -n "$NB" particle add "$JB" vtep vxlan100 count 4 pool "$PT_POOL2"
	assert_success
	run "$IP" -n "$NB" particle add "${T}jc" vtep vxlan100 count 4 pool 10.77.1.14/16
	assert_success
	pt_refuse -n "$NB" pool -- set "$JB" count 5
}

@test "limits: addrs count 65537 refused naming 65536, nothing applied" {
	pt_refuse -n "$NB" 65536 -- add "$JB" vtep vxlan100 count 65537 pool 10.0.0.1/8
}

@test "limits: set beyond 65536 in addrs mode refused" {
	run "$IP" -n "$NB" particle add "$JB" vtep vxlan100 count 2 pool 10.0.0.1/8
	assert_success
	pt_refuse -n "$NB" 65536 -- set "$JB" count 65537
}

@test "limits: anyip count larger than the pool's subnet refused" {
	pt_refuse -n "$NB" 10.77.0.1/24 -- add "$JB" vtep vxlan100 count 300 pool 10.77.0.1/24 mode anyip
}

@test "limits: IPv6 pool up to the last address of the prefix, not past it" {
	run "$IP" -n "$NB" particle add "$JB" vtep vxlan100 count 2 pool 2001:db8:9::ffff:ffff:ffff:fffe/64
	assert_success
	pt_refuse -n "$NB" ffff:fffe/64 -- add "${T}jc" vtep vxlan100 count 3 pool 2001:db8:a::ffff:ffff:ffff:fffe/64
}
