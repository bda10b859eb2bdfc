#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# make check-asan: the test suite against ip built with ASan and UBSan
# (build/asan/), from the same upstream source and patches/.
#
# usage: check-asan.sh UPSTREAM [BATS-FILE...]
# Every report goes to build/asan/log/ (one file per process: the helpers
# that ip forks write their own), so that a test which ignores stderr, or
# a child whose status nobody reads, cannot hide one; any report fails the
# run.  Leak detection stays on: ip exits through exit(), so LeakSanitizer
# checks it; the forked helpers leave through _exit() and are not checked
# (their heap is the parent's, checked when the parent exits).
# valgrind.bats is left out: valgrind cannot run an ASan binary.  The fd
# counting test of batch.bats runs as it is (ASan keeps no descriptors).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/asan
upstream=$1
shift

"$top/scripts/build-variant.sh" "$out" "$upstream" \
	"clang -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
ip=$(ls -d "$out"/iproute2-*/)ip/ip

# LeakSanitizer cannot work under ptrace: the tests that strace ip (to
# count its setns calls) would fail for that alone.  A strace first in
# PATH turns leak detection off for what it traces, and only that; $IP
# stays the real binary (a test copies it into a chroot).
mkdir -p "$out/bin"
cat > "$out/bin/strace" <<'WRAPPER'
#!/bin/sh
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" exec /usr/bin/strace "$@"
WRAPPER
chmod +x "$out/bin/strace"
PATH=$out/bin:$PATH
export PATH

log=$out/log
rm -rf "$log"
mkdir -p "$log"
export ASAN_OPTIONS="detect_leaks=1:log_path=$log/asan:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$log/ubsan"
export PT_ASAN=1

if [ $# -eq 0 ]; then
	set -- $(ls "$top"/testsuite/*.bats | grep -v '/valgrind\.bats$')
fi
rc=0
IP=$ip bats --print-output-on-failure "$@" || rc=$?

reports=$(ls "$log")
if [ -n "$reports" ]; then
	for r in "$log"/*; do
		echo "==== $r"
		cat "$r"
	done
	echo "check-asan: $(echo "$reports" | wc -l) sanitizer reports" >&2
	exit 1
fi
[ "$rc" -eq 0 ] || { echo "check-asan: tests failed" >&2; exit "$rc"; }
echo "check-asan: all tests passed, no sanitizer report"
