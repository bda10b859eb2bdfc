#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# A newcomer's "make" from a clean clone in a fresh Debian 12 root
# (root.bash) that has make and nothing else the build needs: it stops at
# once naming the missing Debian packages; ./configure --install-deps
# installs them and make then builds an ip with libmnl, libelf and libbpf;
# a library installed later re-runs configure.  The tests run in order and
# build on each other.
#
# Needs root and the network to the Debian mirror; the upstream source is
# the tarball make fetched for this tree (or IPROUTE2_SRC), copied in.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
load root

: "${BATS_TEST_TIMEOUT:=600}"
BUILD_PKGS="gcc libc6-dev pkg-config bison flex patch xz-utils libmnl-dev libelf-dev libbpf-dev libcap-dev"

setup_file() {
	local src=${IPROUTE2_SRC:-$PKG_TOP/build/src/iproute2_6.1.0.orig.tar.xz}
	[ "$(id -u)" = 0 ] || { echo "needs root" >&2; return 1; }
	[ -e "$src" ] || { echo "no upstream source $src: run make first" >&2; return 1; }
	mkdir -p "$DEBDIR"
	if ! root_setup || ! root_apt install --no-install-recommends make >>"$ROOT_LOG" 2>&1; then
		echo "preparing $ROOT failed; last lines of $ROOT_LOG:" >&2
		tail -n 30 "$ROOT_LOG" >&2
		root_umount
		return 1
	fi
	# what was committed, nothing of this tree's build/
	git clone -q "$PKG_TOP" "$ROOT/tmp/src"
	if [ -d "$src" ]; then
		cp -a "$src" "$ROOT/tmp/upstream"
	else
		cp "$src" "$ROOT/tmp/upstream.tar.xz"
	fi
}

teardown_file() {
	root_umount
}

upstream() { [ -d "$ROOT/tmp/upstream" ] && echo /tmp/upstream || echo /tmp/upstream.tar.xz; }
in_src() { in_root sh -c "cd /tmp/src && $1" 2>&1; }

@test "build: the fresh root lacks what the build needs" {
	local p
	for p in $BUILD_PKGS; do
		run in_root dpkg-query -W -f '${db:Status-Abbrev}' "$p"
		refute_output --regexp '^ii'
	done
}

@test "build: make stops at once, naming the missing Debian packages" {
	local p
	run in_src "make IPROUTE2_SRC=$(upstream)"
	echo "$output"
	assert_failure
	assert_output --partial "configure: the build needs these"
	for p in $BUILD_PKGS; do
		assert_output --regexp "Debian package $p"$'(\n|$)'
	done
	assert_output --partial "./configure --install-deps"
	# nothing was unpacked, configured or fetched
	[ ! -e "$ROOT/tmp/src/build/iproute2-6.1.0" ]
	[ ! -e "$ROOT/tmp/src/build/.configured" ]
	[ ! -e "$ROOT/tmp/src/build/src" ]
}

@test "build: ./configure --install-deps, then make builds ip with libmnl, libelf, libbpf" {
	run in_src "./configure --install-deps --iproute2-src=$(upstream)"
	echo "$output"
	assert_success
	assert_output --partial "Installing:"
	assert_output --partial "now run make"
	run in_src make
	echo "$output" | tail -n 20
	assert_success
	run cat "$ROOT/tmp/src/build/configure.log"
	assert_line "libmnl support: yes"
	assert_line "ELF support: yes"
	assert_line "libbpf support: yes"
	assert_line "libcap support: yes"
	run in_root ldd /tmp/src/build/iproute2-6.1.0/ip/ip
	assert_output --partial libmnl.so
	assert_output --partial libelf.so
	assert_output --partial libbpf.so
	run in_root /tmp/src/build/iproute2-6.1.0/ip/ip particle help
	assert_output --partial "Usage: ip particle"
	# a second make does nothing
	run in_src make
	assert_success
	refute_output --partial "./configure --tree"
}

@test "build: a library installed later re-runs configure and rebuilds with it" {
	run grep -x "SELinux support: no" "$ROOT/tmp/src/build/configure.log"
	assert_success
	run root_apt install --no-install-recommends libselinux1-dev
	assert_success
	run in_src make
	echo "$output" | tail -n 20
	assert_success
	assert_output --partial "./configure --tree"
	assert_output --partial "the configuration changed"
	run grep -x "SELinux support: yes" "$ROOT/tmp/src/build/configure.log"
	assert_success
	# ss is what links it
	run in_root ldd /tmp/src/build/iproute2-6.1.0/misc/ss
	assert_output --partial libselinux.so
}
