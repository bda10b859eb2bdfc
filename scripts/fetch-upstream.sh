#!/bin/sh
# Download Debian's source package of the pinned iproute2 release into DIR,
# using a private apt configuration under build/apt so that nothing on the
# system (sources, lists, caches) changes.  The machine's own Debian mirrors
# are reused, with "deb" turned into "deb-src".
#
# usage: fetch-upstream.sh BUILDDIR DEBIAN_VERSION SHA256FILE
set -eu

builddir=$1
version=$2
sums=$3
aptdir=$(cd "$builddir" && pwd)/apt
srcdir=$(cd "$builddir" && pwd)/src

mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial" \
	 "$aptdir/sources.list.d" "$aptdir/preferences.d" "$aptdir/apt.conf.d" \
	 "$srcdir"

# Keep only bookworm stanzas/lines: third-party repositories usually carry
# no sources and would make "apt-get update" fail.
: > "$aptdir/sources.list.d/debian.sources"
for f in /etc/apt/sources.list.d/*.sources; do
	[ -f "$f" ] || continue
	awk 'BEGIN { RS = ""; ORS = "\n\n" }
	     /Suites:[^\n]*bookworm/ {
		gsub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f" \
		>> "$aptdir/sources.list.d/debian.sources"
done
: > "$aptdir/sources.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$f" ] || continue
	sed -n 's/^deb\(-src\)\?\([[:space:]].*[[:space:]]bookworm.*\)$/deb-src\2/p' "$f" \
		>> "$aptdir/sources.list"
done
sort -u -o "$aptdir/sources.list" "$aptdir/sources.list"
if [ ! -s "$aptdir/sources.list" ] &&
   ! grep -q deb-src "$aptdir/sources.list.d/debian.sources"; then
	echo "Error: no Debian bookworm source in /etc/apt; set IPROUTE2_SRC=dir-or-tarball" >&2
	exit 1
fi

cat > "$aptdir/apt.conf" <<CONF
Dir::State::Lists "$aptdir/lists";
Dir::Cache "$aptdir/cache";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Dir::Etc::SourceList "$aptdir/sources.list";
Dir::Etc::SourceParts "$aptdir/sources.list.d";
Dir::Etc::PreferencesParts "$aptdir/preferences.d";
Dir::Etc::Parts "$aptdir/apt.conf.d";
APT::Sandbox::User "root";
CONF

export APT_CONFIG="$aptdir/apt.conf"
apt-get -q update >"$aptdir/update.log" 2>&1 || {
	cat "$aptdir/update.log" >&2
	echo "Error: apt-get update with the private configuration failed" >&2
	exit 1
}
cd "$srcdir"
apt-get -q source --download-only "iproute2=$version" >"$aptdir/source.log" 2>&1 || {
	cat "$aptdir/source.log" >&2
	echo "Error: cannot download Debian source package iproute2=$version" >&2
	exit 1
}
sha256sum --quiet -c "$sums" || {
	echo "Error: checksum mismatch for iproute2 $version (see $sums)" >&2
	exit 1
}
