# SPDX-License-Identifier: GPL-2.0
# particle/lib/node.sh: the simulated node, built the same way for the test
# suite (testsuite/lib/topo.bash), the benchmarks (particle/bench/run.sh),
# the EVPN lab (particle/lab/lab.sh) and the demo (particle/demo.sh).
# Source it from bash; it defines functions only.
#
# A simulated node is a network namespace with an underlay device (a veth
# to a switch namespace or straight to another node) and, per overlay
# (VNI), a VXLAN device on that underlay device (UDP port 4789), enslaved
# to a bridge, both up.  Jobs attach to the bridge.  Nothing is made in, or
# moved through, the namespace the caller runs in.
#
# Every command goes through node_ip and node_bridge, which run $NODE_IP
# and $NODE_BRIDGE (the stock tools by default); a caller may redefine
# them after sourcing this file, to filter their messages (the tests) or to
# show each command (the demo).  Every function stops at the first command
# that fails and returns its status.

NODE_IP=${NODE_IP:-/usr/sbin/ip}
NODE_BRIDGE=${NODE_BRIDGE:-/usr/sbin/bridge}

node_ip() { "$NODE_IP" "$@"; }
node_bridge() { "$NODE_BRIDGE" "$@"; }

# node_netns [-s SYSCTL=VALUE]... NS...: the namespaces (all added first),
# the sysctls set in each, then lo up in each.
node_netns() {
	local sysctls=() ns
	while [ "${1:-}" = -s ]; do
		sysctls+=("$2")
		shift 2
	done
	for ns in "$@"; do
		node_ip netns add "$ns" || return
	done
	if [ ${#sysctls[@]} -gt 0 ]; then
		for ns in "$@"; do
			node_ip netns exec "$ns" sysctl -qw "${sysctls[@]}" >/dev/null || return
		done
	fi
	for ns in "$@"; do
		node_ip -n "$ns" link set lo up || return
	done
}

# node_switch NS BR: an underlay switch, bridge BR up in the existing
# namespace NS.
node_switch() {
	node_ip -n "$1" link add "$2" type bridge &&
	node_ip -n "$1" link set "$2" up
}

# node_uplink SW BR PORT NS DEV ADDR/PLEN: node NS's underlay device DEV, a
# veth whose other end PORT is on switch SW's bridge BR; DEV gets ADDR.
node_uplink() {
	local sw=$1 br=$2 port=$3 ns=$4 dev=$5 addr=$6
	node_ip -n "$sw" link add "$port" type veth peer name "$dev" netns "$ns" &&
	node_ip -n "$sw" link set "$port" master "$br" up &&
	node_ip -n "$ns" addr add "$addr" dev "$dev" &&
	node_ip -n "$ns" link set "$dev" up
}

# node_wire NS1 DEV1 ADDR1/PLEN NS2 DEV2 ADDR2/PLEN: an underlay of two
# nodes, one veth pair made with its ends in place, addressed, up.
node_wire() {
	node_ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" &&
	node_ip -n "$1" addr add "$3" dev "$2" &&
	node_ip -n "$4" addr add "$6" dev "$5" &&
	node_ip -n "$1" link set "$2" up &&
	node_ip -n "$4" link set "$5" up
}

# node_vtep [-h HOOK] NS VXLAN VNI LOCAL DEV BR [VXLAN_OPTION...] [-- BR_OPTION...]
# VXLAN (id VNI, source LOCAL, on DEV, dstport 4789, the options added),
# enslaved to a new bridge BR (its "type bridge" options added), then
# VXLAN up and BR up.  An empty BR leaves VXLAN unbridged.  HOOK, a
# command, runs as "HOOK NS VXLAN BR" once both exist, before either is up.
node_vtep() {
	local hook='' ns vx vni src dev br vxopts=() bropts=()
	if [ "$1" = -h ]; then
		hook=$2
		shift 2
	fi
	ns=$1 vx=$2 vni=$3 src=$4 dev=$5 br=$6
	shift 6
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		vxopts+=("$1")
		shift
	done
	[ $# -eq 0 ] || shift
	bropts=("$@")
	node_ip -n "$ns" link add "$vx" type vxlan id "$vni" local "$src" \
		dev "$dev" dstport 4789 "${vxopts[@]}" || return
	if [ -n "$br" ]; then
		node_ip -n "$ns" link add "$br" type bridge "${bropts[@]}" &&
		node_ip -n "$ns" link set "$vx" master "$br" || return
	fi
	if [ -n "$hook" ]; then
		"$hook" "$ns" "$vx" "$br" || return
	fi
	node_ip -n "$ns" link set "$vx" up || return
	[ -z "$br" ] || node_ip -n "$ns" link set "$br" up
}

# node_flood NS VXLAN DST [OPTION...]: head-end replication of unknown
# destinations on VXLAN to the node whose underlay address is DST.
node_flood() {
	local ns=$1 vx=$2 dst=$3
	shift 3
	node_bridge -n "$ns" fdb append 00:00:00:00:00:00 dev "$vx" dst "$dst" "$@"
}
