#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The slot guard (issue 11): unmodified programs under "ip particle exec",
# static and dynamic, IPv4 and IPv6, TCP and UDP: wildcard binds become the
# slot's address, other addresses are refused, unbound sockets send from
# the slot's address.  And "ip particle guard" for processes started by
# others.

PT_TAG=G
load lib/topo
load lib/guard

setup() {
	pt_nodes 2
	JA=${T}ja JB=${T}jb
	run "$IP" -n "$NA" particle add "$JA" vtep vxlan100 count 8 pool 10.77.0.10/16
	assert_success
	run "$IP" -n "$NB" particle add "$JB" vtep vxlan100 count 8 pool 10.77.1.10/16
	assert_success
}
teardown() {
	pt_guard_teardown
	pt_teardown
}

# fn NODE JOB K CMD...: a function in the foreground, bounded.
fn() {
	local node=$1 job=$2 k=$3
	shift 3
	timeout 20 "$IP" -n "$node" particle exec "$job" slot "$k" "$@"
}

@test "guard: two wildcard listeners on one port, each reached at its slot from another node" {
	pt_exec_bg "$NA" "$JA" 1 socat TCP-LISTEN:8080,fork SYSTEM:'echo one $SOCAT_SOCKADDR from $SOCAT_PEERADDR'
	pt_exec_bg "$NA" "$JA" 2 socat TCP-LISTEN:8080,fork SYSTEM:'echo two $SOCAT_SOCKADDR from $SOCAT_PEERADDR'
	pt_wait_listen "$JA" 10.77.0.11 8080
	pt_wait_listen "$JA" 10.77.0.12 8080
	# no explicit bind on the client either: it speaks from slot 5 of JB
	run fn "$NB" "$JB" 5 socat -t 4 - TCP:10.77.0.11:8080,connect-timeout=4 </dev/null
	assert_success
	assert_output "one 10.77.0.11 from 10.77.1.15"
	run fn "$NB" "$JB" 6 socat -t 4 - TCP:10.77.0.12:8080,connect-timeout=4 </dev/null
	assert_success
	assert_output "two 10.77.0.12 from 10.77.1.16"
	# the kernel's view: two listeners, no wildcard one
	run sip netns exec "$JA" ss -Hltn "sport = :8080"
	assert_equal "${#lines[@]}" 2
	refute_output --partial "0.0.0.0:8080"
	refute_output --partial "*:8080"
}

@test "guard: without it the same two wildcard listeners collide (EADDRINUSE)" {
	pt_bg timeout 30 "$STOCK_IP" netns exec "$JA" unshare -mpuf --kill-child \
		socat TCP-LISTEN:8080 SYSTEM:true
	pt_wait_listen "$JA" 0.0.0.0 8080
	run timeout 10 "$STOCK_IP" netns exec "$JA" unshare -mpuf --kill-child \
		socat TCP-LISTEN:8080 SYSTEM:true
	assert_failure
	assert_output --partial "Address already in use"
}

@test "guard: binding another slot's address is refused (EPERM); own, loopback and port 0 pass" {
	run fn "$NA" "$JA" 3 socat -u TCP4-LISTEN:9000,bind=10.77.0.11 -
	assert_failure
	assert_output --partial "Operation not permitted"
	run fn "$NA" "$JA" 3 socat -u UDP4-RECV:9000,bind=10.77.0.17 -
	assert_failure
	assert_output --partial "Operation not permitted"
	# an address outside the pool, even one that is local: refused
	run fn "$NA" "$JA" 3 socat -u UDP4-RECV:9000,bind=192.0.2.99 -
	assert_failure
	pt_exec_bg "$NA" "$JA" 3 socat -u TCP4-LISTEN:9001,bind=10.77.0.13 -
	pt_exec_bg "$NA" "$JA" 3 socat -u TCP4-LISTEN:9002,bind=127.0.0.1 -
	pt_wait_listen "$JA" 10.77.0.13 9001
	pt_wait_listen "$JA" 127.0.0.1 9002
}

@test "guard: anyip makes the whole pool local, and still another slot's address is refused" {
	local j=${T}jk
	run "$IP" -n "$NA" particle add "$j" vtep vxlan100 count 100 pool 10.77.5.1/16 mode anyip
	assert_success
	# without the guard any pool address can be bound
	run timeout 10 "$STOCK_IP" netns exec "$j" socat -T 0.2 -u UDP4-RECV:9000,bind=10.77.5.50 -
	assert_success
	run fn "$NA" "$j" 7 socat -u TCP4-LISTEN:9000,bind=10.77.5.50 -
	assert_failure
	assert_output --partial "Operation not permitted"
	pt_exec_bg "$NA" "$j" 70 socat TCP-LISTEN:8080,fork SYSTEM:'echo seventy from $SOCAT_PEERADDR'
	pt_wait_listen "$j" 10.77.5.71 8080
	run fn "$NA" "$j" 9 socat -t 4 - TCP:10.77.5.71:8080,connect-timeout=4 </dev/null
	assert_success
	assert_output "seventy from 10.77.5.10"
}

@test "guard: UDP without bind sends from the slot; a wildcard UDP socket gets the slot's address" {
	pt_exec_bg "$NB" "$JB" 4 socat -u UDP-RECVFROM:5000 SYSTEM:'echo got $SOCAT_PEERADDR >>'"$BATS_TEST_TMPDIR/udp"
	pt_wait_listen "$JB" 10.77.1.14 5000 udp
	run fn "$NA" "$JA" 6 sh -c 'echo hello | socat -u - UDP-SENDTO:10.77.1.14:5000'
	assert_success
	for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/udp" ] && break; sleep 0.1; done
	run cat "$BATS_TEST_TMPDIR/udp"
	assert_output "got 10.77.0.16"
}

@test "guard: a static binary (busybox) is guarded like a dynamic one" {
	local bb
	bb=$(command -v busybox) || skip "busybox-static is not installed"
	! ldd "$bb" >/dev/null 2>&1 || skip "$bb is not static"
	# two static wildcard listeners on one port
	pt_exec_bg "$NA" "$JA" 1 "$bb" nc -ll -p 8081 -e "$bb" echo busy-one
	pt_exec_bg "$NA" "$JA" 2 "$bb" nc -ll -p 8081 -e "$bb" echo busy-two
	# busybox listens on an IPv6 socket: held to the v4-mapped slot address
	pt_wait_listen "$JA" "[::ffff:10.77.0.11]" 8081
	pt_wait_listen "$JA" "[::ffff:10.77.0.12]" 8081
	# a static client, unbound: arrives from its slot
	pt_exec_bg "$NB" "$JB" 3 socat TCP-LISTEN:8082,fork SYSTEM:'echo peer $SOCAT_PEERADDR'
	pt_wait_listen "$JB" 10.77.1.13 8082
	run fn "$NA" "$JA" 4 "$bb" nc 10.77.1.13 8082 </dev/null
	assert_success
	assert_output "peer 10.77.0.14"
	run fn "$NB" "$JB" 0 "$bb" nc 10.77.0.12 8081 </dev/null
	assert_output "busy-two"
	# and a static bind to another slot's address is refused
	run fn "$NA" "$JA" 5 "$bb" httpd -f -p 10.77.0.11:9000
	assert_failure
	assert_output --partial "Operation not permitted"
}

@test "guard: IPv6 (dual stack): wildcard listeners per slot, unbound connect from the slot" {
	local j=${T}j6 k=${T}k6
	run "$IP" -n "$NA" particle add "$j" vtep vxlan100 count 4 pool 10.77.6.10/16 pool 2001:db8:77::10/64
	assert_success
	run "$IP" -n "$NB" particle add "$k" vtep vxlan100 count 4 pool 10.77.7.10/16 pool 2001:db8:77::100/64
	assert_success
	run fn "$NA" "$j" 2 sh -c 'echo $PARTICLE_ADDR $PARTICLE_ADDR6'
	assert_output "10.77.6.12 2001:db8:77::12"
	pt_exec_bg "$NA" "$j" 1 socat TCP6-LISTEN:8080,fork SYSTEM:'echo one from $SOCAT_PEERADDR'
	pt_exec_bg "$NA" "$j" 2 socat TCP6-LISTEN:8080,fork SYSTEM:'echo two from $SOCAT_PEERADDR'
	pt_wait_listen "$j" "[2001:db8:77::11]" 8080
	pt_wait_listen "$j" "[2001:db8:77::12]" 8080
	run fn "$NB" "$k" 3 socat -t 4 - TCP6:[2001:db8:77::12]:8080,connect-timeout=4 </dev/null
	assert_success
	assert_output "two from [2001:0db8:0077:0000:0000:0000:0000:0103]"
	# UDP over IPv6, unbound
	pt_exec_bg "$NA" "$j" 3 socat -u UDP6-RECVFROM:5006 SYSTEM:'echo got $SOCAT_PEERADDR >>'"$BATS_TEST_TMPDIR/udp6"
	pt_wait_listen "$j" "[2001:db8:77::13]" 5006 udp
	run fn "$NB" "$k" 1 sh -c 'echo x | socat -u - UDP6-SENDTO:[2001:db8:77::13]:5006'
	for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/udp6" ] && break; sleep 0.1; done
	run cat "$BATS_TEST_TMPDIR/udp6"
	assert_output "got [2001:0db8:0077:0000:0000:0000:0000:0101]"
	# another slot's IPv6 address: refused
	run fn "$NA" "$j" 3 socat -u TCP6-LISTEN:9000,bind=[2001:db8:77::11] -
	assert_failure
	assert_output --partial "Operation not permitted"
}

@test "guard: an IPv6 socket of an IPv4 job is held to the slot's v4-mapped address" {
	pt_exec_bg "$NA" "$JA" 2 socat TCP6-LISTEN:8080,ipv6only=0,fork SYSTEM:'echo mapped from $SOCAT_PEERADDR'
	pt_wait_listen "$JA" "[::ffff:10.77.0.12]" 8080
	run fn "$NB" "$JB" 1 socat -t 4 - TCP4:10.77.0.12:8080,connect-timeout=4 </dev/null
	assert_success
	assert_output "mapped from [0000:0000:0000:0000:0000:ffff:0a4d:010b]"
	# and a v6 client connecting to a v4-mapped address speaks from its slot
	pt_exec_bg "$NB" "$JB" 2 socat TCP4-LISTEN:8083,fork SYSTEM:'echo peer $SOCAT_PEERADDR'
	pt_wait_listen "$JB" 10.77.1.12 8083
	run fn "$NA" "$JA" 5 socat -t 4 - TCP6:[::ffff:10.77.1.12]:8083,connect-timeout=4 </dev/null
	assert_success
	assert_output "peer 10.77.0.15"
}

@test "guard: pid: a process started by plain ip netns exec is moved into the slot's group" {
	local fifo=$BATS_TEST_TMPDIR/go pid
	mkfifo "$fifo"
	# waits for the fifo, then listens on the wildcard address
	pt_bg timeout 60 "$STOCK_IP" netns exec "$JA" sh -c \
		"echo \$\$ >'$fifo.pid'; read x <'$fifo'; exec socat TCP-LISTEN:8080,fork SYSTEM:'echo guarded'"
	for _ in $(seq 50); do
		pid=$(cat "$fifo.pid" 2>/dev/null || true)
		[ -n "$pid" ] && break
		sleep 0.1
	done
	[ -n "$pid" ]
	run "$IP" -n "$NA" particle guard "$JA" slot 6 pid "$pid"
	assert_success
	run cat "/proc/$pid/cgroup"
	assert_output --partial "0::/particle/$JA/slot-6"
	echo go >"$fifo"
	pt_wait_listen "$JA" 10.77.0.16 8080
	run "$IP" -n "$NA" -j particle show "$JA"
	assert_equal "$(jq '.[0].functions' <<<"$output")" 1
}

@test "guard: cgroup PATH: a group of one's own keeps its place and gets the guard; del takes it off" {
	local g=$PT_CG/${T}ctr ids
	mkdir "$g"
	run "$IP" -n "$NA" particle guard "$JA" slot 3 cgroup "$g"
	assert_success
	run bpftool -j cgroup show "$g"
	assert_equal "$(jq '[.[] | select(.name | test("^pt_"))] | length' <<<"$output")" 6
	# a process started in that group is guarded
	pt_bg timeout 60 sh -c "echo \$\$ >'$g/cgroup.procs'; exec '$STOCK_IP' netns exec '$JA' socat TCP-LISTEN:8080 SYSTEM:true"
	pt_wait_listen "$JA" 10.77.0.13 8080
	# guarding again keeps the same programs
	ids=$(pt_guard_progs)
	run "$IP" -n "$NA" particle guard "$JA" slot 3 cgroup "${g#"$PT_CG"}"
	assert_success
	assert_equal "$(pt_guard_progs)" "$ids"
	run "$IP" -n "$NA" particle del "$JA"
	assert_success
	# the group is somebody else's: it stays, its process too, the guard goes
	[ -d "$g" ]
	run bpftool -j cgroup show "$g"
	assert_equal "$(jq '[.[] | select(.name | test("^pt_"))] | length' <<<"${output:-[]}")" 0
	assert_cg_gone "$JA" $ids
}

@test "guard: refusals name the problem and change nothing" {
	local before
	before=$(pt_cg_snapshot)
	pt_refuse "${T}nope" -- guard "${T}nope" slot 0 pid $$
	pt_refuse 8 "slots 0 to 7" -- guard "$JA" slot 8 pid $$
	pt_refuse 999999999 -- guard "$JA" slot 0 pid 999999999
	pt_refuse "$PT_CG/${T}none" -- guard "$JA" slot 0 cgroup "$PT_CG/${T}none"
	pt_refuse /tmp -- guard "$JA" slot 0 cgroup ../../../../tmp
	pt_refuse "pid" -- guard "$JA" slot 0
	pt_refuse "slot" -- guard "$JA" 0 pid $$
	assert_equal "$(pt_cg_snapshot)" "$before"
}
