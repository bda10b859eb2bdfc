#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The fuzz harnesses of particle/fuzz/ (make fuzz, make fuzz-regress).
#
# usage: fuzz.sh build|run|regress|coverage UPSTREAM
#   build     a clang tree with libFuzzer, ASan, UBSan and coverage
#             instrumentation under build/fuzz/, and one binary per harness
#   run       build, then fuzz each harness for its share of FUZZ_SECONDS
#             (default 180 in total) from corpus/HARNESS/, then coverage;
#             a crash is copied to regress/HARNESS/ and fails the run
#   regress   build, then run every input of regress/ and corpus/ once
#             (regress/record/ holds damaged records: each must be refused)
#   coverage  line coverage of pt_parse.c and pt_record.c by the corpus
#             that build/fuzz/corpus-HARNESS/ holds after a run
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/particle/fuzz
out=$top/build/fuzz
harnesses="parse record"
cmd=$1 upstream=${2:-}
: "${FUZZ_SECONDS:=180}"

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
cov="-fprofile-instr-generate -fcoverage-mapping"
cc="clang -g -fno-omit-frame-pointer $san $cov"

build() {
	[ -n "$upstream" ] || { echo "fuzz.sh: no UPSTREAM" >&2; exit 2; }
	"$top/scripts/build-variant.sh" "$out" "$upstream" \
		"$cc -fsanitize=fuzzer-no-link"
	src=$(ls -d "$out"/iproute2-*/)
	src=${src%/}
	# every object of ip but its main(), which libFuzzer brings
	objcopy --redefine-sym main=pt_ip_main "$src/ip/ip.o" "$out/ip_main.o"
	objs=$(cd "$src/ip" && printf 'include Makefile\npt-ipobj:\n\t@echo $(IPOBJ)\n' |
		make -s -f - pt-ipobj | tr ' ' '\n' | grep -v '^ip\.o$' |
		sed "s|^|$src/ip/|")
	libs=$(cd "$src" && printf 'include config.mk\nall:\n\t@echo $(LDLIBS)\n' |
		make -s -f -)
	for h in $harnesses; do
		# shellcheck disable=SC2086
		$cc -fsanitize=fuzzer -Wall -Wextra \
			-I"$src/include" -I"$src/include/uapi" -I"$src/ip" \
			-I"$top/particle" -I"$here" \
			-o "$out/fuzz-$h" "$here/fuzz_$h.c" $objs "$out/ip_main.o" \
			"$src/lib/libnetlink.a" "$src/lib/libutil.a" \
			"$src/lib/libnetlink.a" $libs -ldl
	done
}

# Replays the inputs given; the exit status is the first failure's.
replay() {
	h=$1
	shift
	[ $# -gt 0 ] || return 0
	LLVM_PROFILE_FILE=/dev/null "$out/fuzz-$h" -close_fd_mask=3 "$@" \
		> "$out/regress-$h.log" 2>&1 || {
		cat "$out/regress-$h.log" >&2
		echo "fuzz.sh: harness $h fails on an input above" >&2
		return 1
	}
	echo "fuzz-$h: $# inputs replayed, no failure"
}

inputs() {
	for d in "$here/regress/$1" "$here/corpus/$1"; do
		[ -d "$d" ] && find "$d" -type f ! -name README
	done
}

run() {
	n=$(echo $harnesses | wc -w)
	share=$((FUZZ_SECONDS / n))
	[ "$share" -ge 1 ] || share=1
	fail=0
	for h in $harnesses; do
		mkdir -p "$out/corpus-$h" "$out/crash-$h" "$here/regress/$h"
		rm -f "$out/crash-$h"/*
		# fuzz-parse runs as nobody (see its LLVMFuzzerInitialize)
		[ "$(id -u)" != 0 ] || chown 65534 "$out/corpus-$h" "$out/crash-$h"
		echo "fuzz-$h: $share s"
		rc=0
		LLVM_PROFILE_FILE=/dev/null "$out/fuzz-$h" \
			-max_total_time="$share" -close_fd_mask=3 \
			-print_final_stats=1 -timeout=10 \
			-dict="$here/$h.dict" \
			-artifact_prefix="$out/crash-$h/" \
			"$out/corpus-$h" "$here/corpus/$h" \
			> "$out/fuzz-$h.log" 2>&1 || rc=$?
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
			"$out/fuzz-$h.log")
		echo "fuzz-$h: ${execs:-?} executions, exit status $rc," \
			"corpus $(ls "$out/corpus-$h" | wc -l) inputs"
		for c in "$out/crash-$h"/*; do
			[ -e "$c" ] || continue
			cp "$c" "$here/regress/$h/"
			echo "fuzz-$h: FAILURE kept as particle/fuzz/regress/$h/${c##*/}"
			fail=1
		done
		if [ "$rc" -ne 0 ]; then
			tail -40 "$out/fuzz-$h.log" >&2
			fail=1
		fi
	done
	coverage
	return $fail
}

coverage() {
	rm -rf "$out/prof"
	mkdir -p "$out/prof"
	[ "$(id -u)" != 0 ] || chown 65534 "$out/prof"
	objects=
	first=
	for h in $harnesses; do
		[ -x "$out/fuzz-$h" ] || continue
		# created here: fuzz-parse writes it as nobody
		: > "$out/prof/$h.profraw"
		[ "$(id -u)" != 0 ] || chown 65534 "$out/prof/$h.profraw"
		mkdir -p "$out/corpus-$h"
		LLVM_PROFILE_FILE="$out/prof/$h.profraw" "$out/fuzz-$h" \
			-close_fd_mask=3 -runs=0 "$out/corpus-$h" \
			"$here/corpus/$h" "$here/regress/$h" \
			> "$out/cover-$h.log" 2>&1 || true
		if [ -z "$first" ]; then
			first=$out/fuzz-$h
		else
			objects="$objects -object $out/fuzz-$h"
		fi
	done
	llvm-profdata merge -sparse "$out"/prof/*.profraw \
		-o "$out/prof/all.profdata"
	# shellcheck disable=SC2086
	llvm-cov report "$first" $objects -instr-profile "$out/prof/all.profdata" \
		> "$out/coverage.txt"
	# Filename Regions Missed Cover Functions Missed Executed Lines Missed Cover
	awk '$1 ~ /particle\/pt_(parse|record|pool)\.c$/ {
		sub(/.*particle\//, "particle/", $1)
		printf "coverage: %-22s %4d lines, %3d missed: %s\n", $1, $8, $9, $10
	}' "$out/coverage.txt"
}

case $cmd in
build)		build ;;
run)		build; run ;;
regress)	build
		fail=0
		# shellcheck disable=SC2046
		replay parse $(inputs parse) || fail=1
		# damaged records: every one must be refused
		# shellcheck disable=SC2046
		PT_FUZZ_REFUSE=1 replay record $(find "$here/regress/record" \
			-type f) || fail=1
		# shellcheck disable=SC2046
		replay record $(find "$here/corpus/record" -type f) || fail=1
		exit $fail ;;
coverage)	coverage ;;
*)		echo "usage: fuzz.sh build|run|regress|coverage UPSTREAM" >&2
		exit 2 ;;
esac
