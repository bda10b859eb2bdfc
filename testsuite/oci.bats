#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Real OCI containers (issue 11): runc starts busybox-static containers in
# a job's network namespace (config.json: network namespace path
# /run/netns/JOB), a createRuntime hook puts the slot guard on each with
# "ip particle guard JOB slot K pid PID" (PID from the hook's state on
# stdin).  Two containers of one job both listen on the wildcard port 8080
# and are reached at their own slot addresses from a function on another
# node; a container's outgoing connection arrives from its slot address;
# without the hook the same two listeners collide.
#
# The runtime is runc: crun 1.8 refuses a hybrid cgroup host whose unified
# hierarchy has controllers (as this one), runc runs on v1, hybrid and v2.

PT_TAG=U
BATS_TEST_TIMEOUT=180
load lib/topo
load lib/guard

setup() {
	command -v runc >/dev/null || skip "runc is not installed (scripts/deps.sh test)"
	BB=$(command -v busybox) || skip "busybox-static is not installed"
	command -v jq >/dev/null || skip "jq is not installed"
	pt_nodes 2
	JA=${T}ja JB=${T}jb
	run "$IP" -n "$NA" particle add "$JA" vtep vxlan100 count 4 pool 10.77.0.10/16
	assert_success
	run "$IP" -n "$NB" particle add "$JB" vtep vxlan100 count 4 pool 10.77.1.10/16
	assert_success
	OCI=$BATS_TEST_TMPDIR/oci
	RUNC_ROOT=$BATS_TEST_TMPDIR/runc	# runc's state, ours alone
	mkdir -p "$OCI/rootfs/bin" "$OCI/rootfs/proc" "$OCI/rootfs/sys" \
		"$OCI/rootfs/dev" "$OCI/rootfs/tmp" "$RUNC_ROOT"
	cp "$BB" "$OCI/rootfs/bin/busybox"
	for c in sh nc echo sleep cat; do
		ln -s busybox "$OCI/rootfs/bin/$c"
	done
	cat >"$OCI/hook" <<-'EOF'
	#!/bin/sh
	# createRuntime hook: the OCI state on stdin names the container's pid
	pid=$(jq -r .pid) || exit 1
	exec "$PT_IP" -n "$PT_NODE" particle guard "$PT_JOB" slot "$PT_SLOT" pid "$pid"
	EOF
	chmod +x "$OCI/hook"
	(cd "$OCI" && runc spec)
	CONTAINERS=()
}

teardown() {
	local c
	for c in "${CONTAINERS[@]}"; do
		runc --root "$RUNC_ROOT" delete -f "$c" >/dev/null 2>&1
	done
	pt_guard_teardown
	pt_teardown
}

# bundle NAME SLOT HOOK ARGS_JSON: a bundle for a container of JA.
bundle() {
	local name=$1 slot=$2 hook=$3 args=$4 d=$OCI/$1
	mkdir -p "$d"
	jq --arg ns "/run/netns/$JA" --arg root "$OCI/rootfs" --argjson args "$args" \
		--arg hook "$OCI/hook" --arg ip "$IP" --arg node "$NA" --arg job "$JA" \
		--arg slot "$slot" --arg name "$name" --argjson guard "$hook" '
		.process.terminal = false | .process.args = $args |
		.root = { path: $root, readonly: true } | .hostname = $name |
		.linux.namespaces = [ .linux.namespaces[] |
			if .type == "network" then .path = $ns else . end ] |
		if $guard then .hooks = { createRuntime: [ { path: $hook, env: [
			"PT_IP=" + $ip, "PT_NODE=" + $node, "PT_JOB=" + $job,
			"PT_SLOT=" + $slot, "PATH=/usr/sbin:/usr/bin:/sbin:/bin" ] } ] }
		else . end' "$OCI/config.json" >"$d/config.json"
}

# start NAME: runc run -d, the container's output in $OCI/NAME.out
start() {
	CONTAINERS+=("$T$1")
	# not under "run": the container keeps its stdout open
	timeout 30 runc --root "$RUNC_ROOT" run -d -b "$OCI/$1" "$T$1" \
		</dev/null >"$OCI/$1.out" 2>&1 ||
		fail "runc run $1: $(cat "$OCI/$1.out")"
}

listener() {	# NAME: nc on the wildcard address, port 8080, says NAME
	echo "[\"nc\", \"-ll\", \"-p\", \"8080\", \"-e\", \"/bin/echo\", \"$1\"]"
}

@test "oci: two runc containers of one job on wildcard :8080, each at its slot; outgoing from its slot" {
	local pid ids
	bundle c1 1 true "$(listener c1)"
	bundle c2 2 true "$(listener c2)"
	start c1
	start c2
	# busybox listens on [::]: the guard holds each to its slot (v4-mapped)
	pt_wait_listen "$JA" "[::ffff:10.77.0.11]" 8080
	pt_wait_listen "$JA" "[::ffff:10.77.0.12]" 8080
	run sip netns exec "$JA" ss -Hltn "sport = :8080"
	assert_equal "${#lines[@]}" 2
	# the guard sits on each container's own group (runc made it)
	pid=$(runc --root "$RUNC_ROOT" state "${T}c1" | jq .pid)
	run cat "/proc/$pid/cgroup"
	assert_output --partial "0::/${T}c1"
	run bpftool -j cgroup show "$PT_CG/${T}c1"
	assert_equal "$(jq '[.[] | select(.name | test("^pt_"))] | length' <<<"$output")" 6
	run "$IP" -n "$NA" -j particle show "$JA"
	assert_equal "$(jq '.[0].functions' <<<"$output")" 2

	# reached from a function of another node, each at its own address
	run timeout 20 "$IP" -n "$NB" particle exec "$JB" slot 3 "$BB" nc 10.77.0.11 8080 </dev/null
	assert_success
	assert_output c1
	run timeout 20 "$IP" -n "$NB" particle exec "$JB" slot 3 "$BB" nc 10.77.0.12 8080 </dev/null
	assert_success
	assert_output c2

	# a container's outgoing connection arrives from its slot address
	pt_exec_bg "$NB" "$JB" 2 socat TCP-LISTEN:8090,fork SYSTEM:'echo peer $SOCAT_PEERADDR >>'"$BATS_TEST_TMPDIR/peers"
	pt_wait_listen "$JB" 10.77.1.12 8090
	bundle c3 3 true '["sh", "-c", "echo hi | nc 10.77.1.12 8090"]'
	CONTAINERS+=("${T}c3")
	run timeout 30 runc --root "$RUNC_ROOT" run -b "$OCI/c3" "${T}c3" </dev/null
	assert_success
	for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/peers" ] && break; sleep 0.1; done
	run cat "$BATS_TEST_TMPDIR/peers"
	assert_output "peer 10.77.0.13"

	# del takes the guard off the containers' groups; no program is left
	ids=$(pt_guard_progs "$PT_CG/particle/$JA" "$PT_CG/${T}c1" "$PT_CG/${T}c2")
	assert_equal "$(wc -l <<<"$ids")" 12
	run "$IP" -n "$NA" particle del "$JA"
	assert_success
	assert_cg_gone "$JA" $ids
	run bpftool -j cgroup show "$PT_CG/${T}c1"
	assert_equal "$(jq '[.[] | select(.name | test("^pt_"))] | length' <<<"${output:-[]}")" 0
}

@test "oci: the same two containers without the guard collide (EADDRINUSE)" {
	bundle c1 1 false "$(listener c1)"
	bundle c2 2 false "$(listener c2)"
	start c1
	pt_wait_listen "$JA" "*" 8080
	CONTAINERS+=("${T}c2")
	run timeout 30 runc --root "$RUNC_ROOT" run -b "$OCI/c2" "${T}c2" </dev/null
	assert_failure
	assert_output --partial "Address already in use"
}
