#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The documentation and the binary must not drift apart:
#  * the keywords of "ip particle help", of the SYNOPSIS of
#    man/man8/ip-particle.8 and of the grammar in README.particle are the
#    same, verb by verb;
#  * the parser knows every verb and add keyword that help lists (a bogus
#    value gives an error about that keyword, never "unknown keyword");
#  * the JSON keys and text fields that show, slots and add -s print are
#    the ones the man page's OUTPUT section names;
#  * the man page renders without warnings.

PT_TAG=D
load lib/topo

TOP=$BATS_TEST_DIRNAME/..
MAN=$TOP/man/man8/ip-particle.8
README=$TOP/README.particle

teardown() { pt_teardown; }

# Tests that read "ip particle help" or run the parser call this first.
need_help() {
	HELP=$("$IP" particle help 2>&1) || true
	if [[ $HELP != *"ip particle add"* ]]; then
		skip "$IP has no 'ip particle help' yet: $HELP"
	fi
}

# keywords_by_verb: read a grammar (help text, rendered synopsis) on stdin
# and print one line per command: the verb, then its lower-case keywords
# and values, sorted.  Placeholders (JOB, DEV, ADDR/PLEN ...) and the
# grammar's punctuation are left out.
keywords_by_verb() {
	tr -s '[:space:]' '\n' | sed -e 's/^Usage://' -e '/^$/d' |
	awk '
		function flush() {
			if (verb != "") {
				n = split(kws, a, " ")
				# sort by insertion (no asort in mawk)
				for (i = 1; i <= n; i++)
					for (j = i + 1; j <= n; j++)
						if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
				line = verb
				for (i = 1; i <= n; i++)
					if (i == 1 || a[i] != a[i - 1])
						line = line " " a[i]
				print line
			}
			verb = ""; kws = ""
		}
		{ w[NR] = $0 }
		END {
			for (k = 1; k <= NR; k++) {
				if (w[k] == "ip" && w[k + 1] == "particle" &&
				    w[k + 2] ~ /^[a-z]+$/) {
					flush(); verb = w[k + 2]; k += 2; continue
				}
				t = w[k]
				gsub(/[][{}|]/, "", t)
				if (verb != "" && t ~ /^[a-z][a-z0-9-]*$/)
					kws = kws " " t
			}
			flush()
		}'
}

# grammar_lines: from stdin, the "Usage:" line and its indented
# continuation lines (not the prose after them).
grammar_lines() {
	awk '/^Usage:/ { on = 1 } on && !/^(Usage:|[[:space:]])/ { exit } on'
}

# The help text proper.
help_grammar() {
	grammar_lines <<<"$HELP"
}

# The SYNOPSIS of the man page, from its source: macro names, quotes and
# escapes removed, the generic "ip [ OPTIONS ] particle { COMMAND | help }"
# line left out.
man_synopsis() {
	awk '/^\.SH/ { on = ($2 == "SYNOPSIS"); next } on' "$MAN" |
		grep -v '^\.\(sp\|ad\|in\|ti\|br\|PP\)\b' |
		sed -e 's/^\.[A-Z]*[[:space:]]*//' -e 's/"//g' -e 's/\\-/-/g' \
		    -e 's/\\[&c]//g' |
		tr '\n' ' ' | sed -e 's/ip *\[ *OPTIONS *\] *particle *{ *COMMAND *| *help *}//'
}

# The grammar block of README.particle: from "Usage: ip particle" to the
# end of that code block.
readme_grammar() {
	awk '/^Usage: ip particle/ { on = 1 } on && /^```/ { exit } on' "$README" |
		grammar_lines
}

# The add keywords of the help text: lower-case words followed by a
# placeholder or by "{" (so mode's values addrs/anyip are not keywords).
add_keywords() {
	help_grammar | tr -s '[:space:]' '\n' | sed -e 's/^Usage://' -e '/^$/d' |
	awk '
		{ gsub(/[][|}]/, ""); if ($0 != "") w[++n] = $0 }
		END {
			for (k = 1; k <= n; k++) if (w[k] == "add") break
			for (k++; k <= n && w[k] != "ip"; k++)
				if (w[k] ~ /^[a-z][a-z-]*$/ &&
				    (w[k + 1] == "{" || w[k + 1] ~ /^[A-Z]/))
					print w[k]
		}'
}

# Values of "mode { a | b }" in the help text.
mode_values() {
	help_grammar | grep -o 'mode *{[^}]*}' | sed -e 's/^mode *{//' -e 's/}//' |
		tr '|' '\n' | tr -d ' ' | sed '/^$/d'
}

@test "docs: help lists the verbs of the spec" {
	need_help
	got=$(help_grammar | keywords_by_verb | cut -d' ' -f1 | sort | tr '\n' ' ')
	assert_equal "$got" "add del exec flush guard help set show slots "
}

@test "docs: help's add keywords are the spec's" {
	need_help
	got=$(add_keywords | sort | tr '\n' ' ')
	assert_equal "$got" "bridge count counters gateway mac mode mtu pool rate slot-ceil slot-rate vtep "
	got=$(mode_values | sort | tr '\n' ' ')
	assert_equal "$got" "addrs anyip "
}

@test "docs: man page SYNOPSIS has the keywords of help, verb by verb" {
	need_help
	want=$(help_grammar | keywords_by_verb)
	got=$(man_synopsis | keywords_by_verb)
	echo "# help:"; echo "$want"
	echo "# man:"; echo "$got"
	[ -n "$want" ]
	assert_equal "$got" "$want"
}

@test "docs: README.particle grammar has the keywords of help, verb by verb" {
	need_help
	want=$(help_grammar | keywords_by_verb)
	got=$(readme_grammar | keywords_by_verb)
	echo "# help:"; echo "$want"
	echo "# README.particle:"; echo "$got"
	[ -n "$want" ]
	assert_equal "$got" "$want"
}

@test "docs: the man page describes every add keyword and mode" {
	need_help
	local kw
	for kw in $(add_keywords) $(mode_values); do
		grep -q "^\.B[IR]* *\"*$kw\b" "$MAN" ||
			fail "no .B/.BI/.BR paragraph for '$kw' in ip-particle.8"
	done
}

@test "docs: parser accepts every add keyword of help (bogus value -> error about it)" {
	need_help
	pt_lone "${T}n" 192.0.2.9 br0
	local kw args v
	for kw in $(add_keywords); do
		# Everything valid but KW, whose value is bogus ("/" is in no
		# device name, number, address, MAC or mode).
		args=(add "${T}j")
		for v in vtep:vxlan100 count:2 pool:10.77.0.10/16; do
			[ "${v%%:*}" = "$kw" ] || args+=("${v%%:*}" "${v#*:}")
		done
		args+=("$kw" "bo/gus")
		pt_refuse -n "${T}n" "$kw" -- "${args[@]}"
		[[ $stderr != *"unknown keyword"* ]] ||
			fail "'$kw' from help is an unknown keyword to the parser"
	done
}

@test "docs: parser accepts the mode values of help" {
	need_help
	pt_lone "${T}n" 192.0.2.9 br0
	local m
	for m in $(mode_values); do
		# Refused for the missing device, not for the mode.
		pt_refuse -n "${T}n" nosuchvtep -- add "${T}j" vtep nosuchvtep \
			count 2 pool "$PT_POOL" mode "$m"
		[[ $stderr != *"mode"* ]] || fail "mode $m refused: $stderr"
	done
}

@test "docs: a keyword help does not list is an unknown keyword" {
	need_help
	pt_lone "${T}n" 192.0.2.9 br0
	pt_refuse -n "${T}n" frobnicate -- add "${T}j" vtep vxlan100 count 2 \
		pool "$PT_POOL" frobnicate 1
	assert_regex "$stderr" 'unknown keyword "frobnicate"'
	# When the message lists the keywords, they are help's.
	if [[ $stderr == *expected* ]]; then
		got=$(sed -e 's/.*expected //' -e 's/ or /, /g' <<<"$stderr" |
			tr ',' '\n' | tr -d ' .' | sed '/^$/d' | sort | tr '\n' ' ')
		assert_equal "$got" "$(add_keywords | sort | tr '\n' ' ')"
	fi
}

@test "docs: parser knows every verb of help" {
	need_help
	pt_lone "${T}n" 192.0.2.9 br0
	local verb unknown
	run --separate-stderr timeout 60 "$IP" -n "${T}n" particle frobnicate
	[ "$status" -ne 0 ]
	grep -qF frobnicate <<<"$stderr$output" ||
		fail "an unknown verb is not named: $stderr"
	unknown=$stderr$output
	for verb in $(help_grammar | keywords_by_verb | cut -d' ' -f1); do
		run --separate-stderr timeout 60 "$IP" -n "${T}n" particle "$verb"
		echo "# particle $verb: $status: $stderr"
		[ "$stderr$output" != "${unknown//frobnicate/$verb}" ] ||
			fail "verb '$verb' from help is unknown to the parser"
	done
	# Nothing was made by any of that.
	assert_equal "$(pt_jobs_left)" ""
}

@test "docs: show, slots, add -s and del -s print the fields the man page names" {
	need_help
	pt_lone "${T}n" 192.0.2.9 br0
	local out section key
	section=$(awk '/^\.SH/ { on = ($2 == "OUTPUT") ; next } on' "$MAN" |
		sed -e 's/\\-/-/g')

	run -0 --separate-stderr timeout 60 "$IP" -j -s -n "${T}n" particle add "${T}j" \
		vtep vxlan100 count 3 pool "$PT_POOL" gateway 10.77.0.1
	echo "# add -j -s: $output"
	for key in $(jq -r '.. | objects | keys[]' <<<"$output" | sort -u); do
		grep -qw -- "$key" <<<"$section" ||
			fail "add -s -j key '$key' is not in OUTPUT of ip-particle.8"
	done

	run -0 --separate-stderr timeout 60 "$IP" -j -n "${T}n" particle show
	echo "# show -j: $output"
	[ "$(jq length <<<"$output")" = 1 ]
	for key in $(jq -r '.. | objects | keys[]' <<<"$output" | sort -u); do
		grep -qw -- "$key" <<<"$section" ||
			fail "show -j key '$key' is not in OUTPUT of ip-particle.8"
	done
	for key in job netns mode count pool mac mtu vtep bridge port; do
		jq -e ".[0] | has(\"$key\")" <<<"$output" >/dev/null ||
			fail "show -j lacks '$key', which the man page promises"
	done

	run -0 --separate-stderr timeout 60 "$IP" -j -n "${T}n" particle slots "${T}j"
	echo "# slots -j: $output"
	for key in $(jq -r '.. | objects | keys[]' <<<"$output" | sort -u); do
		grep -qw -- "$key" <<<"$section" ||
			fail "slots -j key '$key' is not in OUTPUT of ip-particle.8"
	done

	# Text show: every lower-case field name is in the documented line.
	run -0 --separate-stderr timeout 60 "$IP" -n "${T}n" particle show
	echo "# show: $output"
	out=$(grep -A3 '^JOB mode MODE' "$MAN" | tr -s ' \n' ' ')
	for key in $(tr ' ' '\n' <<<"$output" | grep -x '[a-z]\+' | sort -u); do
		# Values that are words (mode addrs, vtep/bridge names) are fine.
		case $key in addrs|anyip|vxlan100|br0) continue ;; esac
		grep -qw -- "$key" <<<"$out" ||
			fail "show prints '$key', which the man page's show line lacks"
	done

	run -0 --separate-stderr timeout 60 "$IP" -j -s -n "${T}n" particle del "${T}j"
	echo "# del -j -s: $output"
	for key in $(jq -r '.. | objects | keys[]' <<<"$output" | sort -u); do
		grep -qw -- "$key" <<<"$section" ||
			fail "del -s -j key '$key' is not in OUTPUT of ip-particle.8"
	done
}

@test "docs: man -l renders ip-particle.8 without warnings" {
	command -v man >/dev/null || skip "man-db is not installed"
	run --separate-stderr env MANWIDTH=80 man --warnings -l "$MAN"
	echo "# stderr: $stderr"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[[ $output == *SYNOPSIS* && $output == *"EXIT STATUS"* ]]
}

@test "docs: groff -ww finds nothing to warn about in ip-particle.8" {
	command -v groff >/dev/null || skip "groff is not installed"
	run --separate-stderr groff -man -Tutf8 -ww -z "$MAN"
	echo "# stderr: $stderr"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
}
