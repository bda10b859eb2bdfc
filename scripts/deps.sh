#!/bin/sh
# Install what a group of targets needs with apt-get, only if missing.
# usage: deps.sh build|test|bench|deb|lab|fuzz ...
set -eu

pkgs=
for group in "$@"; do
	case $group in
	build)	pkgs="$pkgs make gcc libc6-dev pkg-config bison flex xz-utils patch
			libmnl-dev libelf-dev libbpf-dev libcap-dev ca-certificates" ;;
	test)	pkgs="$pkgs bats bats-assert bats-support iproute2 socat strace
			runc busybox-static bpftool
			valgrind util-linux procps jq kmod man-db groff-base
			bash-completion iperf3 bpftool" ;;
	# bench: perl for Time::HiRes (perl-base lacks it; pbrun.pl needs it)
	bench)	pkgs="$pkgs iproute2 containernetworking-plugins gnuplot-nox
			iperf3 socat jq util-linux procps perl" ;;
	deb)	pkgs="$pkgs dpkg-dev devscripts debhelper quilt fakeroot
			debootstrap build-essential bison flex pkg-config po-debconf
			libxtables-dev libatm1-dev libbsd-dev libbpf-dev libcap-dev
			libdb-dev libelf-dev libmnl-dev libselinux1-dev linux-libc-dev
			zlib1g-dev xz-utils debian-archive-keyring git" ;;
	# fuzz: make fuzz, fuzz-regress, check-asan (libFuzzer, ASan/UBSan
	# runtimes, llvm-profdata and llvm-cov for the coverage figures)
	fuzz)	pkgs="$pkgs clang libclang-rt-dev llvm binutils make" ;;
	lab)	pkgs="$pkgs frr iproute2 socat jq util-linux procps python3 gcc
			libc6-dev" ;;
	*)	echo "deps.sh: unknown group $group" >&2; exit 2 ;;
	esac
done

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "Installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# None of these is wanted as a running service (frr would start zebra in
# the host namespace): tell invoke-rc.d not to start daemons meanwhile.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	trap 'exit 130' INT TERM
fi
apt-get -q -o DPkg::Lock::Timeout=600 update
# shellcheck disable=SC2086
apt-get -q -y -o DPkg::Lock::Timeout=600 install --no-install-recommends $missing
