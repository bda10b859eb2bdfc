#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The package from "make deb" in a fresh Debian 12 root (root.bash): it
# upgrades the distribution's iproute2 in place, works, ships everything
# the distribution's package ships plus ip-particle, goes back to 6.1.0-3,
# and purges cleanly.  The tests run in order and build on each other.
#
# Needs root (debootstrap, chroot, mounts) and the network to the Debian
# mirror.  The chroot shares the host's network namespace: only read-only
# ip commands run there.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert
load root

setup_file() {
	[ "$(id -u)" = 0 ] || { echo "needs root" >&2; return 1; }
	[ -f "$DEBDIR/package.env" ] || {
		echo "no $DEBDIR/package.env: run make deb first" >&2
		return 1
	}
	if ! root_setup; then
		echo "preparing $ROOT failed; last lines of $ROOT_LOG:" >&2
		tail -n 30 "$ROOT_LOG" >&2
		root_umount
		return 1
	fi
	# shellcheck source=/dev/null
	. "$DEBDIR/package.env"
	mkdir -p "$ROOT/tmp/pkgs"
	cp "$DEB" "$DISTRO_DEB" "$ROOT/tmp/pkgs/"
	chmod 755 "$ROOT/tmp/pkgs"
	chmod 644 "$ROOT"/tmp/pkgs/*.deb
	# The distribution's binaries, unpacked beside the installed ones.
	dpkg-deb -x "$DISTRO_DEB" "$ROOT/opt/iproute2-$DISTRO_VERSION"
}

teardown_file() {
	root_umount
}

setup() {
	# shellcheck source=/dev/null
	. "$DEBDIR/package.env"
	PKG=/tmp/pkgs/$(basename "$DEB")
}

installed_version() {
	in_root dpkg-query -W -f '${db:Status-Abbrev}${Version}' iproute2 2>/dev/null
}

@test "package: the fresh root has the distribution's iproute2" {
	run installed_version
	assert_output "ii $DISTRO_VERSION"
}

@test "package: our version sorts after the distribution's" {
	dpkg --compare-versions "$VERSION" gt "$DISTRO_VERSION"
}

@test "package: dpkg -c ships every file of the distribution's package, plus ip-particle" {
	run "$PKG_TOP/packaging/compare-deb.sh" "$DISTRO_DEB" "$DEB"
	assert_success
	assert_output --partial "missing 0, changed 0"
	assert_line "added: ./usr/share/man/man8/ip-particle.8.gz"
	# Nothing but our own files (and /etc/bash_completion.d/ for the
	# completion's link) is added.
	run grep -v -e particle -e '^added: ./etc/bash_completion.d/$' \
		<<< "$(grep '^added: ' <<< "$output")"
	assert_output ""
}

@test "package: apt-get install ./deb upgrades iproute2 in place" {
	run root_apt install "$PKG"
	assert_success
	assert_output --partial "1 upgraded, 0 newly installed, 0 to remove"
	run installed_version
	assert_output "ii $VERSION"
	run in_root dpkg --audit
	assert_success
	assert_output ""
	# Every file the package lists is on disk with the shipped contents.
	run in_root dpkg --verify iproute2
	assert_success
	assert_output ""
}

@test "package: ip -V" {
	run in_root ip -V
	assert_success
	assert_output --regexp '^ip utility, iproute2-6\.1\.0'
}

@test "package: ip particle help" {
	run in_root ip particle help
	assert_output --partial "Usage: ip particle"
}

@test "package: ip help lists particle, the distribution's does not" {
	run in_root ip help
	assert_output --partial "particle"
	run in_root "/opt/iproute2-$DISTRO_VERSION/bin/ip" help
	refute_output --partial "particle"
}

@test "package: man -w ip-particle finds the man page; ip(8) lists it" {
	run in_root man -w ip-particle
	assert_success
	assert_output "/usr/share/man/man8/ip-particle.8.gz"
	run in_root man -w 8 ip
	assert_success
	run in_root sh -c 'zcat /usr/share/man/man8/ip.8.gz | grep -c "ip-particle"'
	assert_success
	refute_output "0"
}

@test "package: the bash completion, when the package has one" {
	local c=/usr/share/bash-completion/completions/ip-particle
	in_root dpkg -L iproute2 | grep -qx "$c" ||
		skip "no particle/bash-completion/ip-particle in this build"
	in_root test -s "$c"
	# bash-completion sources /etc/bash_completion.d at start-up: the
	# only way to take over "ip", whose completions/ip it does not own.
	run in_root readlink -f /etc/bash_completion.d/ip-particle
	assert_output "$c"
	run in_root bash -c '
		. /usr/share/bash-completion/bash_completion
		complete -p ip
		COMP_LINE="ip particle a"; COMP_POINT=${#COMP_LINE}
		COMP_WORDS=(ip particle a); COMP_CWORD=2; COMPREPLY=()
		fn=$(complete -p ip | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
		"$fn" ip a particle
		printf "reply: %s\n" "${COMPREPLY[@]}"'
	assert_success
	assert_line --partial "_ip_particle"
	assert_line "reply: add"
}

@test "package: ip -o link prints what the distribution's ip prints" {
	local distro_ip=/opt/iproute2-$DISTRO_VERSION/bin/ip ours theirs i
	in_root "$distro_ip" -V
	# Links may come and go on the host meanwhile: a few tries.
	for i in 1 2 3 4 5; do
		ours=$(in_root ip -o link)
		theirs=$(in_root "$distro_ip" -o link)
		[ "$ours" != "$theirs" ] || break
		sleep 0.5
	done
	[ -n "$ours" ]
	assert_equal "$ours" "$theirs"
}

@test "package: apt-get install iproute2=<distribution's version> goes back" {
	run root_apt install --allow-downgrades "iproute2=$DISTRO_VERSION"
	assert_success
	assert_output --partial "1 downgraded"
	run installed_version
	assert_output "ii $DISTRO_VERSION"
	for f in /usr/share/man/man8/ip-particle.8.gz \
		 /usr/share/bash-completion/completions/ip-particle \
		 /etc/bash_completion.d/ip-particle; do
		in_root test ! -e "$f" -a ! -L "$f" || fail "$f is left after the downgrade"
	done
	run in_root ip particle help
	assert_failure
	assert_output --partial 'Object "particle" is unknown'
	run in_root dpkg --verify iproute2
	assert_success
	assert_output ""
}

@test "package: purge removes it cleanly" {
	run root_apt install "$PKG"
	assert_success
	run installed_version
	assert_output "ii $VERSION"
	run root_apt purge iproute2
	assert_success
	assert_output --partial "0 upgraded, 0 newly installed, 1 to remove"
	run in_root dpkg-query -W -f '${db:Status-Abbrev}' iproute2
	refute_output --regexp '^(ii|rc|iU|iF|iH)'
	for f in /usr/bin/ip /bin/ip /usr/share/man/man8/ip-particle.8.gz \
		 /usr/share/man/man8/ip.8.gz /etc/iproute2 \
		 /usr/share/bash-completion/completions/ip-particle \
		 /etc/bash_completion.d/ip-particle \
		 /var/lib/dpkg/info/iproute2.list; do
		in_root test ! -e "$f" -a ! -L "$f" || fail "$f is left after purge"
	done
	run in_root dpkg --audit
	assert_success
	assert_output ""
}

@test "package: the distribution's iproute2 installs back after the purge" {
	run root_apt install --no-install-recommends "iproute2=$DISTRO_VERSION"
	assert_success
	run installed_version
	assert_output "ii $DISTRO_VERSION"
	run in_root ip -V
	assert_success
}
