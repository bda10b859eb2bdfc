#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Issue 10, item 5: kernel limits as faults.  Each limit is reached
# without touching the host: the namespace limit inside a user namespace
# of the test's own, a read-only /run/netns or /run inside a private mount
# namespace.  Every refusal must say what is wrong and change nothing.

PT_TAG=Z
load lib/topo

setup() {
	PT_NODES=()
	pt_lone "${T}a" 192.0.2.1 br0
	NA=${T}a
}

teardown() {
	pt_teardown
}

# The state of the world inside a user namespace: links of node vt,
# /run/netns (a tmpfs of that namespace), its netns mounts.
inner_snapshot='
	echo "== links"; ip -n vt -o link | sed -E "s/ state [A-Z]+//; s/,LOWER_UP//; s/NO-CARRIER,//"
	echo "== addrs"; ip -n vt -o addr
	echo "== /run/netns"; ls /run/netns
	echo "== mounts"; grep -E " /run/netns(/vt|/j1)? " /proc/self/mountinfo | cut -d" " -f5
'

@test "limit: user.max_net_namespaces reached: add says so, nothing changes" {
	local host_max
	host_max=$(cat /proc/sys/user/max_net_namespaces)
	unshare --user --map-root-user true 2>/dev/null ||
		skip "no unprivileged user namespaces here"
	# In a user namespace of this test: its own limit, its own /run/netns,
	# a node "vt" with a bridged vxlan100.  The limit is set to the number
	# of network namespaces it already holds (its own and vt's).
	cat >"$BATS_TEST_TMPDIR/inner.sh" <<EOF
set -eu
mount -t tmpfs tmpfs /run/netns
ip netns add vt
ip -n vt link add u0 type veth peer name u1
ip -n vt addr add 192.0.2.1/24 dev u0
ip -n vt link set u0 up
ip -n vt link add vxlan100 type vxlan id 100 local 192.0.2.1 dev u0 dstport 4789 nolearning
ip -n vt link add br0 type bridge
ip -n vt link set vxlan100 master br0
ip -n vt link set br0 up
ip -n vt link set vxlan100 up
echo 2 > /proc/sys/user/max_net_namespaces
{ $inner_snapshot } > before
rc=0
"\$IP" -n vt particle add j1 vtep vxlan100 count 4 pool 10.0.0.2/24 2>err || rc=\$?
{ $inner_snapshot } > after
echo "status=\$rc"
cat err
diff -u before after && echo SAME
# with room for one more namespace the same add works
echo 3 > /proc/sys/user/max_net_namespaces
"\$IP" -n vt particle add j1 vtep vxlan100 count 4 pool 10.0.0.2/24
ip -n j1 -4 -o addr show dev eth0 | wc -l
EOF
	cd "$BATS_TEST_TMPDIR"
	run timeout 60 unshare --user --map-root-user --mount --net \
		--propagation private sh "$BATS_TEST_TMPDIR/inner.sh"
	echo "$output"
	assert_success
	assert_line "status=2"
	assert_line --partial "Error: "
	assert_line --partial "No space left on device"
	assert_line --partial "user.max_net_namespaces"
	assert_line "SAME"
	assert_equal "${lines[-1]}" 4
	assert_equal "$(cat /proc/sys/user/max_net_namespaces)" "$host_max"
}

# host_view: what the host sees of this test (links, addresses, routes,
# /run/netns entries and mounts with its prefix).
host_view() {
	pt_snapshot
}

@test "limit: /run/netns read-only (private mount namespace): clear error, nothing changes" {
	local before after
	before=$(host_view)
	run --separate-stderr timeout 60 unshare --mount --propagation private sh -c '
		mount --rbind /run/netns /run/netns &&
		mount -o remount,bind,ro /run/netns &&
		exec "$0" -n "$1" particle add "$2" vtep vxlan100 count 8 pool 10.80.0.2/24
	' "$IP" "$NA" "${T}j"
	after=$(host_view)
	echo "# status $status: $stderr"
	[[ $status =~ ^[12]$ ]] || fail "exit status $status"
	[[ $stderr == *"Error: "*"${T}j"*"Read-only file system"* ]] ||
		fail "no clear error"
	assert_equal "$after" "$before"
	# and the same add works where /run/netns is writable
	"$IP" -n "$NA" particle add "${T}j" vtep vxlan100 count 8 pool 10.80.0.2/24
	run sip -n "${T}j" -4 -o addr show dev eth0
	assert_equal "${#lines[@]}" 8
}

@test "limit: /run read-only and without netns/: clear error, nothing changes" {
	local before after
	before=$(host_view)
	# enter the node first: the empty /run hides /run/netns/NODE
	run --separate-stderr timeout 60 unshare --mount --propagation private sh -c '
		exec nsenter --net="/run/netns/$1" sh -c "
			mount -t tmpfs -o ro tmpfs /run &&
			exec \"\$0\" particle add \"\$1\" vtep vxlan100 count 8 pool 10.81.0.2/24
		" "$0" "$2"
	' "$IP" "$NA" "${T}j"
	after=$(host_view)
	echo "# status $status: $stderr"
	[[ $status =~ ^[12]$ ]] || fail "exit status $status"
	[[ $stderr == *"Error: "*"/run/netns"*"Read-only file system"* ]] ||
		fail "no clear error"
	assert_equal "$after" "$before"
}

@test "limit: anyip count above its cap, or beyond 32 bits, is refused up front" {
	pt_refuse "count 16777217" "anyip" "16777216" -- \
		add "${T}j" vtep vxlan100 count 16777217 pool 10.0.0.1/7 mode anyip
	pt_refuse "4294967295" "anyip" -- \
		add "${T}j" vtep vxlan100 count 4294967295 pool 10.0.0.1/7 mode anyip
	pt_refuse "4294967296" "count" -- \
		add "${T}j" vtep vxlan100 count 4294967296 pool 10.0.0.1/7 mode anyip
	pt_refuse "18446744073709551617" "count" -- \
		add "${T}j" vtep vxlan100 count 18446744073709551617 pool 10.0.0.1/7 mode anyip
	pt_refuse "count 65537" "65536" -- \
		add "${T}j" vtep vxlan100 count 65537 pool fd00:80::1/64 mode anyip
	run pt_jobs_left
	assert_output ""
}

@test "limit: anyip at its cap of 2^24 slots works; set beyond the cap is refused" {
	local last
	"$IP" -n "$NA" particle add "${T}j" vtep vxlan100 count 16777216 \
		pool 10.0.0.1/7 mode anyip
	run "$IP" -n "$NA" -j particle show "${T}j"
	assert_success
	last=$(jq -r '.[0].pool.last' <<<"$output")
	assert_equal "$(jq -r '.[0].count' <<<"$output")" 16777216
	assert_equal "$last" 11.0.0.0
	# the first and last slots are local, the next one is not
	run sip -n "${T}j" route get 10.0.0.1
	assert_output --partial "local 10.0.0.1"
	run sip -n "${T}j" route get 11.0.0.0
	assert_output --partial "local 11.0.0.0"
	run sip -n "${T}j" route get 11.0.0.1
	refute_output --partial "local"
	pt_refuse "16777217" "anyip" -- set "${T}j" count 16777217
	"$IP" -n "$NA" particle del "${T}j"
	assert_job_gone "$NA" "${T}j"
}
