#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ip particle in five minutes: two simulated hosts joined by a VXLAN
# overlay, one job on each, and a TCP message from a function on the first
# host to a function on the second and back.
#
# usage: particle/demo.sh IP_BINARY        (as root; "make demo" runs it)
#
# Everything lives in network namespaces named pdemo<pid>...: the host's
# own interfaces, routes and jobs are never touched, and everything the
# demo made is removed when it ends, however it ends.  Exit status: 0 when
# the message made the round trip, non-zero otherwise.

set -eu -o pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 IP_BINARY" >&2
	exit 2
fi
IP=$(readlink -f "$1")

P=pdemo$$			# every name the demo makes starts with this
NA=${P}a NB=${P}b		# the two simulated hosts
JA=${P}ja JB=${P}jb		# one job on each (job names are host-wide
				# here, since both "hosts" share /run/netns)
UA=192.0.2.1 UB=192.0.2.2	# underlay addresses
POOL_A=10.77.1.1/16		# the jobs' pools: one overlay /16,
POOL_B=10.77.2.1/16		# a different range on each host
COUNT=8
SRC=10.77.1.4			# slot 3 of JA
DST=10.77.2.8			# slot 7 (the last) of JB
PORT=7000
TMP=
SERVER=

say() { printf '\n==> %s\n' "$*"; }

# How often the kernel's ARP table has been full.  The table is shared by
# every network namespace, so other workloads on the machine can fill it.
arp_table_fulls() {
	local sum=0 v
	[ -r /proc/net/stat/arp_cache ] || { echo 0; return; }
	while read -r v; do
		sum=$((sum + 16#$v))
	done < <(awk 'NR > 1 { print $NF }' /proc/net/stat/arp_cache)
	echo "$sum"
}

# x CMD...: show the command (the built ip as "ip"), then run it.
x() {
	local shown=("$@")
	[ "${shown[0]}" = "$IP" ] && shown[0]=ip
	printf '$ %s\n' "${shown[*]}"
	"$@"
}

cleanup() {
	local rc=$? ns pid
	trap - EXIT INT TERM
	set +e
	[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
	for ns in "$JA" "$JB"; do
		[ -e "/run/netns/$ns" ] || continue
		# Functions this demo started in its own job namespaces.
		for pid in $("$IP" netns pids "$ns" 2>/dev/null); do
			kill "$pid" 2>/dev/null
		done
	done
	[ -e "/run/netns/$JA" ] && "$IP" -n "$NA" particle del "$JA" >/dev/null 2>&1
	[ -e "/run/netns/$JB" ] && "$IP" -n "$NB" particle del "$JB" >/dev/null 2>&1
	for ns in "$JA" "$JB" "$NA" "$NB"; do
		[ -e "/run/netns/$ns" ] && "$IP" netns del "$ns" 2>/dev/null
	done
	[ -n "$TMP" ] && rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- preflight --------------------------------------------------------------

if [ "$(id -u)" != 0 ]; then
	echo "demo.sh: run me as root (namespaces and devices need it)" >&2
	exit 1
fi
for tool in socat unshare timeout ss; do
	command -v "$tool" >/dev/null || {
		echo "demo.sh: $tool is missing (apt-get install socat util-linux iproute2 coreutils)" >&2
		exit 1
	}
done
if ! "$IP" particle help 2>&1 | grep -q 'ip particle add'; then
	echo "demo.sh: $IP has no 'ip particle' (build it with make)" >&2
	exit 1
fi
# The bridge tool of the same build, or the system's.
BRIDGE=$(dirname "$IP")/../bridge/bridge
[ -x "$BRIDGE" ] || BRIDGE=$(command -v bridge)
TMP=$(mktemp -d "/tmp/$P.XXXXXX")

# --- the two hosts and the overlay -------------------------------------------

# The simulated hosts are built by particle/lib/node.sh (as the tests, the
# bench and the lab build theirs), each command shown as it runs.
# shellcheck source=particle/lib/node.sh
. "$(dirname "$(readlink -f "$0")")/lib/node.sh"
node_ip() { x "$IP" "$@"; }
node_bridge() { x "$BRIDGE" "$@"; }

say "Two simulated hosts, $NA and $NB, joined by an underlay link ($UA <-> $UB)"
node_netns "$NA" "$NB"
node_wire "$NA" ul "$UA/24" "$NB" ul "$UB/24"

say "On each host: vxlan100 (VNI 100) on bridge br0, flooding to the other host"
for side in "$NA $UA $UB" "$NB $UB $UA"; do
	read -r node lcl remote <<<"$side"
	node_vtep "$node" vxlan100 100 "$lcl" ul br0
	node_flood "$node" vxlan100 "$remote"
done

# --- the jobs -----------------------------------------------------------------

say "A job of $COUNT function slots on each host: one namespace, one veth, one pool"
echo "(-s prints how long each phase took, in microseconds)"
x "$IP" -s -n "$NA" particle add "$JA" vtep vxlan100 count "$COUNT" pool "$POOL_A"
x "$IP" -s -n "$NB" particle add "$JB" vtep vxlan100 count "$COUNT" pool "$POOL_B"

say "What the kernel now holds, as ip particle show reads it back"
x "$IP" -n "$NA" particle show
x "$IP" -n "$NB" particle show

say "The same as JSON, for scripts"
x "$IP" -j -p -n "$NA" particle show

say "Slot -> address of each job"
x "$IP" -n "$NA" particle slots "$JA"
x "$IP" -n "$NB" particle slots "$JB"

say "Inside $JB: one eth0 carrying the pool (the vtep's MTU, no namespace move)"
x "$IP" -n "$JB" -br addr show dev eth0

# --- functions talking -----------------------------------------------------

# A function: "ip particle exec" runs it in the job's network namespace,
# with its own mount, PID, UTS and IPC namespaces, and the slot guard:
# it listens on the wildcard address and connects without binding, and
# the kernel gives it the address of its slot.
cat >"$TMP/reply.sh" <<'EOF'
#!/bin/sh
# Runs for each connection of the function on the last slot.
read -r msg
echo "reply from $(hostname) at $SOCAT_SOCKADDR: got \"$msg\" from $SOCAT_PEERADDR"
EOF
chmod +x "$TMP/reply.sh"

say "The function of slot 7 in $JB listens on the wildcard port $PORT (no bind: the slot guard makes it $DST:$PORT)"
printf '$ ip -n %s particle exec %s slot 7 socat TCP4-LISTEN:%s EXEC:reply.sh &\n' \
	"$NB" "$JB" "$PORT"
timeout 60 "$IP" -n "$NB" particle exec "$JB" slot 7 \
	socat -T 10 TCP4-LISTEN:"$PORT",reuseaddr EXEC:"$TMP/reply.sh" \
	2>"$TMP/server.err" &
SERVER=$!
listening=
for _ in $(seq 200); do
	if "$IP" netns exec "$JB" ss -Hltn "sport = :$PORT" 2>/dev/null | grep -qF "$DST"; then
		listening=1
		break
	fi
	sleep 0.1
done
[ -n "$listening" ] || echo "demo.sh: fn-b7 is not listening after 20 s; trying anyway" >&2

say "The function of slot 3 in $JA sends a message across the overlay (no bind either: it speaks from $SRC)"
fulls=$(arp_table_fulls)
printf '$ ip -n %s particle exec %s slot 3 sh -c '"'"'echo "hello from $(hostname)" | socat - TCP4:%s:%s'"'"'\n' \
	"$NA" "$JA" "$DST" "$PORT"
reply=$(timeout 30 "$IP" -n "$NA" particle exec "$JA" slot 3 \
	sh -c "echo \"hello from \$(hostname) on slot \$PARTICLE_SLOT\" |
		exec socat -T 10 - TCP4:$DST:$PORT,connect-timeout=10" \
	2>"$TMP/client.err") || true

if [[ $reply == *"reply from $JB-s7 at $DST:"*"got \"hello from $JA-s3 on slot 3\" from $SRC"* ]]; then
	echo "$reply"
	wait "$SERVER" 2>/dev/null || true
	SERVER=
	say "Round trip OK: $JA slot 3 on $NA <-> $JB slot 7 on $NB over VXLAN"
	ok=1
else
	echo "no reply: '$reply'" >&2
	cat "$TMP/client.err" "$TMP/server.err" >&2
	if [ "$(arp_table_fulls)" != "$fulls" ]; then
		echo "demo.sh: the kernel's ARP table was full meanwhile (it is shared by all" \
			"namespaces; net.ipv4.neigh.default.gc_thresh3 =" \
			"$(sysctl -n net.ipv4.neigh.default.gc_thresh3)): another workload on" \
			"this machine holds too many neighbours; try again when it is done" >&2
	fi
	# What the overlay knew, to tell an ARP problem from a TCP one.
	for ns in "$JA" "$JB"; do
		echo "--- neighbours and sockets in $ns" >&2
		"$IP" -n "$ns" neigh show >&2
		"$IP" netns exec "$ns" ss -tan >&2
	done
	for ns in "$NA" "$NB"; do
		echo "--- forwarding database of br0 on $ns" >&2
		"$BRIDGE" -n "$ns" fdb show br br0 | grep -v permanent >&2
	done
	kill "$SERVER" 2>/dev/null
	wait "$SERVER" 2>/dev/null || true
	SERVER=
	ok=
fi

# --- tidy up ------------------------------------------------------------------

say "Deleting both jobs"
x "$IP" -n "$NA" particle del "$JA"
x "$IP" -n "$NB" particle del "$JB"

say "Nothing is left: no jobs, no job namespaces, no ports on the bridges"
x "$IP" -n "$NA" particle show
x "$IP" -n "$NB" particle show
left=$("$IP" netns list | grep -E "^($JA|$JB)( |\$)" || true)
ports=$("$IP" -n "$NA" -o link show master br0; "$IP" -n "$NB" -o link show master br0)
printf '$ ip netns list | grep -E "%s|%s"\n%s\n' "$JA" "$JB" "$left"
printf '$ ip -n NODE -o link show master br0   (only vxlan100 should remain)\n'
awk '{ print "  " $2 }' <<<"$ports"
if [ -n "$left" ] || grep -qv 'vxlan100' <<<"$ports"; then
	echo "demo.sh: something was left behind" >&2
	exit 1
fi

if [ -z "$ok" ]; then
	echo "demo.sh: the message did not make the round trip" >&2
	exit 1
fi
say "Done (the simulated hosts go away now)"
