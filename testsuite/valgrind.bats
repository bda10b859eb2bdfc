#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# add / show / slots / set / del / flush / batch under valgrind: no invalid
# access, no definite or indirect leak, no error at all (exit 99 if any).

PT_TAG=V
BATS_TEST_TIMEOUT=300
load lib/topo

setup() {
	pt_nodes 1
	J=${T}j
	VG_LOG=$BATS_TEST_TMPDIR/vg.log
}
teardown() { pt_teardown; }

# vgrun ARGS...: run "valgrind ... $IP ARGS", the report in $VG_LOG.
vgrun() {
	run --separate-stderr timeout 240 "${PT_VALGRIND[@]}" --log-file="$VG_LOG" "$IP" "$@"
}

# vg ARGS...: "valgrind ... $IP ARGS" must exit 0 with a clean report.
vg() {
	vgrun "$@"
	echo "# valgrind ip $*: status $status"
	echo "# stderr: $stderr"
	echo "# valgrind log:"
	cat "$VG_LOG"
	assert_success
	! grep -q Invalid "$VG_LOG" || fail "invalid access"
	! grep -qE 'definitely lost|indirectly lost|Unsupported|unhandled' "$VG_LOG" ||
		fail "leak or unsupported syscall"
	[[ $stderr != *Invalid* ]]
}

add50() {
	"$IP" -n "$NA" particle add "$J" vtep vxlan100 count 50 pool "$PT_POOL" "$@"
}

@test "valgrind: add count 50" {
	vg -n "$NA" particle add "$J" vtep vxlan100 count 50 pool "$PT_POOL" gateway 10.77.0.1
	run sip -n "$J" -o -4 addr show dev eth0
	assert_equal "${#lines[@]}" 50
}

@test "valgrind: add -s -j, anyip, dual stack" {
	vg -n "$NA" -s -j particle add "$J" vtep vxlan100 count 50 pool "$PT_POOL" \
		pool 2001:db8:77::10/64 mode anyip
}

@test "valgrind: add on an unbridged vxlan (bridge creation)" {
	pt_lone "${T}c" 192.0.2.3
	vg -n "${T}c" particle add "$J" vtep vxlan100 count 5 pool "$PT_POOL"
}

@test "valgrind: default pool from the bridge, then a full subnet refused" {
	sip -n "$NA" addr add 10.88.0.1/29 dev br0
	vg -n "$NA" particle add "$J" vtep vxlan100 count 5
	run sip -n "$J" -o -4 addr show dev eth0
	assert_equal "${#lines[@]}" 5
	vgrun -n "$NA" particle add "${T}k" vtep vxlan100 count 1
	cat "$VG_LOG"
	assert_equal "$status" 1
	[ ! -s "$VG_LOG" ]
}

@test "valgrind: refused add (bad input) and rolled-back add (kernel refusal)" {
	vgrun -n "$NA" particle add "$J" vtep vxlan100 count 0
	cat "$VG_LOG"
	assert_equal "$status" 1
	[ ! -s "$VG_LOG" ]
	vgrun -n "$NA" particle add "$J" vtep vxlan100 \
		count 5 pool "$PT_POOL" gateway 10.99.0.1
	cat "$VG_LOG"
	[[ $status =~ ^[12]$ ]]
	[ ! -s "$VG_LOG" ]
	assert_job_gone "$NA" "$J"
}

@test "valgrind: show" {
	add50
	vg -n "$NA" particle show
	assert_output --regexp "^$J mode addrs "
}

@test "valgrind: show -j -p" {
	add50
	vg -n "$NA" -j -p particle show
	assert_equal "$(jq length <<<"$output")" 1
}

@test "valgrind: slots and slots -j" {
	add50
	vg -n "$NA" particle slots "$J"
	assert_equal "${#lines[@]}" 50
	vg -n "$NA" -j particle slots "$J"
	assert_equal "$(jq length <<<"$output")" 50
}

@test "valgrind: set grow and shrink" {
	add50
	vg -n "$NA" particle set "$J" count 60
	vg -n "$NA" particle set "$J" count 10
	run sip -n "$J" -o -4 addr show dev eth0
	assert_equal "${#lines[@]}" 10
}

@test "valgrind: del" {
	add50
	vg -n "$NA" particle del "$J"
	assert_job_gone "$NA" "$J"
}

@test "valgrind: flush" {
	add50
	"$IP" -n "$NA" particle add "${T}k" vtep vxlan100 count 5 pool "$PT_POOL2"
	vg -n "$NA" particle flush
	assert_job_gone "$NA" "$J"
	assert_job_gone "$NA" "${T}k"
}

@test "valgrind: a 20-line batch" {
	local i
	for ((i = 0; i < 10; i++)); do
		echo "particle add ${T}b$i vtep vxlan100 count 5 pool 10.77.$i.10/16"
	done >"$BATS_TEST_TMPDIR/b"
	echo "particle show" >>"$BATS_TEST_TMPDIR/b"
	echo "particle slots ${T}b3" >>"$BATS_TEST_TMPDIR/b"
	for ((i = 0; i < 8; i++)); do
		echo "particle del ${T}b$i"
	done >>"$BATS_TEST_TMPDIR/b"
	assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/b")" 20
	vg -n "$NA" -batch "$BATS_TEST_TMPDIR/b"
	run "$IP" -n "$NA" particle show
	assert_equal "${#lines[@]}" 2
}

@test "valgrind: help and a refused unknown verb" {
	vg particle help
	vgrun -n "$NA" particle frobnicate
	assert_equal "$status" 1
	[ ! -s "$VG_LOG" ]
}
