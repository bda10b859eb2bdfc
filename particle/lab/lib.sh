# SPDX-License-Identifier: GPL-2.0
# particle/lab/lib.sh: helpers shared by particle/lab/bench.sh and
# testsuite/evpn.bats.  Source it; it defines functions only.
#
# Functions ("serverless functions") are socat processes with their own
# mount, pid and uts namespaces (unshare -mpuf) in a job's network
# namespace; the leader is a socat listener that logs every accepted
# connection, so "reached the leader" is a line in its log.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_SH=$LAB_DIR/lab.sh
LAB_IP=${LAB_IP:-/usr/sbin/ip}

# pip ARGS: the particle ip ($IP), every call bounded in time
pip() { timeout "${LAB_IP_TIMEOUT:-60}" "$IP" "$@"; }

# lab_pf_add NODE_NS FUNC_NS PORT BRIDGE ADDR/PLEN [MTU]
# The per-function overlay with stock ip, as the paper's baseline does it:
# a namespace per function, a veth pair made in the node, one end moved
# into the function's namespace, the other attached to the tenant bridge,
# the address put on, everything up.  One ip process per step.
lab_pf_add() {
	local node=$1 fns=$2 port=$3 br=$4 addr=$5 mtu=${6:-1450}
	"$LAB_IP" netns add "$fns" &&
	"$LAB_IP" -n "$node" link add "$port" mtu "$mtu" type veth peer name "$port-c" mtu "$mtu" &&
	"$LAB_IP" -n "$node" link set "$port-c" netns "$fns" &&
	"$LAB_IP" -n "$node" link set "$port" master "$br" up &&
	"$LAB_IP" -n "$fns" link set "$port-c" name eth0 &&
	"$LAB_IP" -n "$fns" addr add "$addr" dev eth0 &&
	"$LAB_IP" -n "$fns" link set eth0 up &&
	"$LAB_IP" -n "$fns" link set lo up
}

# lab_pf_del NODE_NS FUNC_NS PORT
lab_pf_del() {
	"$LAB_IP" -n "$1" link del "$3" 2>/dev/null
	"$LAB_IP" netns del "$2" 2>/dev/null
}

# lab_leader NETNS ADDR PORT LOG: a listener on ADDR:PORT inside NETNS that
# logs each accepted connection to LOG; prints its pid.
lab_leader() {
	local ns=$1 addr=$2 port=$3 log=$4
	: >"$log"
	"$LAB_IP" netns exec "$ns" socat -d -d -lf "$log" -u \
		"TCP-LISTEN:$port,bind=$addr,fork,reuseaddr,backlog=4096" \
		OPEN:/dev/null,wronly </dev/null >/dev/null 2>&1 &
	echo $!
}

# lab_fast_leader NETNS ADDR PORT LOG: the same, without a fork per
# connection (fnlaunch.py --serve); prints its pid.
lab_fast_leader() {
	: >"$4"
	"$LAB_IP" netns exec "$1" python3 "$LAB_DIR/fnlaunch.py" --serve "$2" "$3" "$4" \
		</dev/null >/dev/null 2>&1 &
	echo $!
}

# lab_reached LOG: the distinct source addresses the leader has accepted
lab_reached() {
	sed -n 's/.*accepting connection from AF=[0-9]* \[\{0,1\}\([0-9a-fA-F.:]*[0-9a-fA-F]\)\]\{0,1\}:[0-9]* on.*/\1/p' "$1" | sort -u
}

# lab_wait_reached LOG N TIMEOUT: until N distinct sources reached the leader
lab_wait_reached() {
	local log=$1 n=$2 deadline=$((SECONDS + $3))
	while [ "$(lab_reached "$log" | wc -l)" -lt "$n" ]; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# lab_fn NETNS ADDR LEADER PORT [TRIES]: one function: in NETNS, in its own
# mount/pid/uts namespaces, connect from ADDR to LEADER:PORT, retrying every
# 0.1 s (each try bounded by 0.5 s) until it gets through.  Exit 0 on
# success.  Run it in the background for many functions at once.
lab_fn() {
	local ns=$1 addr=$2 leader=$3 port=$4 tries=${5:-100}
	timeout $((tries + 5)) "$LAB_IP" netns exec "$ns" unshare -mpuf --kill-child \
		socat -u OPEN:/dev/null \
		"TCP:$leader:$port,bind=$addr,connect-timeout=0.5,retry=$tries,interval=0.1" \
		</dev/null >/dev/null 2>&1
}

# lab_fn_nsenter NETNS_PATH ADDR LEADER PORT [TRIES]: the same function,
# started with nsenter (one exec less than ip netns exec, no sysfs
# remount); bench.sh uses it for both the particle and the per-function
# overlay so that only the network setup differs.
lab_fn_nsenter() {
	local nsp=$1 addr=$2 leader=$3 port=$4 tries=${5:-100}
	nsenter --net="$nsp" unshare -mpuf --kill-child \
		socat -u OPEN:/dev/null \
		"TCP:$leader:$port,bind=$addr,connect-timeout=0.5,retry=$tries,interval=0.1" \
		</dev/null >/dev/null 2>&1
}

# lab_ipv4_add ADDR K: ADDR + K (IPv4, no range checks)
lab_ipv4_add() {
	local a b c d n
	IFS=. read -r a b c d <<<"$1"
	n=$(((a << 24 | b << 16 | c << 8 | d) + $2))
	echo "$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))"
}

# lab_kill PID...: TERM, bounded wait, KILL
lab_kill() {
	local p i
	[ $# -gt 0 ] || return 0
	kill "$@" 2>/dev/null || true	# some may be gone already
	for i in $(seq 1 30); do
		for p in "$@"; do
			kill -0 "$p" 2>/dev/null && break
			p=
		done
		[ -n "$p" ] || return 0
		sleep 0.1
	done
	kill -9 "$@" 2>/dev/null || true
	return 0
}

# lab_kill_ns NETNS...: every process inside these network namespaces
lab_kill_ns() {
	local ns pids=()
	for ns in "$@"; do
		[ -e "/run/netns/$ns" ] || continue
		# shellcheck disable=SC2207
		pids+=($("$LAB_IP" netns pids "$ns" 2>/dev/null))
	done
	lab_kill "${pids[@]}"
}
