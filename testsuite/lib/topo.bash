# SPDX-License-Identifier: GPL-2.0
# Shared topology and helpers for the ip particle bats suite.
#
# Every file does, at top level:
#	PT_TAG=X		# one upper-case letter per file
#	load lib/topo
# and in setup(): pt_nodes 2 (or pt_lone ...); teardown() { pt_teardown; }
#
# Names: $T is "pt" + PT_TAG + the test process id in base 36 (always 8
# characters), unique on this machine while the test runs.  Every namespace
# and job a test makes starts with $T, so teardown can remove exactly what
# this test made, even after a failure, without touching other engineers'
# namespaces (never "ip -all netns delete", never a host "particle flush").
#
# A simulated node is a network namespace with
#	u0        underlay veth to the switch namespace ${T}sw, 192.0.2.K/24
#	vxlan100  id 100, local 192.0.2.K, dev u0, dstport 4789, nolearning,
#	          MTU 1450 (1500 - VXLAN overhead)
#	br0       bridge (mcast_snooping 0), vxlan100 enslaved, both up
#	          plus static FDB entries 00:00:00:00:00:00 -> every other node
# The kernel has no dummy driver: extra devices are veth pairs.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

: "${IP:=$BATS_TEST_DIRNAME/../build/iproute2-6.1.0/ip/ip}"
IP=$(readlink -f "$IP")
STOCK_IP=/usr/sbin/ip
export IP STOCK_IP

_pt_b36() {
	local n=$1 s= d=0123456789abcdefghijklmnopqrstuvwxyz
	while ((n > 0)); do
		s=${d:n%36:1}$s
		((n /= 36))
	done
	echo "${s:-0}"
}

# The pid is padded to 5 digits (pid_max is at most 36^5): a shorter $T
# would be the start of another test's (pid 907 is "p7", 32671 "p7j"), and
# its teardown would take the other test's namespaces.
T=0000$(_pt_b36 $$)
T="pt${PT_TAG:-X}${T: -5}"

# No test may hang the suite (a netlink request that never gets its answer
# would): bats kills a test and its children after this many seconds.
: "${BATS_TEST_TIMEOUT:=90}"
PT_NODES=()
PT_PIDS=()

# ip with the stock binary for everything that is not "particle".  Stock ip
# resolves link-netns ids by opening every /run/netns entry and complains
# "Peer netns reference is invalid" about entries that are not (yet or any
# more) namespaces: other engineers' and half-made ones.  That noise is
# dropped so that "run sip ..." output can be counted.
sip() {
	local err=${BATS_TEST_TMPDIR:-/tmp}/.sip.$BASHPID rc=0
	"$STOCK_IP" "$@" 2>"$err" || rc=$?
	grep -v '^Error: Peer netns reference is invalid\.$' "$err" >&2 || true
	rm -f "$err"
	return "$rc"
}

# The simulated node is built by particle/lib/node.sh (shared with the
# bench, the lab and the demo), its commands run through sip.
# shellcheck source=../../particle/lib/node.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../particle/lib/node.sh"
node_ip() { sip "$@"; }
node_bridge() { bridge "$@"; }

# The pools the tests use: PT_POOL (slot k at 10.77.0.10 + k) and a second
# one of the same /16 that does not overlap it, PT_POOL2.
PT_POOL=10.77.0.10/16
PT_POOL2=10.77.1.10/16

# valgrind as the suite runs ip under it: any error, or a definite or
# indirect leak, makes it exit 99; add --log-file=FILE "$IP" ARGS.
PT_VALGRIND=(valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect
	--error-exitcode=99 --trace-children=no -q)

# First in every test that runs valgrind: make check-asan (PT_ASAN=1) runs
# the suite against an ASan build, which valgrind cannot run.
pt_need_valgrind() {
	[ -z "${PT_ASAN:-}" ] || skip "valgrind cannot run an ASan build (make check-asan)"
}

# pt_netns NAME: an empty namespace with lo up and no IPv6 on its devices
# (keeps link-local DAD from changing addresses under the state snapshots).
pt_netns() {
	node_netns -s net.ipv6.conf.all.disable_ipv6=1 \
		-s net.ipv6.conf.default.disable_ipv6=1 "$1" || return
	# br_netfilter, once some other program has loaded it on this host,
	# passes bridged frames through the netfilter hooks of every new
	# namespace, and the overlay's TCP then times out: the simulated nodes
	# are plain L2 switches, so switch that off where it exists.
	sip netns exec "$1" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
		net.bridge.bridge-nf-call-ip6tables=0 \
		net.bridge.bridge-nf-call-arptables=0 >/dev/null 2>&1 || true
}

# pt_nodes N: nodes ${T}a ${T}b ... on one underlay switch, each with a
# bridged vxlan100 and static FDB entries to all the others.  Sets NA NB NC
# ND to the node names and PT_UL[i] to node i's underlay address.
pt_nodes() {
	local n=$1 i j name letters=abcdefgh
	pt_netns "${T}sw"
	node_switch "${T}sw" ul
	PT_UL=()
	for ((i = 0; i < n; i++)); do
		name=$T${letters:i:1}
		PT_UL[i]=192.0.2.$((i + 1))
		pt_netns "$name"
		PT_NODES+=("$name")
		node_uplink "${T}sw" ul "n$i" "$name" u0 "${PT_UL[i]}/24"
		pt_vxlan "$name" "${PT_UL[i]}" br0
	done
	for ((i = 0; i < n; i++)); do
		for ((j = 0; j < n; j++)); do
			((i == j)) && continue
			node_flood "${PT_NODES[i]}" vxlan100 "${PT_UL[j]}"
		done
	done
	NA=${PT_NODES[0]} NB=${PT_NODES[1]:-} NC=${PT_NODES[2]:-} ND=${PT_NODES[3]:-}
}

# pt_vxlan NODE LOCAL [BRIDGE]: vxlan100 on u0 (MTU 1450), up, enslaved to
# BRIDGE (created, up) unless BRIDGE is empty.
pt_vxlan() {
	node_vtep "$1" vxlan100 100 "$2" u0 "${3:-}" nolearning -- mcast_snooping 0
}

# pt_lone NAME ADDR [BRIDGE]: a node with no peer (underlay is a veth pair
# u0/u1 inside it); vxlan100 enslaved to BRIDGE, or unbridged if empty.
pt_lone() {
	local name=$1 addr=$2 br=${3:-}
	pt_netns "$name"
	PT_NODES+=("$name")
	sip -n "$name" link add u0 type veth peer name u1
	sip -n "$name" addr add "$addr/24" dev u0
	sip -n "$name" link set u0 up
	sip -n "$name" link set u1 up
	pt_vxlan "$name" "$addr" "$br"
}

# Everything this test made goes, whatever happened.
pt_teardown() {
	local p f
	for p in "${PT_PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PT_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	for f in /run/netns/*"$T"*; do
		[ -e "$f" ] || continue
		sip netns del "${f##*/}" 2>/dev/null ||
			{ umount -l "$f" 2>/dev/null; rm -f "$f"; }
	done
	return 0
}

# The state a refusal must not change: every namespace of this test (nodes
# and jobs) with its links (operational state and carrier masked: they
# settle asynchronously), addresses (DAD flags and lifetimes masked),
# routes and neighbour proxies, and this test's netns mounts.
pt_snapshot() {
	local f n
	for f in /run/netns/*"$T"*; do
		[ -e "$f" ] || continue
		n=${f##*/}
		echo "== $n"
		sip -n "$n" -o link 2>/dev/null | sed -E 's/ state [A-Z]+//; s/,LOWER_UP//; s/NO-CARRIER,//'
		sip -n "$n" -o addr | sed -E 's/ (tentative|dadfailed|optimistic)//g; s/\\ +valid_lft.*//'
		# link-local routes appear when DAD of eth0's fe80:: ends;
		# a bridge's count of job ports (proto 115, pt_resv.c) may
		# be left high by a kill and is set right by the next add
		sip -n "$n" route show table all | grep -v -e 'fe80::' -e ' proto 115 ' || true
		sip -n "$n" -6 route show table all | grep -v 'fe80::' || true
		sip -n "$n" neigh show proxy
	done
	echo "== /run/netns"
	ls /run/netns | grep -F "$T" || true
	echo "== mounts"
	grep -F "$T" /proc/self/mountinfo | cut -d' ' -f5 || true
}

# pt_refuse [-n NODE] [-x STATUS_REGEX] WORD... -- ARGS...
# "ip -n NODE particle ARGS" must be refused: exit status 1 (or matching
# STATUS_REGEX), "Error:" on stderr naming every WORD (case-insensitive),
# and this test's kernel state exactly as before.
pt_refuse() {
	local node=${NA:-} want=1 words=() before after w
	while :; do
		case $1 in
		-n) node=$2; shift 2 ;;
		-x) want=$2; shift 2 ;;
		*) break ;;
		esac
	done
	while [ "$1" != -- ]; do words+=("$1"); shift; done
	shift
	before=$(pt_snapshot)
	run --separate-stderr timeout 60 "$IP" -n "$node" particle "$@"
	after=$(pt_snapshot)
	echo "# ip -n $node particle $*"
	echo "# status: $status"
	echo "# stdout: $output"
	echo "# stderr: $stderr"
	[[ $status =~ ^($want)$ ]] || fail "exit status $status, want $want"
	[[ $stderr == *Error:* ]] || fail "stderr has no 'Error:'"
	for w in "${words[@]}"; do
		grep -qiF -- "$w" <<<"$stderr" || fail "stderr does not name '$w'"
	done
	assert_equal "$after" "$before"
}

# Names of this test's namespaces that are not nodes (that is: jobs).
pt_jobs_left() {
	local f n skip
	for f in /run/netns/"$T"*; do
		[ -e "$f" ] || continue
		skip=
		for n in "${PT_NODES[@]}" "${T}sw"; do
			[ "${f##*/}" = "$n" ] && skip=1
		done
		[ -n "$skip" ] || echo "${f##*/}"
	done
}

# Port name of JOB per HACKING: pt-JOB, or pt~ + 12 hex digits of FNV-1a/64
# (the last 12, as the code does: HACKING does not say which).
pt_port() {
	local job=$1 h=$((0xcbf29ce484222325)) i c
	if ((${#job} <= 12)); then
		echo "pt-$job"
		return
	fi
	for ((i = 0; i < ${#job}; i++)); do
		printf -v c '%d' "'${job:i:1}"
		((h ^= c, h *= 0x100000001b3))
	done
	printf -v h '%016x' "$h"
	echo "pt~${h:4:12}"	# the low 48 bits
}

# Nothing of JOB left on NODE and the host: no namespace, no mount, no port
# with JOB's record.
assert_job_gone() {
	local node=$1 job=$2
	[ ! -e "/run/netns/$job" ] || fail "/run/netns/$job still exists"
	! grep -qF " /run/netns/$job " /proc/self/mountinfo ||
		fail "/run/netns/$job still mounted"
	! sip -n "$node" -o link | grep -qF "$(pt_port "$job")" ||
		fail "port of $job still on $node"
	! sip -n "$node" -d -o link | grep -qF "job=$job " ||
		fail "a link on $node still carries job=$job"
}

# Address arithmetic for IPv4 pools.
ip2int() {
	local IFS=. a b c d
	read -r a b c d <<<"$1"
	echo $(((a << 24) | (b << 16) | (c << 8) | d))
}
int2ip() {
	local n=$1
	echo "$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))"
}
# ipadd ADDR K: ADDR + K (IPv4)
ipadd() { int2ip $(($(ip2int "$1") + $2)); }

# Processes this test starts in the background are killed by teardown.
pt_bg() {
	"$@" 3>&- &
	PT_PIDS+=($!)
}

# pt_listen JOB ADDR PORT [SOCAT_RIGHT]: a "function" (own mount, pid and
# uts namespaces, joined to JOB's network namespace) serving ADDR:PORT with
# socat's SOCAT_RIGHT (default EXEC:cat, an echo); waits until it listens.
pt_listen() {
	local job=$1 addr=$2 port=$3 right=${4:-EXEC:cat} spec i
	if [[ $addr == *:* ]]; then
		spec="TCP6-LISTEN:$port,bind=[$addr],reuseaddr,fork"
	else
		spec="TCP4-LISTEN:$port,bind=$addr,reuseaddr,fork"
	fi
	pt_bg timeout 60 "$STOCK_IP" netns exec "$job" unshare --mount --pid --uts \
		--fork --kill-child socat "$spec" "$right" \
		>>"$BATS_TEST_TMPDIR/listen.log" 2>&1
	for ((i = 0; i < 100; i++)); do
		sip netns exec "$job" ss -Hltn "sport = :$port" 2>/dev/null |
			grep -qF "$addr" && return 0
		sleep 0.05
	done
	cat "$BATS_TEST_TMPDIR/listen.log" >&2
	fail "no listener on $addr:$port in $job"
}

# pt_send JOB SRC DST PORT MSG: a function in JOB bound to SRC sends MSG to
# DST:PORT and prints what comes back.  Bounded by 10 s.
pt_send() {
	local job=$1 src=$2 dst=$3 port=$4 msg=$5 spec
	if [[ $dst == *:* ]]; then
		spec="TCP6:[$dst]:$port,bind=[$src],connect-timeout=4"
	else
		spec="TCP4:$dst:$port,bind=$src,connect-timeout=4"
	fi
	printf '%s\n' "$msg" | timeout 10 "$STOCK_IP" netns exec "$job" \
		unshare --mount --pid --uts --fork --kill-child \
		socat -t 4 - "$spec"
}
