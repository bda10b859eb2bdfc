#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Issue 10: the fuzz harnesses' regression inputs, replayed with the
# ordinary build (no clang needed), and hand-damaged records on a real
# port: a record is never read as something other than what it says.

PT_TAG=Y
load lib/topo

setup() {
	PT_NODES=()
}

teardown() {
	pt_teardown
}

FUZZ=$BATS_TEST_DIRNAME/../particle/fuzz

# replay_bin HARNESS: the harness with replay.c's main, linked against the
# objects of the build $IP comes from.
replay_bin() {
	local h=$1 obj src cc libs bin=$BATS_TEST_TMPDIR/replay-$1
	obj=$(dirname "$IP")
	src=$(dirname "$obj")
	[ -f "$obj/ipparticle.o" ] && [ -f "$src/config.mk" ] ||
		skip "no build tree next to $IP"
	# the compiler (and sanitizer flags) that tree was configured with
	cc=$(cd "$src" && printf 'include config.mk\nall:\n\t@echo $(CC)\n' | make -s -f -)
	libs=$(cd "$src" && printf 'include config.mk\nall:\n\t@echo $(LDLIBS)\n' | make -s -f -)
	command -v "${cc%% *}" >/dev/null && command -v objcopy >/dev/null ||
		skip "no ${cc%% *} or objcopy"
	objcopy --redefine-sym main=pt_ip_main "$obj/ip.o" "$BATS_TEST_TMPDIR/ip_main.o"
	# shellcheck disable=SC2046,SC2086
	$cc -g -Wall -Wextra -I"$src/include" -I"$src/include/uapi" -I"$src/ip" \
		-I"$FUZZ/.." -I"$FUZZ" -o "$bin" "$FUZZ/fuzz_$h.c" "$FUZZ/replay.c" \
		$(cd "$obj" && printf 'include Makefile\npt-ipobj:\n\t@echo $(IPOBJ)\n' |
			make -s -f - pt-ipobj | tr ' ' '\n' | grep -v '^ip\.o$' |
			sed "s|^|$obj/|") "$BATS_TEST_TMPDIR/ip_main.o" \
		"$src/lib/libnetlink.a" "$src/lib/libutil.a" "$src/lib/libnetlink.a" \
		$libs -ldl >&2
	echo "$bin"
}

inputs() {
	find "$@" -type f ! -name README 2>/dev/null | sort
}

@test "fuzz regress: the damaged records of regress/record are all refused" {
	local bin
	bin=$(replay_bin record)
	run --separate-stderr env PT_FUZZ_REFUSE=1 "$bin" $(inputs "$FUZZ/regress/record")
	echo "$stderr"
	assert_success
	[ "$(grep -c '^replay:' <<<"$stderr")" -ge 10 ]
}

@test "fuzz regress: record corpus accepted as it reads, parse corpus and regressions clean" {
	local rec parse
	rec=$(replay_bin record)
	parse=$(replay_bin parse)
	run --separate-stderr "$rec" $(inputs "$FUZZ/corpus/record")
	echo "$stderr"
	assert_success
	run --separate-stderr "$parse" $(inputs "$FUZZ/corpus/parse" "$FUZZ/regress/parse")
	echo "$stderr" | grep -v '^Error: ' || true
	assert_success
}

# damage JOB's record on NA to ALIAS, then nothing may read it as a job
# with another count or a pool past its prefix.
damaged() {
	local job=$1 alias=$2 port
	port=$(pt_port "$job")
	sip -n "$NA" link set dev "$port" alias "$alias"
	before=$(pt_snapshot)
	run --separate-stderr "$IP" -n "$NA" -j particle show
	echo "# show: $output $stderr"
	# a job on this port may be listed only as damaged
	run jq -e --arg p "$port" '[.[] | select(.port == $p and (.damaged // false) == false and (.state // "") != "damaged")] | length == 0' <<<"$output"
	assert_success
	run --separate-stderr "$IP" -n "$NA" particle slots "$job"
	echo "# slots: status $status, $(wc -l <<<"$output") lines, $stderr"
	assert_failure
	run --separate-stderr "$IP" -n "$NA" particle set "$job" count 3
	echo "# set: status $status $stderr"
	assert_failure
	after=$(pt_snapshot)
	assert_equal "$after" "$before"
}

@test "damaged record: a count too large for 32 bits is not read as another number" {
	pt_lone "${T}a" 192.0.2.1 br0
	NA=${T}a
	"$IP" -n "$NA" particle add "${T}j" vtep vxlan100 count 2 pool 10.70.0.2/24
	damaged "${T}j" "particle:1 job=${T}j vtep=vxlan100 mode=addrs count=4294967298 pool=10.70.0.2/24"
}

@test "damaged record: a count past the pool's prefix, or above its mode, is refused" {
	pt_lone "${T}a" 192.0.2.1 br0
	NA=${T}a
	"$IP" -n "$NA" particle add "${T}j" vtep vxlan100 count 2 pool 10.71.0.2/24
	damaged "${T}j" "particle:1 job=${T}j vtep=vxlan100 mode=addrs count=1000 pool=10.71.0.2/24"
	damaged "${T}j" "particle:1 job=${T}j vtep=vxlan100 mode=addrs count=70000 pool=10.71.0.2/8"
	damaged "${T}j" "particle:1 job=${T}j vtep=vxlan100 mode=addrs count=2 pool=10.71.0.2/24 count=2"
}

@test "damaged record: a record on a port not named after its job is refused" {
	pt_lone "${T}a" 192.0.2.1 br0
	NA=${T}a
	"$IP" -n "$NA" particle add "${T}j" vtep vxlan100 count 2 pool 10.72.0.2/24
	damaged "${T}j" "particle:1 job=${T}k vtep=vxlan100 mode=addrs count=2 pool=10.72.0.2/24"
	run --separate-stderr "$IP" -n "$NA" particle slots "${T}k"
	assert_failure
}
