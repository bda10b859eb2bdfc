#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# iproute2's own test suite (testsuite/ of the upstream source, "make
# alltests") against two builds of the same source side by side: ours
# (patches/ applied) and an unpatched one.  Upstream's Makefile runs every
# test once per entry of testsuite/iproute2/, so the two run interleaved,
# test by test, in a fresh network namespace each ("unshare -n") with a
# /run/netns of its own.
#
# usage: check-upstream.sh PATCHED_TREE UNPATCHED_TREE   (as root)
#
# The suite of the unpatched tree is used.  Prints TAP, one line per test:
# ok when both builds got the same result (PASS, FAILED or SKIPPED; tests
# needing kernel modules this machine lacks fail on both), not ok when they
# differ.  Exit status 1 if any differs or nothing ran.  Upstream's full
# output is in build/check-upstream.log, its results/ in the suite's dir.
set -uo pipefail

patched=$(readlink -f "$1")
unpatched=$(readlink -f "$2")
top=$(cd "$(dirname "$0")/.." && pwd)
ts=$unpatched/testsuite
log=$top/build/check-upstream.log
for t in "$patched" "$unpatched"; do
	[ -x "$t/ip/ip" ] || { echo "check-upstream: no $t/ip/ip (build it first)" >&2; exit 1; }
done
[ -f "$ts/Makefile" ] || { echo "check-upstream: no $ts/Makefile" >&2; exit 1; }
command -v unshare >/dev/null || { echo "check-upstream: unshare missing (util-linux)" >&2; exit 1; }

tmp=$(mktemp -d /tmp/check-upstream.XXXXXX)
before=$(ls -d /tmp/tc_testkenv.* 2>/dev/null)
cleanup() {
	local f
	rm -rf "$tmp"
	# upstream's Makefile makes an empty one on every read, even with
	# KENVFN given: remove the new empty ones
	for f in /tmp/tc_testkenv.*; do
		[ -f "$f" ] && [ ! -s "$f" ] || continue
		grep -qxF "$f" <<<"$before" || rm -f "$f"
	done
}
trap cleanup EXIT

# Upstream runs every test as "sudo -E unshare -n" and "sudo dmesg".  As
# root without sudo installed, sudo is a plain exec.
if ! command -v sudo >/dev/null; then
	[ "$(id -u)" = 0 ] || { echo "check-upstream: needs root (or sudo)" >&2; exit 1; }
	mkdir -p "$tmp/bin"
	printf '#!/bin/sh\n[ "${1:-}" = -E ] && shift\nexec "$@"\n' >"$tmp/bin/sudo"
	chmod 755 "$tmp/bin/sudo"
	PATH=$tmp/bin:$PATH
fi

# Upstream's PREFIX, "sudo -E unshare -n", shares /run/netns with the
# machine: its netns tests list every namespace there (other tests', coming
# and going) and two runs would share "testnsid".  Each test gets a private
# /run/netns as well, the same for both builds.
mkdir -p "$tmp/bin"
cat >"$tmp/bin/isolated" <<'SH'
#!/bin/sh
exec unshare -n -m --propagation private sh -c \
	'mkdir -p /run/netns && mount -t tmpfs check-upstream /run/netns && exec "$@"' sh "$@"
SH
chmod 755 "$tmp/bin/isolated"

# The two builds under test, as upstream's suite wants them.
rm -rf "$ts/iproute2/iproute2-this" "$ts/iproute2/patched" "$ts/iproute2/unpatched"
ln -s "$patched" "$ts/iproute2/patched"
ln -s "$unpatched" "$ts/iproute2/unpatched"

echo "check-upstream: make -C $ts alltests (patched: $patched, unpatched: $unpatched)" >&2
make -C "$ts" alltests KENVFN="$tmp/kenv" PREFIX="sudo -E $tmp/bin/isolated" \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
{ cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"; } >"$log"

# "Running ip/link/new_link.t [patched/6.1.0-...]: PASS", colours removed
sed -e 's/\x1b\[[0-9;]*m//g' "$tmp/out" |
	sed -n 's/^Running \([^ ]*\) \[\([a-z]*\)\/[^]]*\]: *\([A-Z]*\)$/\1 \2 \3/p' >"$tmp/results"

mapfile -t tests < <(awk '{ print $1 }' "$tmp/results" | awk '!seen[$0]++')
if [ ${#tests[@]} -eq 0 ]; then
	echo "check-upstream: no test ran (make exited $rc); see $log" >&2
	tail -n 20 "$tmp/err" >&2
	exit 1
fi

result() { awk -v t="$1" -v v="$2" '$1 == t && $2 == v { print $3 }' "$tmp/results"; }
echo "1..${#tests[@]}"
n=0 differ=0
declare -A sum
for t in "${tests[@]}"; do
	n=$((n + 1))
	p=$(result "$t" patched) u=$(result "$t" unpatched)
	sum[patched ${p:-none}]=$((${sum[patched ${p:-none}]:-0} + 1))
	sum[unpatched ${u:-none}]=$((${sum[unpatched ${u:-none}]:-0} + 1))
	if [ -n "$p" ] && [ "$p" = "$u" ]; then
		echo "ok $n upstream $t: $p on both"
	else
		echo "not ok $n upstream $t: patched ${p:-no result}, unpatched ${u:-no result}"
		differ=$((differ + 1))
	fi
done
counts() {
	local v=$1 r out=
	for r in PASS FAILED SKIPPED none; do
		[ -z "${sum[$v $r]:-}" ] || out+=" ${sum[$v $r]} $r"
	done
	echo "${out# }"
}
echo "# patched: $(counts patched); unpatched: $(counts unpatched); $differ differ"
[ "$differ" = 0 ]
