#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# ip -batch with particle lines: hundreds of jobs, add+del churn with a
# flat file descriptor count, -force.

PT_TAG=B
BATS_TEST_TIMEOUT=300
load lib/topo

setup() { pt_nodes 1; }
teardown() { pt_teardown; }

# Lines "particle add ${T}bI vtep vxlan100 count 20 pool 10.60.x.y/16" for
# I in 0..N-1 with consecutive non-overlapping pools.
add_lines() {
	local n=$1 i base
	base=$(ip2int 10.60.0.0)
	for ((i = 0; i < n; i++)); do
		echo "particle add ${T}b$i vtep vxlan100 count 20 pool $(int2ip $((base + 1 + 20 * i)))/16"
	done
}

@test "batch: 500 adds, show -j lists 500, 500 dels; nothing left" {
	add_lines 500 >"$BATS_TEST_TMPDIR/add"
	for ((i = 0; i < 500; i++)); do echo "particle del ${T}b$i"; done >"$BATS_TEST_TMPDIR/del"
	run --separate-stderr "$IP" -n "$NA" -batch "$BATS_TEST_TMPDIR/add"
	echo "# stderr: ${stderr:0:2000}"
	assert_success
	run --separate-stderr "$IP" -n "$NA" -j particle show
	assert_success
	assert_equal "$(jq length <<<"$output")" 500
	assert_equal "$(jq '[.[] | select(.count == 20)] | length' <<<"$output")" 500
	assert_equal "$(jq -r '.[] | select(.job == "'"${T}b499"'") | .pool.last' <<<"$output")" \
		"$(int2ip $(($(ip2int 10.60.0.0) + 20 * 500)))"
	assert_equal "$(ls /run/netns | grep -c "^${T}b")" 500
	assert_equal "$(grep -c " /run/netns/${T}b" /proc/self/mountinfo)" 500
	assert_equal "$(sip -n "$NA" -o link show master br0 | grep -c "pt-${T}b")" 500
	run sip -n "${T}b250" -o -4 addr show dev eth0
	assert_equal "${#lines[@]}" 20
	# the del batch from standard input
	run --separate-stderr "$IP" -n "$NA" -batch - <"$BATS_TEST_TMPDIR/del"
	echo "# stderr: ${stderr:0:2000}"
	assert_success
	run pt_jobs_left
	assert_output ""
	assert_equal "$(grep -c "/run/netns/${T}b" /proc/self/mountinfo)" 0
	run sip -n "$NA" -o link show master br0
	assert_equal "${#lines[@]}" 1
	run "$IP" -n "$NA" particle show
	assert_output ""
}

@test "batch: 50 adds with default pools get disjoint consecutive ranges" {
	sip -n "$NA" addr add 10.63.0.1/16 dev br0
	for ((i = 0; i < 50; i++)); do
		echo "particle add ${T}d$i vtep vxlan100 count 20"
	done >"$BATS_TEST_TMPDIR/add"
	run --separate-stderr "$IP" -n "$NA" -batch "$BATS_TEST_TMPDIR/add"
	assert_success
	run "$IP" -n "$NA" -j particle show
	# sorted by first address, each range starts right after the previous
	run jq -r '[.[].pool] | sort_by(.first | split(".") | map(tonumber)) | .[] | "\(.first) \(.last)"' <<<"$output"
	assert_equal "${#lines[@]}" 50
	local prev=$(ip2int 10.63.0.1) line f l
	for line in "${lines[@]}"; do
		read -r f l <<<"$line"
		assert_equal "$(ip2int "$f")" $((prev + 1))
		assert_equal "$(ip2int "$l")" $((prev + 20))
		prev=$(ip2int "$l")
	done
}

# Wait until the batch process PID blocks reading its (empty) FIFO.
wait_idle() {
	local pid=$1 i
	for ((i = 0; i < 400; i++)); do
		[[ $(cat "/proc/$pid/wchan" 2>/dev/null) == *pipe_read ]] && return 0
		sleep 0.05
	done
	fail "batch process $pid not idle: $(cat "/proc/$pid/wchan")"
}

@test "batch: add+del churn from a FIFO keeps the fd count flat" {
	local fifo=$BATS_TEST_TMPDIR/fifo pid i fd10 fd200
	mkfifo "$fifo"
	pt_bg "$IP" -n "$NA" -batch "$fifo" >"$BATS_TEST_TMPDIR/out" 2>&1
	pid=${PT_PIDS[-1]}
	exec 7>"$fifo"
	for ((i = 0; i < 10; i++)); do
		echo "particle add ${T}f$i vtep vxlan100 count 4 pool 10.61.0.10/16" >&7
		echo "particle del ${T}f$i" >&7
	done
	echo "particle add ${T}s1 vtep vxlan100 count 1 pool 10.62.0.1/16" >&7
	wait_idle "$pid"
	[ -e "/run/netns/${T}s1" ] || fail "$(cat "$BATS_TEST_TMPDIR/out")"
	fd10=$(ls "/proc/$pid/fd" | wc -l)
	echo "particle del ${T}s1" >&7
	for ((i = 10; i < 200; i++)); do
		echo "particle add ${T}f$i vtep vxlan100 count 4 pool 10.61.0.10/16" >&7
		echo "particle del ${T}f$i" >&7
	done
	echo "particle add ${T}s2 vtep vxlan100 count 1 pool 10.62.0.1/16" >&7
	wait_idle "$pid"
	[ -e "/run/netns/${T}s2" ] || fail "$(cat "$BATS_TEST_TMPDIR/out")"
	fd200=$(ls "/proc/$pid/fd" | wc -l)
	echo "particle del ${T}s2" >&7
	exec 7>&-
	wait "$pid"
	cat "$BATS_TEST_TMPDIR/out"
	assert_equal "$fd200" "$fd10"
	run pt_jobs_left
	assert_output ""
	run sip -n "$NA" -o link show master br0
	assert_equal "${#lines[@]}" 1
}

batch3() {
	printf '%s\n' \
		"particle add ${T}o1 vtep vxlan100 count 2 pool 10.64.0.1/16" \
		"particle add ${T}x vtep vxlan100 count 0 pool 10.64.1.1/16" \
		"particle add ${T}o2 vtep vxlan100 count 2 pool 10.64.2.1/16" \
		>"$BATS_TEST_TMPDIR/b3"
}

@test "batch: without -force the first failing line stops the batch" {
	batch3
	run --separate-stderr "$IP" -n "$NA" -batch "$BATS_TEST_TMPDIR/b3"
	assert_failure
	[[ $stderr == *Error:* ]]
	[ -e "/run/netns/${T}o1" ]
	[ ! -e "/run/netns/${T}x" ]
	[ ! -e "/run/netns/${T}o2" ]
}

@test "batch: -force goes on after a failing line, exit still non-zero" {
	batch3
	run --separate-stderr "$IP" -n "$NA" -force -batch "$BATS_TEST_TMPDIR/b3"
	assert_failure
	[[ $stderr == *Error:* ]]
	[[ $stderr == *b3:2* ]] || fail "failing line not named: $stderr"
	[ -e "/run/netns/${T}o1" ]
	[ ! -e "/run/netns/${T}x" ]
	[ -e "/run/netns/${T}o2" ]
	run "$IP" -n "$NA" particle show
	assert_equal "${#lines[@]}" 2
}

@test "batch: -force after a kernel refusal: that line rolled back, next applied" {
	printf '%s\n' \
		"particle add ${T}k1 vtep vxlan100 count 2 pool 10.64.0.1/16 gateway 10.99.0.1" \
		"particle add ${T}k2 vtep vxlan100 count 2 pool 10.64.2.1/16" \
		>"$BATS_TEST_TMPDIR/b"
	run --separate-stderr "$IP" -n "$NA" -force -batch "$BATS_TEST_TMPDIR/b"
	assert_failure
	assert_job_gone "$NA" "${T}k1"
	[ -e "/run/netns/${T}k2" ]
}

@test "batch: every verb in one batch" {
	printf '%s\n' \
		"particle add ${T}v vtep vxlan100 count 2 pool 10.64.0.1/16" \
		"particle set ${T}v count 3" \
		"particle slots ${T}v" \
		"particle show ${T}v" \
		"particle del ${T}v" \
		"particle show" \
		>"$BATS_TEST_TMPDIR/b"
	run --separate-stderr "$IP" -n "$NA" -batch "$BATS_TEST_TMPDIR/b"
	assert_success
	assert_line --index 0 "0 10.64.0.1"
	assert_line --index 2 "2 10.64.0.3"
	assert_line --index 3 --regexp "^${T}v mode addrs pool 10\.64\.0\.1-10\.64\.0\.3/16 count 3 "
	assert_equal "${#lines[@]}" 4
	assert_job_gone "$NA" "${T}v"
}

@test "parallel: 20 concurrent adds, then 20 concurrent dels, on one node" {
	local i pids=() rc=0
	for ((i = 0; i < 20; i++)); do
		timeout 60 "$IP" -n "$NA" particle add "${T}p$i" vtep vxlan100 count 10 \
			pool "10.65.$i.1/16" 3>&- &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || rc=$?; done
	assert_equal "$rc" 0
	run "$IP" -n "$NA" -j particle show
	assert_equal "$(jq length <<<"$output")" 20
	assert_equal "$(grep -c " /run/netns/${T}p" /proc/self/mountinfo)" 20
	for ((i = 0; i < 20; i++)); do
		assert_equal "$(sip -n "${T}p$i" -o -4 addr show dev eth0 | wc -l)" 10
	done
	pids=()
	for ((i = 0; i < 20; i++)); do
		timeout 60 "$IP" -n "$NA" particle del "${T}p$i" 3>&- &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || rc=$?; done
	assert_equal "$rc" 0
	run pt_jobs_left
	assert_output ""
	assert_equal "$(grep -c "/run/netns/${T}p" /proc/self/mountinfo)" 0
}
