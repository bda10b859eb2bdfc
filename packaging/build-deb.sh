#!/bin/sh
# Build a Debian package of the whole patched iproute2: Debian's own source
# package of the pinned release, unpacked with dpkg-source into build/deb/,
# plus our changes as quilt patches appended to its debian/patches/series:
#
#   particle-0000-add-particle-sources.patch  (generated here) adds
#       particle/*.c *.h particle.mk, man/man8/ip-particle.8 and, when it
#       exists, particle/bash-completion/ip-particle (installed as
#       /usr/share/bash-completion/completions/ip-particle, linked from
#       /etc/bash_completion.d/ip-particle: see step 7)
#   particle-NNNN-<name>.patch                 patches/series, in order
#
# and a changelog entry DEBIAN_VERSION+particle1, which sorts after
# DEBIAN_VERSION, so that "apt-get install ./iproute2_...deb" upgrades the
# distribution's iproute2 in place and "apt-get install iproute2=6.1.0-3"
# goes back.  The distribution's binary package is downloaded next to ours
# and the file lists are compared: every file Debian ships must still be
# shipped, the only additions are ours.
#
# usage: build-deb.sh BUILDDIR DEBIAN_VERSION
# env:   PARTICLE_DEB_REVISION (default 1), DEB_BUILD_OPTIONS (default
#        "parallel=<nproc, at most 2> nocheck"), FORCE=1 rebuilds even when
#        nothing changed.
# out:   BUILDDIR/deb/iproute2_<version>_<arch>.deb (and -doc, -dbgsym),
#        BUILDDIR/deb/iproute2_<DEBIAN_VERSION>_<arch>.deb (the distro's),
#        BUILDDIR/deb/package.env (names and versions, for packaging/tests),
#        BUILDDIR/deb/build.log, BUILDDIR/deb/dpkg-c.diff
set -eu

[ $# -eq 2 ] || { echo "usage: $0 BUILDDIR DEBIAN_VERSION" >&2; exit 2; }

top=$(cd "$(dirname "$0")/.." && pwd)
builddir=$(mkdir -p "$1" && cd "$1" && pwd)
distro_version=$2
upstream_version=${distro_version%-*}
version="$distro_version+particle${PARTICLE_DEB_REVISION:-1}"
debdir=$builddir/deb
srcdir=$builddir/src
tree=$debdir/iproute2-$upstream_version
arch=$(dpkg --print-architecture)
dsc=$srcdir/iproute2_$distro_version.dsc
deb=$debdir/iproute2_${version}_$arch.deb
distro_deb=$debdir/iproute2_${distro_version}_$arch.deb

say() { printf 'build-deb: %s\n' "$*"; }
die() { printf 'build-deb: Error: %s\n' "$*" >&2; exit 1; }

dpkg --compare-versions "$version" gt "$distro_version" ||
	die "$version does not sort after $distro_version"

mkdir -p "$debdir"

# 1. Debian's source package (.dsc, .orig.tar.xz, .debian.tar.xz).
if [ ! -f "$dsc" ] ||
   [ ! -f "$srcdir/iproute2_$upstream_version.orig.tar.xz" ] ||
   [ ! -f "$srcdir/iproute2_$distro_version.debian.tar.xz" ]; then
	say "fetching the source package iproute2=$distro_version"
	"$top/scripts/fetch-upstream.sh" "$builddir" "$distro_version" \
		"$top/upstream/iproute2.sha256"
fi
(cd "$srcdir" && sha256sum --quiet -c "$top/upstream/iproute2.sha256") ||
	die "checksum mismatch in $srcdir (see upstream/iproute2.sha256)"

# 2. Our files, in the order they go into the generated patch.
cd "$top"
particle_files=$(ls particle/*.c particle/*.h 2>/dev/null | LC_ALL=C sort)
particle_files="$particle_files particle/particle.mk man/man8/ip-particle.8"
completion=particle/bash-completion/ip-particle
[ -f "$completion" ] && particle_files="$particle_files $completion"
for f in $particle_files; do
	[ -f "$f" ] || die "missing $f"
done
patches=$(cat patches/series)
for p in $patches; do
	[ -f "patches/$p" ] || die "missing patches/$p (listed in patches/series)"
done

# Skip the build when nothing that goes into it changed since the last one.
stamp=$debdir/.inputs.sha256
inputs=$( {
	echo "version=$version arch=$arch"
	echo "options=${DEB_BUILD_OPTIONS:-}"
	sha256sum "$dsc" "$srcdir"/iproute2_"$upstream_version".orig.tar.xz \
		"$srcdir/iproute2_$distro_version.debian.tar.xz" | sed 's|  .*/|  |'
	sha256sum packaging/build-deb.sh patches/series $particle_files
	for p in $patches; do sha256sum "patches/$p"; done
} | sha256sum | cut -d' ' -f1)
if [ "${FORCE:-0}" != 1 ] && [ -f "$deb" ] && [ -f "$distro_deb" ] &&
   [ -f "$debdir/package.env" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$inputs" ]; then
	say "$(basename "$deb") is up to date (FORCE=1 rebuilds)"
	exit 0
fi
rm -f "$stamp" "$debdir/package.env"

# 3. Build-Depends of the source package (scripts/deps.sh deb lists them
#    too; this catches a source package that needs more).
dpkg-source --no-check -x "$dsc" "$debdir/check-deps.$$" >/dev/null 2>&1 ||
	die "dpkg-source -x $dsc failed"
if ! (cd "$debdir/check-deps.$$" && dpkg-checkbuilddeps) 2>/dev/null; then
	say "installing the Build-Depends of iproute2 $distro_version"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -q -o DPkg::Lock::Timeout=600 update
	apt-get -q -y -o DPkg::Lock::Timeout=600 --no-install-recommends \
		build-dep "$debdir/check-deps.$$"
fi
rm -rf "$debdir/check-deps.$$"

# 4. A fresh tree: Debian's patches are applied by dpkg-source -x.
rm -rf "$tree" "$debdir"/iproute2_"$version"_*.* \
	"$debdir"/iproute2-doc_"$version"_*.* "$debdir"/iproute2-dbgsym_"$version"_*.*
say "unpacking $(basename "$dsc") into $tree"
# The .dsc's signature cannot be checked without debian-keyring; its
# files are checked against upstream/iproute2.sha256 above.
dpkg-source --no-check -x "$dsc" "$tree" >/dev/null

export QUILT_PATCHES=debian/patches QUILT_PC=.pc
export QUILT_REFRESH_ARGS="-p ab --no-timestamps --no-index"
export QUILT_NO_DIFF_TIMESTAMPS=1
cd "$tree"
quilt push -a -q >/dev/null 2>&1 || true	# already applied: fine
[ -z "$(quilt unapplied 2>/dev/null)" ] || die "Debian's patches did not apply"

# 5. The generated patch: our files, added to the tree.
gen=particle-0000-add-particle-sources.patch
quilt new "$gen" >/dev/null
for f in $particle_files; do
	quilt add "$f" >/dev/null
	mkdir -p "$(dirname "$f")"
	cp "$top/$f" "$f"
done
quilt refresh >/dev/null
{
	echo "Description: add the ip particle sources, man page and completion"
	echo " Generated by packaging/build-deb.sh from the ip particle repository:"
	echo " particle/ holds the object's sources (particle.mk adds them to ip),"
	echo " man/man8/ip-particle.8 is installed by upstream's man/man8/Makefile."
	echo "Forwarded: not-needed"
	echo "---"
} | quilt header -r >/dev/null

# 6. patches/series, in order, with dpkg-source's own patch options
#    (no fuzz) so that what builds here also builds from the .dsc.
n=0
for p in $patches; do
	n=$((n + 1))
	name=$(printf 'particle-%04d-%s' "$n" "${p#[0-9][0-9][0-9][0-9]-}")
	quilt import -P "$name" "$top/patches/$p" >/dev/null
	quilt push -q --fuzz=0 >/dev/null || die "patches/$p does not apply to iproute2 $distro_version"
done
[ -z "$(quilt unapplied 2>/dev/null)" ] || die "not all patches are applied"

# 7. Packaging: the completion, and the changelog entry.
#    The completion is for "ip" (it wraps bash-completion's own completions/ip
#    and takes "ip particle ..."), so bash-completion's on-demand loading by
#    command name never finds a completions/ip-particle: it must be sourced
#    at start-up from /etc/bash_completion.d.  The file lives in
#    /usr/share/bash-completion/completions/ like upstream's tc and devlink
#    (dh_install takes it from the source tree); /etc/bash_completion.d has a
#    symlink to it, not a copy: a conffile would stay behind, "obsolete",
#    after "apt-get install iproute2=6.1.0-3", and once deleted would not
#    come back on the next upgrade.
if [ -f "$completion" ]; then
	echo "$completion usr/share/bash-completion/completions/" >> debian/iproute2.install
	echo "usr/share/bash-completion/completions/ip-particle etc/bash_completion.d/ip-particle" \
		>> debian/iproute2.links
fi

name=${DEBFULLNAME:-ip particle developers}
email=${DEBEMAIL:-$(git -C "$top" config user.email 2>/dev/null || true)}
email=${email:-root@localhost}
date=$(git -C "$top" log -1 --format=%aD 2>/dev/null || true)
date=${date:-$(date -R)}
{
	printf 'iproute2 (%s) bookworm; urgency=medium\n\n' "$version"
	printf '  * Add the "ip particle" object (per-job network namespaces with\n'
	printf '    pooled function addresses on an overlay bridge): patches\n'
	printf '    particle-*.patch in debian/patches, man page ip-particle(8).\n\n'
	printf ' -- %s <%s>  %s\n\n' "$name" "$email" "$date"
	cat debian/changelog
} > debian/changelog.new
mv debian/changelog.new debian/changelog
[ "$(dpkg-parsechangelog -S Version)" = "$version" ] || die "changelog version"

# 8. Build the binary packages (iproute2, iproute2-doc); output in $debdir.
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -le 2 ] || jobs=2
export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=$jobs nocheck}"
say "dpkg-buildpackage -b -uc -us (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS), log in $debdir/build.log"
start=$(date +%s)
if ! dpkg-buildpackage -b -uc -us > "$debdir/build.log" 2>&1; then
	tail -n 40 "$debdir/build.log" >&2
	die "dpkg-buildpackage failed (full log: $debdir/build.log)"
fi
say "built in $(( $(date +%s) - start ))s"
[ -f "$deb" ] || die "$deb was not built"

# 9. The distribution's package, for the comparison and the install test.
cd "$debdir"
if [ ! -f "$distro_deb" ]; then
	say "downloading the distribution's iproute2=$distro_version"
	if ! apt-get -q -o APT::Sandbox::User=root download "iproute2=$distro_version" >/dev/null 2>&1; then
		apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null
		apt-get -q -o APT::Sandbox::User=root download "iproute2=$distro_version"
	fi
fi
[ -f "$distro_deb" ] || die "cannot download iproute2=$distro_version"

# 10. Every file of the distribution's package is still shipped, with the
#     same mode, owner and link target; ours only adds files.
"$top/packaging/compare-deb.sh" "$distro_deb" "$deb" > "$debdir/dpkg-c.diff" || {
	cat "$debdir/dpkg-c.diff" >&2
	die "$(basename "$deb") does not ship everything $(basename "$distro_deb") ships"
}
sed 's/^/build-deb: /' "$debdir/dpkg-c.diff"

cat > "$debdir/package.env" <<EOF
VERSION=$version
DISTRO_VERSION=$distro_version
ARCH=$arch
DEB=$deb
DISTRO_DEB=$distro_deb
EOF
echo "$inputs" > "$stamp"
say "$deb"
