#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Crashes half way (issue 10, items 2 and 3): a command killed at any
# step (PARTICLE_FAULT, see particle/HACKING) or at a random instant
# leaves nothing, a whole job, or a damaged job that show reports and
# del / flush remove; hand-damaged records are shown and removed too.
PT_TAG=L
load lib/topo

ADD_STEPS="add:netns add:lock add:port add:claim add:mount add:pool add:done"
SET_STEPS="set:record set:resize set:done"
DEL_STEPS="del:netns del:port"

setup() {
	pt_nodes 1
	sip -n "$NA" addr add 10.80.0.1/16 dev br0
	J=${T}j
}

teardown() {
	pt_teardown
}

# The kernel settles a namespace that died with its process (and the veth
# pair in it) asynchronously: wait until JOB's port is gone or named.
settle() {
	local job=$1 i
	for ((i = 0; i < 100; i++)); do
		[ -e "/run/netns/$job" ] && return 0
		sip -n "$NA" -o link | grep -qF "$(pt_port "$job")" || return 0
		sleep 0.05
	done
}

# What JOB is now: "nothing", "whole" (show lists it undamaged and eth0
# holds COUNT addresses) or "damaged" (show says so); anything else fails.
state_of() {
	local job=$1 count=$2 out entry n
	out=$("$IP" -n "$NA" -j particle show) || fail "show failed"
	entry=$(jq -c --arg j "$job" '.[] | select(.job == $j)' <<<"$out")
	if [ -z "$entry" ]; then
		[ ! -e "/run/netns/$job" ] || fail "/run/netns/$job exists, show does not list it"
		! sip -n "$NA" -o link | grep -qF "$(pt_port "$job")" ||
			fail "port of $job exists, show does not list it"
		echo nothing
	elif jq -e 'has("damaged")' <<<"$entry" >/dev/null; then
		# text show says it as well
		"$IP" -n "$NA" particle show | grep -F "$job " | grep -q ' damaged "' ||
			fail "text show does not say $job is damaged"
		echo damaged
	else
		n=$(sip -n "$job" -o addr show dev eth0 2>/dev/null | grep -c ' inet ')
		[ "$n" = "$count" ] || fail "$job shown whole with $n of $count addresses"
		echo whole
	fi
}

# After a kill: the state must be allowed; "del JOB" (or flush) must then
# bring back exactly the snapshot BEFORE.
check_and_clean() {
	local job=$1 count=$2 before=$3 how=$4 st
	settle "$job"
	st=$(state_of "$job" "$count")
	echo "# $job: $st"
	case $st in
	nothing) ;;
	whole | damaged)
		if [ "$how" = flush ]; then
			"$IP" -n "$NA" particle flush || fail "flush failed ($st)"
		else
			"$IP" -n "$NA" particle del "$job" || fail "del failed ($st)"
		fi
		;;
	esac
	settle "$job"
	assert_job_gone "$NA" "$job"
	assert_equal "$(pt_snapshot)" "$before"
	echo "$st"
}

@test "fault at every step of add: nothing, whole or damaged; del and flush leave 0 remnants" {
	local before step how=del seen=
	before=$(pt_snapshot)
	for step in $ADD_STEPS; do
		run env PARTICLE_FAULT="$step" "$IP" -n "$NA" particle add "$J" \
			vtep br0 count 20 pool 10.80.1.2/16
		[ "$status" = 137 ] || fail "$step: status $status, want 137 (SIGKILL): $output"
		run check_and_clean "$J" 20 "$before" "$how"
		echo "$output"
		assert_success
		seen+="$step=${lines[-1]} "
		[ "$how" = del ] && how=flush || how=del
	done
	echo "# $seen"
	# what each step must leave: the order is the design (HACKING)
	[[ $seen == *"add:netns=nothing"* && $seen == *"add:port=nothing"* ]]
	[[ $seen == *"add:claim=damaged"* && $seen == *"add:mount=damaged"* ]]
	[[ $seen == *"add:pool=damaged"* && $seen == *"add:done=whole"* ]]
}

@test "fault at every step of set (grow and shrink): the job is whole or damaged, del leaves 0 remnants" {
	local before step to st
	before=$(pt_snapshot)
	for to in 50 5; do
		for step in $SET_STEPS; do
			"$IP" -n "$NA" particle add "$J" vtep br0 count 20 pool 10.80.1.2/16
			run env PARTICLE_FAULT="$step" "$IP" -n "$NA" particle set "$J" count "$to"
			[ "$status" = 137 ] || fail "$step: status $status: $output"
			st=$(state_of "$J" "$to")
			echo "# set $to $step: $st"
			case $step in
			set:done) [ "$st" = whole ] ;;
			*) [ "$st" = damaged ] ;;
			esac
			# a damaged job cannot be set, only deleted
			[ "$st" = whole ] || pt_refuse damaged -- set "$J" count 7
			run check_and_clean "$J" "$to" "$before" del
			assert_success
		done
	done
}

@test "fault at every step of del: the rest is damaged or gone, del and flush finish it" {
	local before step how=del st
	before=$(pt_snapshot)
	for how in del flush; do
		for step in $DEL_STEPS; do
			"$IP" -n "$NA" particle add "$J" vtep br0 count 20 pool 10.80.1.2/16
			run env PARTICLE_FAULT="$step" "$IP" -n "$NA" particle del "$J"
			[ "$status" = 137 ] || fail "$step: status $status: $output"
			run check_and_clean "$J" 20 "$before" "$how"
			echo "$output"
			assert_success
		done
	done
}

@test "a killed add leaves no namespace that add then refuses and del ignores" {
	local before
	before=$(pt_snapshot)
	run env PARTICLE_FAULT=add:claim "$IP" -n "$NA" particle add "$J" vtep br0 count 3
	[ "$status" = 137 ]
	[ -e "/run/netns/$J" ]
	# The unmounted namespace died with the process; the kernel removes its
	# veth pair (our port too) asynchronously: wait for that before the
	# refusal's before/after comparison, which it would race otherwise.
	local i
	for ((i = 0; i < 200; i++)); do
		sip -n "$NA" -o link | grep -qF "$(pt_port "$J")" || break
		sleep 0.05
	done
	# add names the damage and the way out
	pt_refuse damaged del -- add "$J" vtep br0 count 3
	run "$IP" -n "$NA" particle show "$J"
	assert_success
	assert_output --partial "damaged"
	run "$IP" -n "$NA" particle del "$J"
	assert_success
	assert_job_gone "$NA" "$J"
	assert_equal "$(pt_snapshot)" "$before"
	run "$IP" -n "$NA" particle add "$J" vtep br0 count 3
	assert_success
}

# kill -9 ip after a random delay below MAXMS, while it runs "$@"
kill_at_random() {
	local maxms=$1 pid
	shift
	"$IP" -n "$NA" particle "$@" >/dev/null 2>&1 &
	pid=$!
	local ms=$((RANDOM % maxms))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return 0
}

@test "SIGKILL at random instants during large adds, sets and dels: allowed states, 0 remnants" {
	local before i st states= t0 addms
	before=$(pt_snapshot)
	# kill anywhere in an add: from 0 to 1.3 times what one takes now
	t0=$(date +%s%N)
	"$IP" -n "$NA" particle add "$J" vtep br0 count 10000 pool 10.80.0.2/16
	addms=$((($(date +%s%N) - t0) * 13 / 10000000))
	"$IP" -n "$NA" particle del "$J"
	settle "$J"
	for ((i = 0; i < 8; i++)); do
		kill_at_random "$addms" add "$J" vtep br0 count 10000 pool 10.80.0.2/16
		settle "$J"
		st=$(state_of "$J" 10000)
		states+="add:$st "
		if [ "$st" = whole ]; then
			kill_at_random 600 set "$J" count 12000
			st=$(state_of "$J" 12000 2>/dev/null || state_of "$J" 10000)
			states+="set:$st "
		fi
		if [ "$st" != nothing ]; then
			kill_at_random 80 del "$J"
			settle "$J"
			st=$(state_of "$J" 10000 2>/dev/null || state_of "$J" 12000)
			states+="del:$st "
		fi
		run check_and_clean "$J" 10000 "$before" $([ $((i % 2)) = 0 ] && echo del || echo flush)
		assert_success
	done
	echo "# $states"
}

@test "hand-damaged records: shown as damaged (text and -j), never skipped; del removes port and namespace" {
	local before port alias k
	before=$(pt_snapshot)
	local bad=(
		"particle:1 job=$J vtep=br0 mode=addrs count=99999999999999999999 pool=10.80.5.2/16"
		"particle:1 job=$J vtep=br0 mode=addrs count=10"
		"particle:1 garbage"
		"particle:9"
		"particle:1 job=${T}other vtep=br0 mode=addrs count=10 pool=10.80.5.2/16"
	)
	for ((k = 0; k < ${#bad[@]}; k++)); do
		"$IP" -n "$NA" particle add "$J" vtep br0 count 10 pool 10.80.5.2/16
		port=$(pt_port "$J")
		sip -n "$NA" link set dev "$port" alias "${bad[k]}"
		run "$IP" -n "$NA" -j particle show
		assert_success
		echo "# ${bad[k]}: $output"
		[ "$(jq -r --arg p "$port" '.[] | select(.port == $p) | .damaged' <<<"$output")" != null ] ||
			fail "not shown as damaged: ${bad[k]}"
		[ "$(jq -r --arg p "$port" '.[] | select(.port == $p) | .job' <<<"$output")" = "$J" ]
		run "$IP" -n "$NA" particle show
		assert_output --partial "$J damaged"
		pt_refuse damaged -- slots "$J"
		run "$IP" -n "$NA" particle del "$J"
		assert_success
		assert_job_gone "$NA" "$J"
		assert_equal "$(pt_snapshot)" "$before"
	done
	# a long job name (hashed port) with an unreadable record: found by
	# its derived port name
	local long=${T}-a-rather-long-job-name
	"$IP" -n "$NA" particle add "$long" vtep br0 count 4 pool 10.80.6.2/16
	sip -n "$NA" link set dev "$(pt_port "$long")" alias "particle:1 broken"
	run "$IP" -n "$NA" particle show
	assert_output --partial "damaged"
	run "$IP" -n "$NA" particle del "$long"
	assert_success
	assert_job_gone "$NA" "$long"
	assert_equal "$(pt_snapshot)" "$before"
	# and flush takes damaged jobs too
	"$IP" -n "$NA" particle add "$J" vtep br0 count 4 pool 10.80.6.2/16
	sip -n "$NA" link set dev "$(pt_port "$J")" alias "particle:1 count=x"
	run "$IP" -n "$NA" particle flush
	assert_success
	assert_job_gone "$NA" "$J"
	assert_equal "$(pt_snapshot)" "$before"
}

@test "a job whose port was removed by hand: del JOB removes its namespace; a plain namespace is refused" {
	local before
	before=$(pt_snapshot)
	"$IP" -n "$NA" particle add "$J" vtep br0 count 4 pool 10.80.7.2/16
	sip -n "$NA" link del "$(pt_port "$J")"
	[ -e "/run/netns/$J" ]
	run "$IP" -n "$NA" particle del "$J"
	assert_success
	assert_job_gone "$NA" "$J"
	assert_equal "$(pt_snapshot)" "$before"
	# not ours: left alone
	sip netns add "${T}plain"
	pt_refuse "no particle job" -- del "${T}plain"
	[ -e "/run/netns/${T}plain" ]
	sip netns del "${T}plain"
}
