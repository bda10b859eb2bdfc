#!/bin/sh
# Compare the file lists ("dpkg -c") of two binary packages: every path of
# REFERENCE.deb must be in CANDIDATE.deb with the same mode, owner and (for
# a symlink) target; sizes and dates may differ.  Prints a summary and the
# paths only CANDIDATE ships; exits 1 when something of REFERENCE is missing
# or differs.
#
# usage: compare-deb.sh REFERENCE.deb CANDIDATE.deb
set -eu

[ $# -eq 2 ] || { echo "usage: $0 REFERENCE.deb CANDIDATE.deb" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "MODE OWNER PATH[ -> TARGET]" per line, sorted by path.
list() {
	dpkg -c "$1" | awk '{
		line = $1 " " $2 " " $6
		for (i = 7; i <= NF; i++) line = line " " $i
		print $6 "\t" line
	}' | LC_ALL=C sort > "$2"
}
list "$1" "$tmp/ref"
list "$2" "$tmp/cand"
cut -f1 "$tmp/ref" > "$tmp/ref.paths"
cut -f1 "$tmp/cand" > "$tmp/cand.paths"

LC_ALL=C comm -23 "$tmp/ref.paths" "$tmp/cand.paths" > "$tmp/missing"
LC_ALL=C comm -13 "$tmp/ref.paths" "$tmp/cand.paths" > "$tmp/added"
LC_ALL=C join -t "$(printf '\t')" "$tmp/ref" "$tmp/cand" |
	awk -F '\t' '$2 != $3 { print $1 ": " $2 " -> " $3 }' > "$tmp/changed"

echo "dpkg -c $(basename "$1"): $(wc -l < "$tmp/ref.paths") entries;" \
	"$(basename "$2"): $(wc -l < "$tmp/cand.paths") entries;" \
	"missing $(wc -l < "$tmp/missing"), changed $(wc -l < "$tmp/changed")," \
	"added $(wc -l < "$tmp/added")"
sed 's/^/missing: /' "$tmp/missing"
sed 's/^/changed: /' "$tmp/changed"
sed 's/^/added: /' "$tmp/added"
[ ! -s "$tmp/missing" ] && [ ! -s "$tmp/changed" ]
