# SPDX-License-Identifier: GPL-2.0
# Helpers for the tests of exec, guard and the slot guard (issue 11).
# Load after lib/topo; teardown() { pt_guard_teardown; pt_teardown; }.

# The cgroup2 mount, as ip finds it (the first cgroup2 of mountinfo).
PT_CG=$(awk '/ - cgroup2 / { print $5; exit }' /proc/self/mountinfo)
export PT_CG

# pt_exec_bg NODE JOB K CMD...: a function in the background (killed by
# teardown), its output in $BATS_TEST_TMPDIR/fn.log.
pt_exec_bg() {
	local node=$1 job=$2 k=$3
	shift 3
	pt_bg timeout 60 "$IP" -n "$node" particle exec "$job" slot "$k" "$@" \
		>>"$BATS_TEST_TMPDIR/fn.log" 2>&1
}

# pt_wait_listen JOB ADDR PORT [tcp|udp]: until ADDR:PORT is bound in JOB.
pt_wait_listen() {
	local job=$1 addr=$2 port=$3 proto=${4:-tcp} i opt=-Hltn
	[ "$proto" = udp ] && opt=-Hlun
	for ((i = 0; i < 100; i++)); do
		sip netns exec "$job" ss $opt "sport = :$port" 2>/dev/null |
			grep -qF "$addr:$port" && return 0
		sleep 0.05
	done
	sip netns exec "$job" ss -Hltun >&2
	cat "$BATS_TEST_TMPDIR/fn.log" >&2 2>/dev/null
	fail "nothing bound to $addr:$port in $job"
}

# Ids of the programs of the slot guard attached to the groups of this
# test (ours under particle/, or any group named with $T), or to the
# groups given (and those below them).
pt_guard_progs() {
	local d
	[ $# -gt 0 ] || set -- "$PT_CG"/particle/"$T"* "$PT_CG"/"$T"*
	for d in "$@"; do
		[ -d "$d" ] || continue
		find "$d" -type d | while read -r g; do
			bpftool -j cgroup show "$g" 2>/dev/null |
				jq -r '.[] | select(.name | test("^pt_[bcs][46]_")) | .id'
		done
	done | sort -n
}

# What a refusal must not change beyond pt_snapshot: this test's groups
# and the guard programs on them.
pt_cg_snapshot() {
	echo "== groups"
	find "$PT_CG"/particle/"$T"* "$PT_CG"/"$T"* -type d 2>/dev/null | sort
	echo "== programs"
	pt_guard_progs
}

# No group of JOB left, and none of the programs in PROG_IDS... loaded.
assert_cg_gone() {
	local job=$1 id
	shift
	[ ! -e "$PT_CG/particle/$job" ] || fail "$PT_CG/particle/$job is still there"
	for id in "$@"; do
		! bpftool prog show id "$id" >/dev/null 2>&1 ||
			fail "guard program $id still loaded"
	done
}

# Everything of this test's groups goes: processes killed, groups removed.
pt_guard_teardown() {
	local d
	for d in "$PT_CG"/particle/"$T"* "$PT_CG"/"$T"*; do
		[ -d "$d" ] || continue
		echo 1 >"$d/cgroup.kill" 2>/dev/null
		sleep 0.2
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	rmdir "$PT_CG/particle" 2>/dev/null
	return 0
}
