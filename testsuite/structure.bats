#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# particle/ reads in layers (issue 9): particle/tools/structure.sh finds no
# import circle and no call against HACKING's map of layers in the tree,
# and does find them where they were (24d0ccf, before the restructuring).

PT_TAG=W
load lib/topo

TOP=$BATS_TEST_DIRNAME/..

teardown() { pt_teardown; }

@test "structure: no import circle, no call upward or sideways, every file in the map" {
	run "$TOP/particle/tools/structure.sh"
	assert_success
	assert_line "circles 0"
	assert_line "upward call sites 0"
	assert_line "sideways call sites 0"
	assert_line "unmapped call sites 0"
	assert_line --partial "files not in the map: none"
}

@test "structure: the tool sees the circle and the upward calls of 24d0ccf" {
	git -C "$TOP" cat-file -e 24d0ccf^{commit} 2>/dev/null ||
		skip "no history of 24d0ccf in this clone"
	run "$TOP/particle/tools/structure.sh" 24d0ccf
	assert_success
	assert_line "circles 1"
	assert_line --regexp '^  12 files: ipparticle\.c .*pt_show\.c'
	assert_line --regexp '^upward call sites [1-9][0-9]*$'
	refute_line "upward call sites 0"
}
