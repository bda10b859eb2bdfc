#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# particle/lab/lab.sh: a multi-node VXLAN lab in network namespaces, with an
# FRR BGP EVPN control plane (one zebra + bgpd per node) or with static
# head-end replication.  See particle/lab/README.
#
#   lab.sh up     [--prefix P] [--nodes K] [--tenants T] [--mode evpn|static]
#                 [--bgp rr|mesh] [--uu-flood on|off] [--timeout S]
#   lab.sh down   [--prefix P]
#   lab.sh status [--prefix P]
#   lab.sh ns     [--prefix P] NODE        print node NODE's namespace (1..K, u)
#   lab.sh vtysh  [--prefix P] NODE ARGS   vtysh against node NODE's daemons
#   lab.sh wait-converged [--prefix P] [--timeout S]
#
# Everything the lab makes is named after the prefix P: namespaces P-u (the
# underlay switch) and P-n1..P-nK (the nodes), state in $PARTICLE_LAB_DIR/P
# (default /tmp/particle-lab/P).  Nothing is made in the host namespace.
# down also removes particle jobs on the nodes and every namespace P-*.
set -euo pipefail

LAB_IP=${LAB_IP:-/usr/sbin/ip}		# stock ip for the lab's own plumbing
# shellcheck source=particle/lab/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"	# lab_kill
LAB_BRIDGE=${LAB_BRIDGE:-/usr/sbin/bridge}
# the nodes, built as the tests, the bench and the demo build theirs
# shellcheck source=particle/lib/node.sh
. "$(dirname "$(readlink -f "$0")")/../lib/node.sh"
NODE_IP=$LAB_IP NODE_BRIDGE=$LAB_BRIDGE
FRR_DIR=${FRR_DIR:-/usr/lib/frr}
VTYSH=${VTYSH:-/usr/bin/vtysh}
LAB_ROOT=${PARTICLE_LAB_DIR:-/tmp/particle-lab}
UNDERLAY_NET=192.0.2		# node i is 192.0.2.i/24 (TEST-NET-1)
ASN=65000

prefix=${LAB_PREFIX:-lab}
nodes=3
tenants=1
mode=evpn
bgp=rr
uuflood=on
timeout=60

die() { echo "lab.sh: $*" >&2; exit 1; }
log() { [ -n "${LAB_QUIET:-}" ] || echo "lab.sh: $*" >&2; }

usage() {
	sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}

node_ns() { echo "$prefix-n$1"; }
under_ns() { echo "$prefix-u"; }
node_dir() { echo "$LAB_ROOT/$prefix/n$1"; }
vni_of() { echo $((100 * $1)); }		# tenant t -> VNI 100*t

# Bounded wait: wait_for SECONDS DESCRIPTION COMMAND...
wait_for() {
	local limit=$1 what=$2 deadline
	shift 2
	deadline=$((SECONDS + limit))
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || { echo "lab.sh: timed out (${limit}s) waiting for $what" >&2; return 1; }
		sleep 0.1
	done
}

load_env() {
	local f=$LAB_ROOT/$prefix/lab.env
	[ -f "$f" ] || return 1
	# shellcheck disable=SC1090
	. "$f"
}

ns_exists() { [ -e "/run/netns/$1" ]; }

lab_vtysh() {
	local i=$1
	shift
	"$VTYSH" --vty_socket "$(node_dir "$i")" "$@"
}

# ------------------------------------------------------------------ up

make_underlay() {
	local u i ns
	u=$(under_ns)
	node_netns "$u"
	node_switch "$u" ubr
	for i in $(seq 1 "$nodes"); do
		ns=$(node_ns "$i")
		node_netns "$ns"
		# both ends created in place: nothing in the host namespace
		node_uplink "$u" ubr "n$i" "$ns" ul0 "$UNDERLAY_NET.$i/24"
		# a node forwards nothing between underlay and overlays
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
	done
}

# vtep_setup NS VXLAN BR: a tenant's bridge and VXLAN device before they
# go up (node_vtep's hook)
vtep_setup() {
	local ns=$1 vx=$2 br=$3 j
	# no address on the tenant bridge: the node is not reachable from its
	# tenants; IPv6 off for the same reason
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$br.disable_ipv6=1" || return
	"$LAB_IP" -n "$ns" link set "$br" addrgenmode none 2>/dev/null || true
	if [ "$mode" = evpn ]; then
		"$LAB_BRIDGE" -n "$ns" link set dev "$vx" learning off flood "$uuflood" || return
	else
		for j in $(seq 1 "$nodes"); do
			[ "$(node_ns "$j")" = "$ns" ] && continue
			node_flood "$ns" "$vx" "$UNDERLAY_NET.$j" self permanent || return
		done
	fi
}

make_vteps() {
	local i t vni learn
	[ "$mode" = static ] && learn=learning || learn=nolearning
	for i in $(seq 1 "$nodes"); do
		for t in $(seq 1 "$tenants"); do
			vni=$(vni_of "$t")
			node_vtep -h vtep_setup "$(node_ns "$i")" "vxlan$vni" "$vni" \
				"$UNDERLAY_NET.$i" ul0 "br$vni" "$learn" ttl 64
		done
	done
}

write_frr_conf() {
	local i=$1 d j
	d=$(node_dir "$i")
	cat >"$d/zebra.conf" <<-EOF
		hostname $prefix-n$i
		log file $d/zebra.log informational
	EOF
	{
		cat <<-EOF
			hostname $prefix-n$i
			log file $d/bgpd.log informational
			router bgp $ASN
			 bgp router-id $UNDERLAY_NET.$i
			 no bgp default ipv4-unicast
			 neighbor fabric peer-group
			 neighbor fabric remote-as $ASN
			 neighbor fabric timers 3 9
			 neighbor fabric timers connect 1
			 neighbor fabric advertisement-interval 0
		EOF
		if [ "$bgp" = rr ] && [ "$i" = 1 ]; then
			echo " bgp listen range $UNDERLAY_NET.0/24 peer-group fabric"
			echo " bgp listen limit 256"
		elif [ "$bgp" = rr ]; then
			echo " neighbor $UNDERLAY_NET.1 peer-group fabric"
		else
			for j in $(seq 1 "$nodes"); do
				[ "$j" = "$i" ] || echo " neighbor $UNDERLAY_NET.$j peer-group fabric"
			done
		fi
		echo " address-family l2vpn evpn"
		echo "  neighbor fabric activate"
		if [ "$bgp" = rr ] && [ "$i" = 1 ]; then
			echo "  neighbor fabric route-reflector-client"
		fi
		echo "  advertise-all-vni"
		echo " exit-address-family"
	} >"$d/bgpd.conf"
}

start_daemon() {	# start_daemon NODE zebra|bgpd
	local i=$1 daemon=$2 d
	d=$(node_dir "$i")
	ip netns exec "$(node_ns "$i")" "$FRR_DIR/$daemon" -d \
		-f "$d/$daemon.conf" -i "$d/$daemon.pid" -z "$d/zserv.api" \
		--vty_socket "$d" -P 0 \
		${LAB_FRR_ARGS:-} </dev/null >>"$d/$daemon.out" 2>&1 || {
		echo "lab.sh: $daemon on node $i failed to start:" >&2
		sed 's/^/  /' "$d/$daemon.out" >&2
		echo "  (the daemons run as user frr: every directory above $d must be searchable by it)" >&2
		return 1
	}
}

start_frr() {
	local i d
	for i in $(seq 1 "$nodes"); do
		d=$(node_dir "$i")
		mkdir -p "$d"
		write_frr_conf "$i"
		chown -R frr:frr "$d"
		start_daemon "$i" zebra
	done
	for i in $(seq 1 "$nodes"); do
		wait_for 20 "zebra on node $i" test -S "$(node_dir "$i")/zserv.api"
	done
	for i in $(seq 1 "$nodes"); do
		start_daemon "$i" bgpd
	done
}

# converged: every node has an established EVPN session to every peer it
# is configured with and, for every VNI, a type-3 (flood) entry for every
# other node in its vxlan FDB, installed by zebra.
node_converged() {
	local i=$1 t vni want n ns
	ns=$(node_ns "$i")
	want=$((nodes - 1))
	for t in $(seq 1 "$tenants"); do
		vni=$(vni_of "$t")
		n=$("$LAB_BRIDGE" -n "$ns" fdb show dev "vxlan$vni" 2>/dev/null |
			grep -c '^00:00:00:00:00:00 dst' || true)
		[ "$n" -ge "$want" ] || return 1
	done
}

wait_converged() {
	local i
	for i in $(seq 1 "$nodes"); do
		wait_for "$timeout" "EVPN type-3 routes on node $i" node_converged "$i" || {
			lab_vtysh "$i" -c 'show bgp l2vpn evpn summary' >&2 || true
			return 1
		}
	done
}

cmd_up() {
	local d=$LAB_ROOT/$prefix
	[ "$(id -u)" = 0 ] || die "must be root"
	case $mode in evpn|static) ;; *) die "bad --mode $mode (evpn or static)" ;; esac
	case $bgp in rr|mesh) ;; *) die "bad --bgp $bgp (rr or mesh)" ;; esac
	case $uuflood in on|off) ;; *) die "bad --uu-flood $uuflood (on or off)" ;; esac
	[[ $nodes =~ ^[0-9]+$ ]] && [ "$nodes" -ge 1 ] && [ "$nodes" -le 200 ] ||
		die "bad --nodes $nodes (1..200)"
	[[ $tenants =~ ^[0-9]+$ ]] && [ "$tenants" -ge 1 ] && [ "$tenants" -le 99 ] ||
		die "bad --tenants $tenants (1..99)"
	[[ $prefix =~ ^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,39}$ ]] || die "bad --prefix $prefix"
	if [ -e "$d" ] || ns_exists "$(under_ns)"; then
		die "lab $prefix exists (lab.sh down --prefix $prefix)"
	fi
	if [ "$mode" = evpn ]; then
		[ -x "$FRR_DIR/zebra" ] && [ -x "$FRR_DIR/bgpd" ] && [ -x "$VTYSH" ] ||
			die "FRR not installed (scripts/deps.sh lab)"
	fi
	mkdir -p "$d"
	chmod 755 "$LAB_ROOT" "$d"
	cat >"$d/lab.env" <<-EOF
		nodes=$nodes
		tenants=$tenants
		mode=$mode
		bgp=$bgp
		uuflood=$uuflood
	EOF
	# Ctrl-C, kill or any failure half way: take down what was made
	up_done=
	trap 'rc=$?; trap - EXIT INT TERM; if [ -z "$up_done" ]; then
		echo "lab.sh: up did not complete, tearing down" >&2; cmd_down
		[ "$rc" != 0 ] || rc=1; fi; exit "$rc"' EXIT
	trap 'echo "lab.sh: interrupted" >&2; exit 130' INT TERM
	make_underlay
	make_vteps
	if [ "$mode" = evpn ]; then
		start_frr
		wait_converged
	fi
	up_done=1
	trap - INT TERM
	log "up: $prefix, $nodes nodes, $tenants tenants (VNI $(vni_of 1)..$(vni_of "$tenants")), $mode"
}

# ------------------------------------------------------------------ down

# jobs (particle job namespaces) whose port sits in node NS, from the ports'
# ifalias records ("particle:1 job=JOB ...")
node_jobs() {
	"$LAB_IP" -n "$1" -o link show 2>/dev/null |
		sed -n 's/.*alias particle:1 job=\([^ ]*\).*/\1/p'
}

cmd_down() {
	local d=$LAB_ROOT/$prefix i ns pf p pids job
	set +e
	load_env 2>/dev/null
	# FRR first, by the pids in our own pid files, all at once (each takes
	# a while to shut down)
	pids=()
	for pf in "$d"/n*/*.pid; do
		[ -s "$pf" ] || continue
		p=$(cat "$pf")
		# only if it is really our daemon
		grep -qF "$d/" "/proc/$p/cmdline" 2>/dev/null && pids+=("$p")
	done
	lab_kill "${pids[@]}"
	# particle jobs living on our nodes, then anything left inside the nodes
	for i in $(seq 1 "$nodes"); do
		ns=$(node_ns "$i")
		ns_exists "$ns" || continue
		for job in $(node_jobs "$ns"); do
			ns_exists "$job" || continue
			# shellcheck disable=SC2046
			lab_kill $("$LAB_IP" netns pids "$job" 2>/dev/null)
			if [ -n "${IP:-}" ] && timeout 20 "$IP" -n "$ns" particle del "$job" 2>/dev/null; then
				:
			else
				"$LAB_IP" netns del "$job" 2>/dev/null
			fi
		done
	done
	for ns in $(under_ns) $(for i in $(seq 1 "$nodes"); do node_ns "$i"; done); do
		ns_exists "$ns" || continue
		# shellcheck disable=SC2046
		lab_kill $("$LAB_IP" netns pids "$ns" 2>/dev/null)
		"$LAB_IP" netns del "$ns"
	done
	# everything else named after the lab (per-function namespaces of the
	# stock overlay, jobs, nodes of an earlier lab with more nodes)
	for ns in /run/netns/"$prefix"-*; do
		[ -e "$ns" ] || continue
		ns=${ns##*/}
		# shellcheck disable=SC2046
		lab_kill $("$LAB_IP" netns pids "$ns" 2>/dev/null)
		"$LAB_IP" netns del "$ns"
	done
	[ -d "$d" ] && rm -rf "$d"
	rmdir "$LAB_ROOT" 2>/dev/null
	set -e
	return 0
}

# ------------------------------------------------------------------ status

cmd_status() {
	local i t vni ns
	load_env || die "no lab $prefix"
	echo "lab $prefix: $nodes nodes, $tenants tenants, mode $mode, bgp $bgp, uu-flood $uuflood"
	for i in $(seq 1 "$nodes"); do
		ns=$(node_ns "$i")
		printf 'node %s (netns %s, %s.%s):' "$i" "$ns" "$UNDERLAY_NET" "$i"
		for t in $(seq 1 "$tenants"); do
			vni=$(vni_of "$t")
			printf ' vni %s: %s flood, %s macs;' "$vni" \
				"$("$LAB_BRIDGE" -n "$ns" fdb show dev "vxlan$vni" | grep -c '^00:00:00:00:00:00')" \
				"$("$LAB_BRIDGE" -n "$ns" fdb show br "br$vni" | grep -vc '^00:00:00:00:00:00\|permanent')"
		done
		printf ' jobs: %s\n' "$(node_jobs "$ns" | tr '\n' ' ')"
	done
	if [ "$mode" = evpn ]; then
		lab_vtysh 1 -c 'show bgp l2vpn evpn summary'
		lab_vtysh 1 -c 'show evpn vni'
	fi
}

# ------------------------------------------------------------------ main

cmd=${1:-}
[ -n "$cmd" ] || usage
shift
args=()
while [ $# -gt 0 ]; do
	case $1 in
	--prefix) prefix=$2; shift 2 ;;
	--nodes) nodes=$2; shift 2 ;;
	--tenants) tenants=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--bgp) bgp=$2; shift 2 ;;
	--uu-flood) uuflood=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	-h|--help) usage 0 ;;
	--) shift; args+=("$@"); break ;;
	*) args+=("$1"); shift ;;
	esac
done

case $cmd in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
ns)
	[ ${#args[@]} -ge 1 ] || die "ns NODE"
	if [ "${args[0]}" = u ]; then under_ns; else node_ns "${args[0]}"; fi ;;
vtysh)
	[ ${#args[@]} -ge 1 ] || die "vtysh NODE ARGS"
	lab_vtysh "${args[0]}" "${args[@]:1}" ;;
wait-converged)
	load_env || die "no lab $prefix"
	wait_converged ;;
-h|--help|help) usage 0 ;;
*) die "unknown command $cmd (up, down, status, ns, vtysh, wait-converged)" ;;
esac
