# SPDX-License-Identifier: GPL-2.0
# A fresh Debian 12 root for the package tests (bash, loaded by *.bats).
#
# The root is build/deb/root: debootstrap --variant=minbase bookworm from the
# machine's own Debian mirror, then (in the chroot) apt-get update and
# "apt-get install man-db bash-completion iproute2=6.1.0-3", so that our
# package is tested as an upgrade of the distribution's.  That prepared root is cached as a plain
# tar (build/deb/cache/) and unpacked afresh on every run; the cache is
# remade when older than PARTICLE_ROOT_MAX_AGE_DAYS (7) or when the mirror
# or the package set changes.
#
# Mounts: /proc, /dev and /dev/pts of the host (bind), nothing else; the
# chroot shares the host's network namespace, so only read-only commands
# ("ip -o link") may run there.  root_umount takes them all down; the tree
# is only ever removed with nothing mounted under it, with
# rm --one-file-system.
#
# Environment: PARTICLE_MIRROR overrides the mirror.

PKG_TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
DEBDIR=${PARTICLE_DEBDIR:-$PKG_TOP/build/deb}
ROOT=$DEBDIR/root
CACHE_DIR=$DEBDIR/cache
ROOT_LOG=$DEBDIR/root.log
SUITE=bookworm
# Installed into the cached root (the distro's iproute2 is the one we upgrade;
# man-db for "man -w", bash-completion for the completion's wrapping of _ip).
DISTRO_VERSION=$(sed -n 's/^DISTRO_VERSION=//p' "$DEBDIR/package.env" 2>/dev/null)
ROOT_PKGS="man-db bash-completion iproute2=${DISTRO_VERSION:-6.1.0-3}"

# The first bookworm (not -security, not -updates) mirror of /etc/apt.
root_mirror() {
	if [ -n "${PARTICLE_MIRROR:-}" ]; then
		echo "$PARTICLE_MIRROR"
		return
	fi
	local m=
	m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
		BEGIN { RS = ""; FS = "\n" }
		{
			types = ""; uris = ""; suites = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^Types:/) types = $i
				if ($i ~ /^URIs:/) uris = $i
				if ($i ~ /^Suites:/) suites = $i
			}
			if (types ~ /[ \t]deb([ \t]|$)/ && suites ~ /[ \t]bookworm([ \t]|$)/) {
				sub(/^URIs:[ \t]*/, "", uris); split(uris, u, /[ \t]+/)
				print u[1]; exit
			}
		}')
	if [ -z "$m" ]; then
		m=$(cat /etc/apt/sources.list 2>/dev/null | sed -n \
			's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]\+\)[[:space:]]\+bookworm[[:space:]].*/\2/p' |
			head -n 1)
	fi
	echo "${m:-http://deb.debian.org/debian}"
}

# Run a command in the root with a clean environment.
in_root() {
	chroot "$ROOT" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LC_ALL=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive \
		"$@"
}

# apt-get in the root, unattended, with bounded network waits.
root_apt() {
	in_root apt-get -q -y -o Acquire::Retries=3 -o Acquire::http::Timeout=60 \
		-o Dpkg::Use-Pty=0 "$@"
}

# Mount points under $ROOT, deepest first.
root_mounts() {
	findmnt -rn -o TARGET | awk -v r="$ROOT" \
		'$0 == r || index($0, r "/") == 1' | LC_ALL=C sort -r
}

root_umount() {
	local m i
	for i in 1 2 3; do
		[ -n "$(root_mounts)" ] || return 0
		for m in $(root_mounts); do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
		done
	done
	if [ -n "$(root_mounts)" ]; then
		echo "still mounted under $ROOT:" $(root_mounts) >&2
		return 1
	fi
}

root_mount() {
	mkdir -p "$ROOT/proc" "$ROOT/dev"
	mount -t proc proc "$ROOT/proc" || return 1
	mount --bind /dev "$ROOT/dev" || return 1
	if [ -d /dev/pts ]; then
		mkdir -p "$ROOT/dev/pts"
		mount --bind /dev/pts "$ROOT/dev/pts" || return 1
	fi
}

root_remove() {
	case $ROOT in */deb/root) ;; *) echo "refusing to remove $ROOT" >&2; return 1 ;; esac
	root_umount || return 1
	rm -rf --one-file-system "$ROOT"
}

# Things every run of the root needs: name resolution, no service starts.
root_configure() {
	cat /etc/resolv.conf > "$ROOT/etc/resolv.conf" 2>/dev/null || true
	printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d"
	chmod 755 "$ROOT/usr/sbin/policy-rc.d"
}

# The cache key: what the cached root was made from.
root_cache_key() {
	echo "suite=$SUITE variant=minbase mirror=$(root_mirror) pkgs=$ROOT_PKGS"
}

root_cache_valid() {
	local tar=$CACHE_DIR/$SUITE-minbase.tar max=${PARTICLE_ROOT_MAX_AGE_DAYS:-7}
	[ -f "$tar" ] && [ -f "$tar.key" ] || return 1
	[ "$(cat "$tar.key")" = "$(root_cache_key)" ] || return 1
	[ -z "$(find "$tar" -mtime +"$max" 2>/dev/null)" ]
}

# Make $ROOT from scratch (debootstrap), prepare it and cache it.
root_bootstrap() {
	local tar=$CACHE_DIR/$SUITE-minbase.tar mirror
	mirror=$(root_mirror)
	echo "debootstrap --variant=minbase $SUITE $ROOT $mirror" >> "$ROOT_LOG"
	debootstrap --variant=minbase "$SUITE" "$ROOT" "$mirror" >> "$ROOT_LOG" 2>&1 ||
		return 1
	root_configure
	root_mount || return 1
	{
		# man-db rebuilds its index on every package change: not needed
		# for "man -w", and slow.
		echo "man-db man-db/auto-update boolean false" |
			in_root debconf-set-selections &&
		root_apt update &&
		root_apt install --no-install-recommends $ROOT_PKGS
	} >> "$ROOT_LOG" 2>&1 || return 1
	root_umount || return 1
	rm -f "$ROOT"/var/cache/apt/*.bin	# apt remakes them
	mkdir -p "$CACHE_DIR"
	tar --numeric-owner --xattrs --xattrs-include='*' --one-file-system \
		-C "$ROOT" -cf "$tar.tmp" . || return 1
	root_cache_key > "$tar.key"
	mv "$tar.tmp" "$tar"
}

# A fresh root, mounted, with up-to-date package lists.
root_setup() {
	local tar=$CACHE_DIR/$SUITE-minbase.tar
	: > "$ROOT_LOG"
	root_remove || return 1
	if root_cache_valid; then
		mkdir -p "$ROOT"
		tar --numeric-owner --xattrs --xattrs-include='*' -C "$ROOT" \
			-xpf "$tar" || return 1
		root_configure
		root_mount || return 1
		root_apt update >> "$ROOT_LOG" 2>&1 || return 1
	else
		root_bootstrap || return 1
		root_configure
		root_mount || return 1
	fi
}
