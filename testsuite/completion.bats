#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Bash completion for "ip particle" (particle/bash-completion/ip-particle).
#
# _ip_particle is called the way bash calls a completion function, with
# COMP_WORDS / COMP_CWORD (and COMP_LINE / COMP_POINT where word splitting
# matters) set, against a stub ip that logs its arguments and prints
# canned output.  The wrapping of bash-completion's own "ip" completion is
# tested when bash-completion is installed, and the real binary when
# "ip particle help" works.

PT_TAG=C
load lib/topo

COMPLETION=$BATS_TEST_DIRNAME/../particle/bash-completion/ip-particle

setup() {
	STUB=$BATS_TEST_TMPDIR/bin/ip
	mkdir -p "${STUB%/*}"
	cat >"$STUB" <<-'EOF'
	#!/bin/bash
	echo "$*" >>"${STUB_LOG:?}"
	case " $* " in
	*" -j particle show "*)
		[ -n "${STUB_NOJSON:-}" ] && exit 1
		echo '[{"job":"alpha","netns":"/run/netns/alpha","mode":"addrs"},'
		echo ' {"job": "beta.2","netns":"/run/netns/beta.2","mode":"anyip"}]' ;;
	*" particle show "*)
		echo "alpha mode addrs pool 10.0.0.2-10.0.0.9/16 count 8"
		echo "gamma_3 mode anyip pool 10.0.1.2-10.0.1.9/16 count 8" ;;
	*" -o link show type vxlan "*)
		echo '5: vxlan100: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master br0'
		echo '9: vx7@NONE: <BROADCAST,MULTICAST> mtu 1450 qdisc noop' ;;
	*" -o link show type bridge "*)
		echo '4: br0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue' ;;
	esac
	exit 0
	EOF
	chmod +x "$STUB"
	export STUB_LOG=$BATS_TEST_TMPDIR/stub.log
	: >"$STUB_LOG"
	# shellcheck disable=SC1090
	source "$COMPLETION"
}
teardown() { pt_teardown; }

# comp WORD...: complete the last WORD of "WORD..." (the first is the ip
# binary) with _ip_particle; REPLY is the sorted candidates on one line.
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	unset COMP_LINE COMP_POINT
	COMPREPLY=()
	_ip_particle
	REPLY=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
	REPLY=${REPLY% }
}

# compline LINE: complete at the end of LINE as bash would, splitting it
# at blanks and at ":" and "=" (bash's COMP_WORDBREAKS) first.
compline() {
	local line=$1
	COMP_LINE=$line
	COMP_POINT=${#line}
	mapfile -t COMP_WORDS < <(grep -oE '[^[:space:]:=]+|[:=]+' <<<"$line")
	[[ $line == *[[:space:]] ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_ip_particle
	REPLY=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
	REPLY=${REPLY% }
}

@test "completion: the file defines _ip_particle and takes over ip" {
	declare -F _ip_particle
	run -0 complete -p ip
	assert_output --partial _ip_particle
}

@test "completion: verbs" {
	comp "$STUB" particle ""
	assert_equal "$REPLY" "add del exec flush guard help set show slots"
	comp "$STUB" particle s
	assert_equal "$REPLY" "set show slots"
	comp "$STUB" particle f
	assert_equal "$REPLY" "flush"
	# abbreviated object and global options before it
	comp "$STUB" -j -p -n ns1 part d
	assert_equal "$REPLY" "del"
	comp "$STUB" -- particle h
	assert_equal "$REPLY" "help"
}

@test "completion: nothing before the object or for unknown verbs" {
	comp "$STUB" ""
	assert_equal "$REPLY" ""
	comp "$STUB" -n ""
	assert_equal "$REPLY" ""
	comp "$STUB" particle frob ""
	assert_equal "$REPLY" ""
	comp "$STUB" particle flush ""
	assert_equal "$REPLY" ""
	comp "$STUB" particle help ""
	assert_equal "$REPLY" ""
}

@test "completion: add keywords, not JOB, and only those not given yet" {
	comp "$STUB" particle add ""
	assert_equal "$REPLY" ""
	comp "$STUB" particle add job1 ""
	assert_equal "$REPLY" "bridge count counters gateway mac mode mtu pool rate slot-ceil slot-rate vtep"
	comp "$STUB" particle add job1 m
	assert_equal "$REPLY" "mac mode mtu"
	comp "$STUB" particle add job1 vtep vxlan100 count 4 ""
	assert_equal "$REPLY" "bridge counters gateway mac mode mtu pool rate slot-ceil slot-rate"
	# abbreviations count as given
	comp "$STUB" particle add job1 v vxlan100 co 4 mo anyip ""
	assert_equal "$REPLY" "bridge counters gateway mac mtu pool rate slot-ceil slot-rate"
}

@test "completion: pool is offered until it was given twice" {
	comp "$STUB" particle add job1 pool 10.0.0.2/16 count 4 ""
	assert_equal "$REPLY" "bridge counters gateway mac mode mtu pool rate slot-ceil slot-rate vtep"
	comp "$STUB" particle add job1 pool 10.0.0.2/16 count 4 pool fd00::2/64 ""
	assert_equal "$REPLY" "bridge counters gateway mac mode mtu rate slot-ceil slot-rate vtep"
}

@test "completion: mode values" {
	comp "$STUB" particle add job1 mode ""
	assert_equal "$REPLY" "addrs anyip"
	comp "$STUB" particle add job1 vtep vxlan100 mode an
	assert_equal "$REPLY" "anyip"
	comp "$STUB" particle add job1 mo a
	assert_equal "$REPLY" "addrs anyip"
}

@test "completion: no guesses for count, pool, mac, mtu, gateway values" {
	local kw
	for kw in count pool mac mtu gateway; do
		comp "$STUB" particle add job1 "$kw" ""
		assert_equal "$REPLY" ""
	done
}

@test "completion: vtep offers vxlan and bridge devices, bridge only bridges" {
	comp "$STUB" particle add job1 vtep ""
	assert_equal "$REPLY" "br0 vx7 vxlan100"
	comp "$STUB" particle add job1 vtep vx
	assert_equal "$REPLY" "vx7 vxlan100"
	comp "$STUB" particle add job1 vtep vxlan100 bridge ""
	assert_equal "$REPLY" "br0"
	grep -qx -- '-o link show type vxlan' "$STUB_LOG"
	grep -qx -- '-o link show type bridge' "$STUB_LOG"
}

@test "completion: -n NS is passed on to the device and job queries" {
	comp "$STUB" -n vtepns particle add job1 vtep ""
	assert_equal "$REPLY" "br0 vx7 vxlan100"
	grep -qx -- '-n vtepns -o link show type vxlan' "$STUB_LOG"
	comp "$STUB" -netns vtepns2 -j particle del ""
	assert_equal "$REPLY" "alpha beta.2"
	grep -qx -- '-n vtepns2 -j particle show' "$STUB_LOG"
	comp "$STUB" --netns vtepns3 particle show a
	assert_equal "$REPLY" "alpha"
	grep -qx -- '-n vtepns3 -j particle show' "$STUB_LOG"
}

@test "completion: job names for del, show, slots and set; count after set JOB" {
	local verb
	for verb in del show slots set sh sl de; do
		comp "$STUB" particle "$verb" ""
		assert_equal "$REPLY" "alpha beta.2"
	done
	comp "$STUB" particle slots b
	assert_equal "$REPLY" "beta.2"
	comp "$STUB" particle set alpha ""
	assert_equal "$REPLY" "count counters rate slot-ceil slot-rate"
	comp "$STUB" particle set alpha count ""
	assert_equal "$REPLY" ""
	comp "$STUB" particle del alpha ""
	assert_equal "$REPLY" ""
}

@test "completion: job names from the text output when -j gives nothing" {
	export STUB_NOJSON=1
	comp "$STUB" particle del ""
	assert_equal "$REPLY" "alpha gamma_3"
}

@test "completion: addresses split at ':' by bash do not upset keyword pairs" {
	compline "$STUB particle add j1 pool fd00::2/64 mac 02:00:00:00:00:01 m"
	assert_equal "$REPLY" "mode mtu"
	compline "$STUB particle add j1 pool fd00::2/64 mode "
	assert_equal "$REPLY" "addrs anyip"
	compline "$STUB particle add j1 gateway fd00::1 pool 10.1.0.2/16 pool fd00::2/64 "
	assert_equal "$REPLY" "bridge count counters mac mode mtu rate slot-ceil slot-rate vtep"
	# the value being typed has a ':': nothing to offer
	compline "$STUB particle add j1 pool fd00:"
	assert_equal "$REPLY" ""
}

@test "completion: without a path, the ip in PATH is asked" {
	PATH=${STUB%/*}:$PATH
	comp ip particle del ""
	assert_equal "$REPLY" "alpha beta.2"
}

# --- wrapping bash-completion's "ip" ------------------------------------

# bcomp LINE: complete LINE through whatever "complete -p ip" names.
bcomp() {
	local line=$1 fn
	COMP_LINE=$line
	COMP_POINT=${#line}
	read -ra COMP_WORDS <<<"$line"
	[[ $line == *[[:space:]] ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	fn=$(complete -p ip | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
	# Interactive shells run completions without errexit, and
	# bash-completion's own functions rely on that.
	set +e
	"$fn" ip "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	set -e
	REPLY=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
	REPLY=${REPLY% }
}

load_bash_completion() {
	local f=/usr/share/bash-completion/bash_completion
	[ -r "$f" ] && [ -r /usr/share/bash-completion/completions/ip ] ||
		skip "bash-completion (with its completions/ip) is not installed"
	complete -r ip
	unset -f _ip
	# shellcheck disable=SC1090
	source "$f"
	# as from /etc/bash_completion.d: before _ip was ever loaded
	# shellcheck disable=SC1090
	source "$COMPLETION"
}

@test "completion: with bash-completion, other ip objects go to its _ip" {
	load_bash_completion
	bcomp "ip li"
	assert_equal "$REPLY" "link"
	declare -F _ip
	# loading _ip did not take "ip" away from the wrapper
	run -0 complete -p ip
	assert_output --partial _ip_particle
	bcomp "ip link set dev lo mt"
	assert_equal "$REPLY" "mtu"
}

@test "completion: with bash-completion, ip particle goes to _ip_particle" {
	load_bash_completion
	PATH=${STUB%/*}:$PATH
	bcomp "ip particle a"
	assert_equal "$REPLY" "add"
	bcomp "ip -n ns1 particle del "
	assert_equal "$REPLY" "alpha beta.2"
	bcomp "ip part add j1 vtep vxlan100 mode "
	assert_equal "$REPLY" "addrs anyip"
	# the object itself, even where a stock "ip help" does not list it
	bcomp "ip pa"
	assert_equal "$REPLY" "particle"
}

# --- the real binary -----------------------------------------------------

@test "completion: job names and vtep devices from the real ip" {
	run timeout 10 "$IP" particle help
	[[ $output == *"ip particle add"* ]] ||
		skip "$IP has no 'ip particle' yet: $output"
	pt_lone "${T}n" 192.0.2.9 br0
	run -0 timeout 60 "$IP" -n "${T}n" particle add "${T}j1" vtep vxlan100 count 2 \
		pool "$PT_POOL"
	run -0 timeout 60 "$IP" -n "${T}n" particle add "${T}j2" vtep br0 count 2 \
		pool "$PT_POOL2"

	comp "$IP" -n "${T}n" particle del ""
	assert_equal "$REPLY" "${T}j1 ${T}j2"
	comp "$IP" -n "${T}n" particle add "${T}j3" vtep ""
	assert_equal "$REPLY" "br0 vxlan100"
	comp "$IP" -n "${T}n" particle add "${T}j3" vtep vxlan100 bridge ""
	assert_equal "$REPLY" "br0"

	run -0 timeout 60 "$IP" -n "${T}n" particle del "${T}j1"
	run -0 timeout 60 "$IP" -n "${T}n" particle del "${T}j2"
}
