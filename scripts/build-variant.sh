#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build a second copy of the patched ip with another compiler and flags
# (the sanitizer and fuzzing builds), from the same upstream source and
# patches/ as the Makefile's own tree, in a directory of its own.
#
# usage: build-variant.sh DIR UPSTREAM "CC AND FLAGS"
#   DIR       e.g. build/asan: the tree is DIR/iproute2-<version>
#   UPSTREAM  the upstream tarball or directory the Makefile uses
#   CC        the compiler with every flag, for compiling and linking
# Only lib/ and ip/ are built.  particle/ is linked in, so a rebuild after
# an edit of particle/*.c is incremental.
set -eu

dir=$1 upstream=$2 cc=$3
top=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^IPROUTE2_VERSION := //p' "$top/Makefile")
src=$dir/iproute2-$version
stamp=$dir/.variant

# the same namespace directory as the Makefile's own build, however this
# script is started
NETNS_RUN_DIR=${NETNS_RUN_DIR:-/run/netns}
export NETNS_RUN_DIR

mkdir -p "$dir"
want=$(printf '%s\n%s\n%s\n' "$cc" "$upstream" "$NETNS_RUN_DIR"; cat "$top/patches/series";
	cd "$top/patches" && cat $(cat series) | cksum)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
	rm -rf "$src" "$stamp"
	mkdir -p "$src"
	if [ -d "$upstream" ]; then
		cp -a "$upstream/." "$src/"
	else
		tar -xf "$upstream" -C "$src" --strip-components=1
	fi
	ln -sfn "$top/particle" "$src/particle"
	ln -sfn "$top/man/man8/ip-particle.8" "$src/man/man8/ip-particle.8"
	for p in $(cat "$top/patches/series"); do
		patch -d "$src" -p1 --forward --quiet < "$top/patches/$p"
	done
	(cd "$src" && CC=$cc ./configure --prefix=/usr > ../configure.log)
	printf '%s\n' "$want" > "$stamp"
fi
make -s -C "$src" SUBDIRS="lib ip"
