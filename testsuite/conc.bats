#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Many "ip particle" processes at once (issue 10, items 1 and 6): the
# bridge lock keeps pools disjoint, a same-name race has one winner and
# the losers leave nothing; and ip particle inside a chroot stays in it.
PT_TAG=K
load lib/topo

setup() {
	pt_nodes 1
	sip -n "$NA" addr add 10.70.0.1/16 dev br0
}

teardown() {
	chroot_teardown
	pt_teardown
}

# Every IPv4 address on eth0 of each job in $@, one per line, as the
# kernel has them.
kernel_addrs() {
	local j
	for j in "$@"; do
		sip -n "$j" -4 -o addr show dev eth0 | awk '{ sub("/.*", "", $4); print $4 }'
	done
}

# n adds started together, each "$@" with JOB replaced by ${T}jK; waits for
# all; prints one exit status per line (job order).
storm() {
	local n=$1 k pids=() rc
	shift
	for ((k = 0; k < n; k++)); do
		"$IP" -n "$NA" particle add "${T}j$k" "$@" \
			>"$BATS_TEST_TMPDIR/out$k" 2>&1 &
		pids+=($!)
	done
	for ((k = 0; k < n; k++)); do
		rc=0
		wait "${pids[k]}" || rc=$?
		echo "$rc"
	done
}

@test "8 concurrent default-pool adds on one bridge, 5 rounds: every address once in the kernel" {
	local round jobs k all
	for ((round = 0; round < 5; round++)); do
		run storm 8 vtep vxlan100 count 25
		assert_output "$(printf '0\n%.0s' {1..8} | head -c -1)"
		jobs=()
		for ((k = 0; k < 8; k++)); do jobs+=("${T}j$k"); done
		all=$(kernel_addrs "${jobs[@]}")
		[ "$(wc -l <<<"$all")" = 200 ] || fail "$(wc -l <<<"$all") addresses, want 200"
		[ -z "$(sort <<<"$all" | uniq -d)" ] ||
			fail "addresses held twice: $(sort <<<"$all" | uniq -d | head -5 | tr '\n' ' ')"
		# and the records agree with the kernel: no job is damaged
		run "$IP" -n "$NA" -j particle show
		assert_success
		[ "$(jq '[.[] | select(has("damaged"))] | length' <<<"$output")" = 0 ]
		[ "$(jq length <<<"$output")" = 8 ]
		run "$IP" -n "$NA" particle flush
		assert_success
		[ -z "$(pt_jobs_left)" ] || fail "left after flush: $(pt_jobs_left)"
	done
}

@test "concurrent adds with overlapping explicit pools: exactly one wins, the others leave nothing" {
	local k won=0 pids=()
	for ((k = 0; k < 6; k++)); do
		"$IP" -n "$NA" particle add "${T}o$k" vtep vxlan100 count 40 \
			pool "10.70.3.$((10 + k))/16" >"$BATS_TEST_TMPDIR/o$k" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}" || true
	for ((k = 0; k < 6; k++)); do
		if [ -e "/run/netns/${T}o$k" ]; then
			won=$((won + 1))
		else
			grep -q '^Error: .*overlap' "$BATS_TEST_TMPDIR/o$k" ||
				fail "loser ${T}o$k: $(cat "$BATS_TEST_TMPDIR/o$k")"
			assert_job_gone "$NA" "${T}o$k"
		fi
	done
	[ "$won" = 1 ] || fail "$won winners"
	run "$IP" -n "$NA" -j particle show
	[ "$(jq length <<<"$output")" = 1 ]
}

@test "same-name race: one winner, one job, the losers leave nothing" {
	local k ok=0 pids=()
	for ((k = 0; k < 6; k++)); do
		"$IP" -n "$NA" particle add "${T}same" vtep vxlan100 count 5 \
			pool "10.70.$((10 + k)).2/16" >"$BATS_TEST_TMPDIR/s$k" 2>&1 &
		pids+=($!)
	done
	for ((k = 0; k < 6; k++)); do
		wait "${pids[k]}" && ok=$((ok + 1))
	done
	[ "$ok" = 1 ] || { cat "$BATS_TEST_TMPDIR"/s*; fail "$ok winners"; }
	run "$IP" -n "$NA" -j particle show
	assert_success
	[ "$(jq length <<<"$output")" = 1 ]
	[ "$(jq -r '.[0].damaged // "whole"' <<<"$output")" = whole ]
	# the kernel has the winner's pool only, once
	[ "$(sip -n "$NA" -o link | grep -c "pt-${T}same")" = 1 ]
	[ "$(kernel_addrs "${T}same" | wc -l)" = 5 ]
	run "$IP" -n "$NA" particle del "${T}same"
	assert_success
	assert_job_gone "$NA" "${T}same"
}

@test "concurrent adds on two bridges and a growing set: pools stay disjoint per bridge" {
	local k all pids=()
	sip -n "$NA" link add br1 type bridge
	sip -n "$NA" addr add 10.71.0.1/24 dev br1
	sip -n "$NA" link set br1 up
	"$IP" -n "$NA" particle add "${T}g" vtep br0 count 10
	for ((k = 0; k < 4; k++)); do
		"$IP" -n "$NA" particle add "${T}a$k" vtep br0 count 10 &
		pids+=($!)
		"$IP" -n "$NA" particle add "${T}b$k" vtep br1 count 10 &
		pids+=($!)
	done
	# the grow may lose the race for the range right after its pool
	"$IP" -n "$NA" particle set "${T}g" count 60 2>"$BATS_TEST_TMPDIR/set" &
	local setpid=$! want
	for k in "${pids[@]}"; do
		wait "$k" || fail "an add failed"
	done
	if wait "$setpid"; then want=100; else
		grep -q overlaps "$BATS_TEST_TMPDIR/set" || fail "set: $(cat "$BATS_TEST_TMPDIR/set")"
		want=50
	fi
	run "$IP" -n "$NA" -j particle show
	[ "$(jq length <<<"$output")" = 9 ]
	[ "$(jq '[.[] | select(has("damaged"))] | length' <<<"$output")" = 0 ]
	all=$(kernel_addrs "${T}g" "${T}a"{0..3})
	[ "$(wc -l <<<"$all")" = "$want" ] || fail "br0: $(wc -l <<<"$all") addresses, want $want"
	[ -z "$(sort <<<"$all" | uniq -d)" ] || fail "br0 duplicates"
	all=$(kernel_addrs "${T}b"{0..3})
	[ "$(wc -l <<<"$all")" = 40 ]
	[ -z "$(sort <<<"$all" | uniq -d)" ] || fail "br1 duplicates"
	[ "$(grep -c '^10\.71\.' <<<"$all")" = 40 ]
	run "$IP" -n "$NA" particle flush
	assert_success
	[ -z "$(pt_jobs_left)" ]
}

# ---- item 6: a chroot whose root is a mount point ----

CHROOT=
chroot_teardown() {
	[ -n "$CHROOT" ] || return 0
	local f m
	for f in "$CHROOT"/run/netns/*; do
		[ -e "$f" ] || continue
		umount -l "$f" 2>/dev/null
		rm -f "$f"
	done
	# everything mounted under the chroot, deepest first
	for m in $(awk -v r="$CHROOT" '$5 == r || index($5, r "/") == 1 { print $5 }' \
			/proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	rm -rf "$CHROOT"
	CHROOT=
}

@test "inside a chroot whose root is a mount point: add/show/del act in the chroot only" {
	local r=$BATS_TEST_TMPDIR/root lib
	CHROOT=$r
	mkdir -p "$r"/{bin,proc,sys,run,tmp,dev}
	cp "$IP" "$r/bin/ip"
	for lib in $(ldd "$IP" | grep -o '/[^ ]*'); do
		cp --parents -L "$lib" "$r"
	done
	mount --bind "$r" "$r"
	mount -t proc proc "$r/proc"
	# Under make check-asan the sanitizers write their reports below a
	# directory outside this root (ASan dies when it cannot open it): give
	# the chroot that same directory, so the reports still reach the scan.
	local asan_log
	asan_log=$(sed -n 's|.*log_path=\(/[^:]*\)/[^/:]*.*|\1|p' <<<"${ASAN_OPTIONS:-}")
	if [ -n "$asan_log" ]; then
		mkdir -p "$r$asan_log"
		mount --bind "$asan_log" "$r$asan_log"
	fi

	run chroot "$r" /bin/ip netns add "${T}c"
	assert_success
	# upstream's own "link add" leaks rtnl_talk's answer buffer (see
	# HACKING): not ours to report under check-asan
	local upstream=${ASAN_OPTIONS:+$ASAN_OPTIONS:detect_leaks=0}
	ASAN_OPTIONS=$upstream chroot "$r" /bin/ip -n "${T}c" link add br0 type bridge
	ASAN_OPTIONS=$upstream chroot "$r" /bin/ip -n "${T}c" addr add 10.72.0.1/24 dev br0
	ASAN_OPTIONS=$upstream chroot "$r" /bin/ip -n "${T}c" link set br0 up
	run chroot "$r" /bin/ip -n "${T}c" particle add "${T}cj" vtep br0 count 3
	assert_success
	[ -e "$r/run/netns/${T}cj" ]
	[ ! -e "/run/netns/${T}cj" ] || fail "the job appeared in the host's /run/netns"
	[ -e "$r/run/particle/lock" ]
	run chroot "$r" /bin/ip -n "${T}cj" -4 -o addr show dev eth0
	assert_success
	[ "${#lines[@]}" = 3 ]
	run chroot "$r" /bin/ip -n "${T}c" -j particle show
	assert_success
	[ "$(jq -r '.[0].job' <<<"$output")" = "${T}cj" ]
	[ "$(jq -r '.[0].damaged // "whole"' <<<"$output")" = whole ]
	run chroot "$r" /bin/ip -n "${T}c" particle del "${T}cj"
	assert_success
	[ ! -e "$r/run/netns/${T}cj" ]
	! grep -qF "/run/netns/${T}cj " /proc/self/mountinfo ||
		grep -F "/run/netns/${T}cj " /proc/self/mountinfo | grep -qF "$r/" ||
		fail "a mount of the job outside the chroot"
	chroot "$r" /bin/ip netns del "${T}c"
	# nothing of this test ever appeared in the host's /run/netns
	[ -z "$(ls /run/netns | grep -F "${T}c")" ]
}

# One worker of the storm: add/set/del of its own job names on bridge BR,
# killed now and then at a random instant.
storm_worker() {
	local w=$1 br=$2 i j pid
	for ((i = 0; i < 6; i++)); do
		j=${T}w$w$((i % 3))
		case $((RANDOM % 4)) in
		0 | 1) "$IP" -n "$NA" particle add "$j" vtep "$br" count $((1 + RANDOM % 40)) ;;
		2) "$IP" -n "$NA" particle set "$j" count $((1 + RANDOM % 60)) ;;
		3) "$IP" -n "$NA" particle del "$j" ;;
		esac >/dev/null 2>&1 &
		pid=$!
		if ((RANDOM % 3 == 0)); then
			sleep "0.0$((RANDOM % 10))"
			kill -9 "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
}

@test "storm of add/set/del/flush on two bridges with random kills: disjoint pools, flush leaves the node as it was" {
	local before w pids=() all j k
	sip -n "$NA" link add br1 type bridge
	sip -n "$NA" addr add 10.73.0.1/16 dev br1
	sip -n "$NA" link set br1 up
	# a bridge's MAC and carrier change with its first port: settle them
	"$IP" -n "$NA" particle add "${T}first" vtep br1 count 1
	"$IP" -n "$NA" particle del "${T}first"
	# (br1's carrier follows its ports, asynchronously: "linkdown" masked)
	before=$(pt_snapshot | sed 's/ linkdown//')
	for ((w = 0; w < 6; w++)); do
		storm_worker "$w" "br$((w % 2))" &
		pids+=($!)
	done
	sleep 0.5
	"$IP" -n "$NA" particle flush >/dev/null 2>&1 || true
	for w in "${pids[@]}"; do wait "$w" || true; done
	# every job the kernel has, whole or damaged: addresses held once per bridge
	for k in 0 1; do
		all=$(for j in $(pt_jobs_left); do
			"$IP" -n "$NA" -j particle show "$j" 2>/dev/null |
				jq -e --arg b "br$k" '.[0].bridge == $b' >/dev/null || continue
			kernel_addrs "$j"
		done)
		[ -z "$(sort <<<"$all" | grep . | uniq -d)" ] ||
			fail "br$k: addresses held twice: $(sort <<<"$all" | uniq -d | head -5 | tr '\n' ' ')"
	done
	# the kernel settles namespaces that died with their process
	for ((k = 0; k < 100; k++)); do
		sip -n "$NA" -o link | grep -q ' pt-' || break
		"$IP" -n "$NA" particle flush >/dev/null 2>&1 || true
		sleep 0.05
	done
	run "$IP" -n "$NA" particle flush
	assert_success
	[ -z "$(pt_jobs_left)" ] || fail "left after flush: $(pt_jobs_left)"
	assert_equal "$(pt_snapshot | sed 's/ linkdown//')" "$before"
}
