#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# particle/tools/structure.sh [REV]: the structure figures of particle/ at
# git revision REV, or of the work tree (make structure [REV=...]):
# structure.pl (imports, circles, calls against HACKING's layers, call
# paths) from gcc -fcallgraph-info at -O0 (no inlining hides a call), and
# dataflow.py (the functions the job name and pools pass) from clang's
# JSON AST when clang is installed.  Both compile particle/*.c with the
# build's own compiler line against the configured upstream tree; the
# layer map is the work tree's HACKING, so that revisions are measured
# against one map.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
SRC=${SRC:-$(ls -d "$TOP"/build/iproute2-*/ 2>/dev/null | head -1)}
[ -n "$SRC" ] && [ -f "$SRC/config.mk" ] ||
	{ echo "structure.sh: no configured upstream tree; run make first" >&2; exit 1; }
REV=${1:-}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

if [ -n "$REV" ]; then
	git -C "$TOP" archive "$REV" particle | tar -x -C "$TMP"
	DIR=$TMP/particle
else
	DIR=$TOP/particle
fi
# the build's own compiler line for a particle file (make -n), at -O0
# and on our copy; run from ip/ as the build does
LINE=$(make -s -n -B -C "$SRC" SUBDIRS=ip 2>/dev/null | sed -n \
	's/^.*;\(gcc .*\) -c -o pt_add\.o \.\.\/particle\/pt_add\.c$/\1/p' | head -1)
[ -n "$LINE" ] || { echo "structure.sh: no compiler line from $SRC" >&2; exit 1; }
LINE=${LINE/ -O2 / -O0 }
LINE=${LINE/-I..\/particle/-I$DIR}
mkdir "$TMP/ci"
for c in "$DIR"/*.c; do
	o=$TMP/ci/$(basename "${c%.c}").o
	(cd "$SRC/ip" && eval "$LINE -w -fcallgraph-info -c -o $o $c")
	if command -v clang >/dev/null; then
		(cd "$SRC/ip" && eval "clang ${LINE#gcc } -w -fsyntax-only \
			-Xclang -ast-dump=json $c" > "${o%.o}.json")
	fi
done
echo "# particle/ at ${REV:-the work tree} ($(git -C "$TOP" rev-parse --short "${REV:-HEAD}")), layers of $TOP/particle/HACKING"
perl "$TOP/particle/tools/structure.pl" "$TOP/particle/HACKING" "$TMP"/ci/*.ci
if command -v clang >/dev/null; then
	python3 "$TOP/particle/tools/dataflow.py" "$TMP"/ci/*.json
else
	echo "no clang: the job name's and pools' paths are not measured"
fi
