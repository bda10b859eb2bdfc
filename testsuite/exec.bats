#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# ip particle exec (issue 11): namespaces, cgroup group, environment,
# streams, signals and exit status of a function; its refusals; the groups
# after del, flush, set and in show; exec and guard under valgrind.

PT_TAG=F
load lib/topo
load lib/guard

setup() {
	pt_nodes 1
	J=${T}j
	run "$IP" -n "$NA" particle add "$J" vtep vxlan100 count 4 pool 10.77.0.10/16
	assert_success
}
teardown() {
	pt_guard_teardown
	pt_teardown
}

ex() {
	timeout 20 "$IP" -n "$NA" particle exec "$@"
}

@test "exec: the function's namespaces, /proc, hostname, cgroup and environment" {
	run ex "$J" slot 2 sh -c '
		echo "env $PARTICLE_JOB $PARTICLE_SLOT $PARTICLE_ADDR ${PARTICLE_ADDR6:-none}"
		echo "host $(hostname)"
		echo "pid $$"
		echo "init $(cat /proc/1/comm)"
		echo "procs $(ls -d /proc/[0-9]* | wc -l)"
		for n in net mnt pid uts ipc; do echo "$n $(readlink /proc/self/ns/$n)"; done
		grep "^0::" /proc/self/cgroup'
	assert_success
	assert_line "env $J 2 10.77.0.12 none"
	assert_line "host $J-s2"
	assert_line "pid 2"			# pid 1 is the function's init
	assert_line "init ip"			# its own /proc: pid 1 is the init
	[[ $(grep ^procs <<<"$output") =~ ^procs\ [3-6]$ ]]
	assert_line "net net:[$(stat -L -c %i "/run/netns/$J")]"
	for n in mnt pid uts ipc; do
		refute_line "$n $(readlink /proc/self/ns/$n)"
	done
	assert_line "0::/particle/$J/slot-2"
	# the kernel holds the group and its six programs
	[ -d "$PT_CG/particle/$J/slot-2" ]
	run bpftool -j cgroup show "$PT_CG/particle/$J/slot-2"
	assert_equal "$(jq -r '[.[].name] | sort | join(" ")' <<<"$output" | sed 's/_[0-9a-f]*\b//g')" \
		"pt_b4 pt_b6 pt_c4 pt_c6 pt_s4 pt_s6"
	# the host's hostname is untouched
	[ "$(hostname)" != "$J-s2" ]
}

@test "exec: standard streams pass through, the exit status is CMD's" {
	run bash -c "echo 'in put' | timeout 20 '$IP' -n '$NA' particle exec '$J' slot 0 sh -c 'cat; echo err >&2; exit 7'"
	assert_equal "$status" 7
	assert_line "in put"
	assert_line "err"
	run ex "$J" slot 1 true
	assert_success
	run bash -c "cd '$BATS_TEST_TMPDIR' && timeout 20 '$IP' -n '$NA' particle exec '$J' slot 1 pwd"
	assert_output "$BATS_TEST_TMPDIR"	# the working directory too
	run ex "$J" slot 1 false
	assert_equal "$status" 1
}

@test "exec: 128+N when CMD is killed by signal N; signals to ip reach CMD" {
	run ex "$J" slot 1 sh -c 'kill -USR1 $$'
	assert_equal "$status" $((128 + 10))
	# TERM to ip: CMD (not pid 1 of its namespace) gets it and dies of it
	"$IP" -n "$NA" particle exec "$J" slot 1 sleep 30 &
	local pid=$!
	sleep 0.5
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" $((128 + 15))
	# a handler in CMD sees the signal and decides the status
	"$IP" -n "$NA" particle exec "$J" slot 1 sh -c 'trap "echo got-usr2; exit 42" USR2; sleep 30 & wait' \
		>"$BATS_TEST_TMPDIR/out" &
	pid=$!
	sleep 0.5
	kill -USR2 "$pid"
	rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 42
	run cat "$BATS_TEST_TMPDIR/out"
	assert_output got-usr2
}

@test "exec: a second function on a slot reuses its group and guard" {
	local ids
	run ex "$J" slot 3 true
	assert_success
	ids=$(pt_guard_progs)
	assert_equal "$(wc -l <<<"$ids")" 6
	run ex "$J" slot 3 true
	assert_success
	assert_equal "$(pt_guard_progs)" "$ids"
}

@test "exec: refusals name the problem and leave kernel and cgroups unchanged" {
	local before
	run ex "$J" slot 0 true		# the job's group exists already
	before=$(pt_cg_snapshot)
	pt_refuse "${T}nope" "no particle job" -- exec "${T}nope" slot 0 true
	pt_refuse 4 "slots 0 to 3" -- exec "$J" slot 4 true
	pt_refuse x -- exec "$J" slot x true
	pt_refuse "no-such-cmd-$T" "not found" -- exec "$J" slot 1 "no-such-cmd-$T"
	pt_refuse CMD -- exec "$J" slot 1
	pt_refuse slot -- exec "$J" 1 true
	assert_equal "$(pt_cg_snapshot)" "$before"
}

@test "exec: refused without cgroup2, and without cgroup BPF, leaving nothing" {
	local before
	before=$(pt_snapshot; pt_cg_snapshot)
	# a mount namespace in which cgroup2 is not mounted
	run --separate-stderr unshare -m sh -c "umount -l '$PT_CG' && exec '$IP' -n '$NA' particle exec '$J' slot 1 true"
	echo "$stderr"
	assert_equal "$status" 1
	[[ $stderr == *Error:*cgroup2* ]]
	assert_equal "$(pt_snapshot; pt_cg_snapshot)" "$before"
	# a kernel that refuses bpf(): the guard cannot be loaded
	run --separate-stderr strace -f -qq -o /dev/null -e trace=bpf -e inject=bpf:error=ENOSYS \
		"$IP" -n "$NA" particle exec "$J" slot 1 true
	echo "$stderr"
	assert_equal "$status" 2
	[[ $stderr == *Error:*slot\ guard* ]]
	assert_equal "$(pt_snapshot; pt_cg_snapshot)" "$before"
	[ ! -e "$PT_CG/particle/$J" ]
}

@test "exec: show counts the functions that run (text at the end, and -j)" {
	run "$IP" -n "$NA" particle show "$J"
	assert_output --regexp " port pt-$J functions 0\$"
	pt_exec_bg "$NA" "$J" 0 sleep 30
	pt_exec_bg "$NA" "$J" 2 sleep 30
	for _ in $(seq 50); do
		[ "$("$IP" -n "$NA" -j particle show "$J" | jq '.[0].functions')" = 2 ] && break
		sleep 0.1
	done
	run "$IP" -n "$NA" -j particle show
	assert_equal "$(jq '.[0].functions' <<<"$output")" 2
	run "$IP" -n "$NA" particle show
	assert_output --regexp " functions 2\$"
}

@test "exec: del kills the job's functions and removes its groups and programs" {
	local ids pid
	pt_exec_bg "$NA" "$J" 1 sleep 60
	pt_exec_bg "$NA" "$J" 3 sh -c 'sleep 60 & sleep 60'
	for _ in $(seq 50); do
		[ -n "$(cat "$PT_CG/particle/$J/slot-3/cgroup.procs" 2>/dev/null | sed -n 3p)" ] && break
		sleep 0.1
	done
	pid=$(head -1 "$PT_CG/particle/$J/slot-3/cgroup.procs")
	ids=$(pt_guard_progs)
	assert_equal "$(wc -l <<<"$ids")" 12
	run "$IP" -n "$NA" particle del "$J"
	assert_success
	assert_job_gone "$NA" "$J"
	assert_cg_gone "$J" $ids
	! kill -0 "$pid" 2>/dev/null || fail "function $pid still runs"
	run bpftool cgroup tree "$PT_CG"
	refute_output --partial "/particle/$J"
}

@test "exec: flush removes the groups of every job" {
	local ids
	run "$IP" -n "$NA" particle add "${T}k" vtep vxlan100 count 2 pool 10.77.1.10/16
	assert_success
	pt_exec_bg "$NA" "$J" 1 sleep 60
	run ex "${T}k" slot 1 true
	for _ in $(seq 50); do
		[ -s "$PT_CG/particle/$J/slot-1/cgroup.procs" ] && break
		sleep 0.1
	done
	ids=$(pt_guard_progs)
	assert_equal "$(wc -l <<<"$ids")" 12
	run "$IP" -n "$NA" particle flush
	assert_success
	assert_cg_gone "$J" $ids
	assert_cg_gone "${T}k"
}

@test "exec: set shrinking removes the empty groups of removed slots, keeps busy ones" {
	run ex "$J" slot 2 true
	run ex "$J" slot 3 true
	pt_exec_bg "$NA" "$J" 1 sleep 60
	for _ in $(seq 50); do
		[ -s "$PT_CG/particle/$J/slot-1/cgroup.procs" ] && break
		sleep 0.1
	done
	run "$IP" -n "$NA" particle set "$J" count 1
	assert_success
	[ ! -e "$PT_CG/particle/$J/slot-2" ]
	[ ! -e "$PT_CG/particle/$J/slot-3" ]
	[ -d "$PT_CG/particle/$J/slot-1" ]	# a function still runs there
	run "$IP" -n "$NA" particle exec "$J" slot 1 true
	assert_failure
}

# vg ARGS...: "valgrind ... $IP ARGS" must exit 0 with a clean report
# (the function's init is a fork of ip and is checked too).
vg() {
	local log=$BATS_TEST_TMPDIR/vg.log
	run --separate-stderr timeout 240 valgrind --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
		--trace-children=no -q --log-file="$log.%p" "$IP" "$@"
	echo "# valgrind ip $*: status $status"
	echo "# stderr: $stderr"
	cat "$log".* 2>/dev/null
	assert_success
	! cat "$log".* 2>/dev/null | grep -qE 'Invalid|definitely lost|indirectly lost|Unsupported|unhandled|WARNING' ||
		fail "valgrind found something"
	rm -f "$log".*
}

@test "valgrind: exec, exec again (reuse), show with functions, guard pid, del" {
	pt_need_valgrind
	vg -n "$NA" particle exec "$J" slot 1 true
	vg -n "$NA" particle exec "$J" slot 1 sh -c 'exit 0'
	pt_exec_bg "$NA" "$J" 2 sleep 30
	vg -n "$NA" -j particle show
	sleep 30 &
	local pid=$!
	PT_PIDS+=("$pid")
	vg -n "$NA" particle guard "$J" slot 3 pid "$pid"
	vg -n "$NA" particle del "$J"
	assert_cg_gone "$J"
}

@test "valgrind: refused exec and guard" {
	pt_need_valgrind
	local log=$BATS_TEST_TMPDIR/vg.log
	run --separate-stderr timeout 240 valgrind --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 -q \
		--log-file="$log" "$IP" -n "$NA" particle exec "$J" slot 9 true
	cat "$log"
	assert_equal "$status" 1
	[ ! -s "$log" ]
	run --separate-stderr timeout 240 valgrind --leak-check=full \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=99 -q \
		--log-file="$log" "$IP" -n "$NA" particle guard "$J" slot 0 cgroup /nonexistent
	cat "$log"
	assert_equal "$status" 1
	[ ! -s "$log" ]
}
