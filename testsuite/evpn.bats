#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# ip particle under a BGP EVPN control plane: a three-node lab of network
# namespaces (particle/lab/lab.sh), each node running its own FRR zebra +
# bgpd, two tenants on VNI 100 and 200.  Unknown-unicast flooding is off on
# the VTEPs, so a unicast frame reaches a job on another node only through a
# type-2 route that BGP delivered (no static FDB anywhere).
#
# Names: everything starts with $P ("ev" + this process id in base 36); the
# lab's namespaces are $P-u, $P-n1..$P-n3, jobs $P-<letter><n>.

# a hung netlink request or daemon cannot stall the whole suite
: "${BATS_TEST_TIMEOUT:=240}"
PT_TAG=X	# unused here: the lab's names start with $P
load lib/topo

TOP=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
# shellcheck source=../particle/lab/lib.sh
. "$TOP/particle/lab/lib.sh"

setup_file() {
	# the lab needs FRR, which make check installs up front (scripts/deps.sh
	# lab); without it every test skips saying so (bats 1.8 cannot skip
	# from setup_file)
	if [ ! -x /usr/lib/frr/bgpd ] || ! command -v vtysh >/dev/null; then
		echo "FRR (Debian package frr) is not installed: scripts/deps.sh lab (make check does it)" \
			>"$BATS_FILE_TMPDIR/nofrr"
		return 0
	fi
	export P="ev$(_pt_b36 $$)"
	# the default state directory, /tmp/particle-lab/$P: FRR runs as user
	# frr, who cannot enter bats' private temporary directories
	export PARTICLE_LAB_DIR=/tmp/particle-lab
	"$LAB_SH" up --prefix "$P" --nodes 3 --tenants 2 --mode evpn --uu-flood off --timeout 60
}

teardown_file() {
	[ -z "${P:-}" ] || "$LAB_SH" down --prefix "$P"
}

setup() {
	JOBS=()
	PIDS=()
	[ ! -e "$BATS_FILE_TMPDIR/nofrr" ] || skip "$(cat "$BATS_FILE_TMPDIR/nofrr")"
}

teardown() {
	local j
	[ -n "${P:-}" ] || return 0
	lab_kill "${PIDS[@]}"
	# the extra labs of the static and Ctrl-C tests, if a test failed
	for j in "${P}s" "${P}i"; do
		"$LAB_SH" down --prefix "$j"
	done
	for j in "${JOBS[@]}"; do
		lab_kill_ns "${j#*:}"
		pip -n "$P-n${j%%:*}" particle del "${j#*:}" >/dev/null 2>&1 ||
			{ [ ! -e "/run/netns/${j#*:}" ] || "$LAB_IP" netns del "${j#*:}"; }
	done
	return 0
}

node() { echo "$P-n$1"; }
vtysh_n() { "$LAB_SH" vtysh --prefix "$P" "$@"; }

# job_add NODE JOB ARGS...: ip -n NODE particle add JOB ARGS, remembered
# for teardown
job_add() {
	local n=$1 j=$2
	shift 2
	JOBS+=("$n:$j")
	run pip -n "$(node "$n")" particle add "$j" "$@"
	echo "# ip -n $(node "$n") particle add $j $*: $status $output"
	assert_success
}

job_mac() { "$LAB_IP" -n "$1" -br link show eth0 | awk '{ print $3 }'; }

# wait_mac NODE VNI MAC local|remote [VTEP]: zebra on NODE knows MAC (via
# BGP when remote, then from VTEP)
mac_known() {
	local out
	out=$(vtysh_n "$1" -c "show evpn mac vni $2 mac $3 json" 2>/dev/null) || return 1
	jq -e --arg t "$4" --arg v "${5:-}" \
		'.. | objects | select(.type? == $t) | select($v == "" or .remoteVtep? == $v)' \
		<<<"$out" >/dev/null
}
wait_mac() {
	local deadline=$((SECONDS + 20))
	until mac_known "$@"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			vtysh_n "$1" -c "show evpn mac vni $2"
			return 1
		fi
		sleep 0.2
	done
}

# leader JOB ADDR PORT: a listener logging accepted connections
leader() {
	local pid
	pid=$(lab_leader "$1" "$2" "$3" "$BATS_TEST_TMPDIR/$1.log")
	PIDS+=("$pid")
	for _ in $(seq 1 50); do
		grep -q listening "$BATS_TEST_TMPDIR/$1.log" && return 0
		sleep 0.05
	done
	return 1
}

# responder JOB ADDR PORT WORD: answers every connection with WORD
responder() {
	"$LAB_IP" netns exec "$1" unshare -mpuf --kill-child socat \
		"TCP-LISTEN:$3,bind=$2,fork,reuseaddr" "SYSTEM:echo $4" \
		</dev/null >/dev/null 2>&1 &
	PIDS+=($!)
	sleep 0.2
}

# ask JOB FROM TO PORT: connect from FROM (in JOB) to TO, print the answer
ask() {
	timeout 10 "$LAB_IP" netns exec "$1" unshare -mpuf --kill-child socat -u \
		"TCP:$3:$4,bind=$2,connect-timeout=3" STDOUT </dev/null 2>&1
}

# ring MODE: on each node a job with 10 slots; slot 0 leads, slots 1..9
# are functions that connect to the leader of the job on the next node
ring() {
	local mode=$1 tag=$2 base=$3 n k next pids=() log f failed=0
	for n in 1 2 3; do
		job_add "$n" "$P-$tag$n" vtep vxlan100 count 10 mode "$mode" \
			pool "172.31.$base.$((n * 16))/16"
	done
	for n in 1 2 3; do
		leader "$P-$tag$n" "172.31.$base.$((n * 16))" 7000
	done
	for n in 1 2 3; do
		next=$((n % 3 + 1))
		for k in $(seq 1 9); do
			lab_fn "$P-$tag$n" "172.31.$base.$((n * 16 + k))" \
				"172.31.$base.$((next * 16))" 7000 60 &
			pids+=($!)
		done
	done
	for f in "${pids[@]}"; do wait "$f" || failed=$((failed + 1)); done
	for n in 1 2 3; do
		log=$BATS_TEST_TMPDIR/$P-$tag$n.log
		prev=$(((n + 1) % 3 + 1))
		run lab_reached "$log"
		echo "# leader on node $n reached by: $(echo $output)"
		assert_equal "$(wc -l <<<"$output")" 9
		for k in $(seq 1 9); do
			assert_line "172.31.$base.$((prev * 16 + k))"
		done
	done
	assert_equal "$failed" 0
	# every node's zebra knows every job's MAC: local where it runs,
	# remote (learned through BGP, from the right VTEP) everywhere else
	for n in 1 2 3; do
		mac=$(job_mac "$P-$tag$n")
		for o in 1 2 3; do
			if [ "$o" = "$n" ]; then
				wait_mac "$o" 100 "$mac" local
			else
				wait_mac "$o" 100 "$mac" remote "192.0.2.$n"
				run bridge -n "$(node "$o")" fdb show dev vxlan100
				assert_line --regexp "^$mac dst 192\\.0\\.2\\.$n .*extern_learn"
			fi
		done
		run vtysh_n "$n" -c 'show bgp l2vpn evpn route type macip'
		for o in 1 2 3; do
			assert_output --partial "[$(job_mac "$P-$tag$o")]"
		done
	done
}

@test "evpn lab: sessions up, type-3 routes for both VNIs from every node" {
	for n in 1 2 3; do
		run vtysh_n "$n" -c 'show bgp l2vpn evpn summary json'
		assert_success
		# node 1 reflects to the others; each client has one session
		run jq -r '.. | objects | select(has("state")) | .state' <<<"$output"
		refute_output --partial Idle
		assert_output --partial Established
		run vtysh_n "$n" -c 'show bgp l2vpn evpn route type multicast'
		assert_success
		for o in 1 2 3; do
			assert_output --partial "[3]:[0]:[32]:[192.0.2.$o]"
		done
		for vni in 100 200; do
			run vtysh_n "$n" -c "show evpn vni $vni"
			assert_output --partial "Remote VTEPs for this VNI:"
			for o in 1 2 3; do
				[ "$o" = "$n" ] || assert_output --partial "192.0.2.$o flood: HER"
			done
			# zebra put the flood entries there (the lab made none)
			run bridge -n "$(node "$n")" fdb show dev "vxlan$vni"
			for o in 1 2 3; do
				[ "$o" = "$n" ] || assert_line --partial "00:00:00:00:00:00 dst 192.0.2.$o"
			done
		done
	done
}

@test "evpn lab: stock per-function overlay reaches across nodes (baseline)" {
	lab_pf_add "$(node 1)" "$P-pf1" pfa br100 172.31.9.1/16
	lab_pf_add "$(node 2)" "$P-pf2" pfa br100 172.31.9.2/16
	JOBS+=("1:$P-pf1" "2:$P-pf2")
	leader "$P-pf1" 172.31.9.1 7000
	run lab_fn "$P-pf2" 172.31.9.2 172.31.9.1 7000 60
	assert_success
	run lab_reached "$BATS_TEST_TMPDIR/$P-pf1.log"
	assert_output 172.31.9.2
	wait_mac 2 100 "$(job_mac "$P-pf1")" remote 192.0.2.1
	lab_pf_del "$(node 1)" "$P-pf1" pfa
	lab_pf_del "$(node 2)" "$P-pf2" pfa
}

@test "evpn particle addrs: every function reaches a leader on another node; MACs via BGP" {
	ring addrs a 10
}

@test "evpn particle anyip: every function reaches a leader on another node; MACs via BGP" {
	run pip particle help
	[[ $output == *anyip* ]] || fail "ip particle has no 'mode anyip' yet: $output"
	ring anyip y 11
	# the anyip job answered ARP for each of its functions' addresses with
	# its one MAC: the leader on node 2 has them all behind job y1's MAC
	local k mac1
	mac1=$(job_mac "$P-y1")
	for k in $(seq 17 25); do
		run "$LAB_IP" -n "$P-y2" neigh show 172.31.11.$k
		assert_output --partial "lladdr $mac1"
	done
	run "$LAB_IP" -n "$P-y1" neigh show 172.31.11.32
	assert_output --partial "lladdr $(job_mac "$P-y2")"
}

@test "evpn tenants: VNI 100 and 200 isolated, also with overlapping pools; no way to nodes or host" {
	local a b n
	# the same pool in both tenants on every node; tenant B has 2 more slots
	for n in 1 2 3; do
		job_add "$n" "$P-t$n" vtep vxlan100 count 4 pool "172.31.20.$((n * 16))/16"
		job_add "$n" "$P-u$n" vtep vxlan200 count 6 pool "172.31.20.$((n * 16))/16"
	done
	responder "$P-t1" 172.31.20.16 7100 tenantA
	responder "$P-u1" 172.31.20.16 7100 tenantB
	responder "$P-u1" 172.31.20.20 7100 onlyB	# slot 4 exists only in B
	# an overlapping address answers within its own tenant, from any node
	for n in 2 3; do
		run ask "$P-t$n" "172.31.20.$((n * 16))" 172.31.20.16 7100
		assert_output tenantA
		run ask "$P-u$n" "172.31.20.$((n * 16))" 172.31.20.16 7100
		assert_output tenantB
	done
	# an address only tenant B has: B reaches it, A does not
	run ask "$P-u2" 172.31.20.32 172.31.20.20 7100
	assert_output onlyB
	run ask "$P-t2" 172.31.20.32 172.31.20.20 7100
	refute_output onlyB
	refute_output --partial tenant
	# no tenant A MAC ever shows up in tenant B's bridge or VNI, and back
	for n in 1 2 3; do
		a=$(job_mac "$P-t$n") b=$(job_mac "$P-u$n")
		for o in 1 2 3; do
			run bridge -n "$(node "$o")" fdb show br br200
			refute_output --partial "$a"
			run bridge -n "$(node "$o")" fdb show br br100
			refute_output --partial "$b"
			run vtysh_n "$o" -c 'show evpn mac vni 200'
			refute_output --partial "$a"
			run vtysh_n "$o" -c 'show evpn mac vni 100'
			refute_output --partial "$b"
		done
	done
	# the nodes' underlay addresses and the node itself: unreachable.  A
	# listener on every address of node 1 proves the port is open.
	"$LAB_IP" netns exec "$(node 1)" socat TCP-LISTEN:7101,fork,reuseaddr SYSTEM:'echo node' \
		</dev/null >/dev/null 2>&1 &
	PIDS+=($!)
	sleep 0.2
	run timeout 5 "$LAB_IP" netns exec "$(node 2)" socat -u TCP:192.0.2.1:7101,connect-timeout=2 STDOUT
	assert_output node
	for n in 2 3; do
		for j in "$P-t$n" "$P-u$n"; do
			run "$LAB_IP" -n "$j" route get 192.0.2.1
			assert_failure
			run ask "$j" "172.31.20.$((n * 16))" 192.0.2.1 7101
			refute_output node
		done
	done
	# the host: no route to any of its addresses from a job
	for a in $(/usr/sbin/ip -4 -o addr show scope global | awk '{ sub("/.*", "", $4); print $4 }' | head -3); do
		run "$LAB_IP" -n "$P-t2" route get "$a"
		assert_failure
	done
	run "$LAB_IP" -n "$P-t2" route show default
	assert_output ""
}

@test "evpn churn: 200 jobs added and deleted across nodes leave no stale routes, FDB, neighbours or devices" {
	local i n j mac macs=() live=() before_nodes deadline
	# a listener the churned jobs talk to, so that each job's MAC is
	# learned by its bridge and advertised before it goes away
	job_add 1 "$P-cL" vtep vxlan100 count 1 pool 172.31.30.1/16
	leader "$P-cL" 172.31.30.1 7000
	before_nodes=$(for n in 1 2 3; do "$LAB_IP" -n "$(node "$n")" -br link | awk '{ print $1 }' | sort | tr '\n' ' '; done)
	for i in $(seq 1 200); do
		n=$((i % 3 + 1))
		j=$P-c$i
		run pip -n "$(node "$n")" particle add "$j" vtep vxlan100 count 2 \
			pool "172.31.$((31 + i / 100)).$((2 * (i % 100) + 2))/16"
		[ "$status" = 0 ] || fail "add $j: $output"
		live+=("$n:$j")
		macs+=("$(job_mac "$j")")
		# a frame from the job (its MAC is learned by the bridge)
		lab_fn "$j" "172.31.$((31 + i / 100)).$((2 * (i % 100) + 2))" 172.31.30.1 7000 5 &
		PIDS+=($!)
		# keep at most 20 alive: add and delete interleave
		if [ ${#live[@]} -gt 20 ]; then
			lab_kill_ns "${live[0]#*:}"
			run pip -n "$(node "${live[0]%%:*}")" particle del "${live[0]#*:}"
			[ "$status" = 0 ] || fail "del ${live[0]}: $output"
			live=("${live[@]:1}")
		fi
	done
	for j in "${live[@]}"; do
		lab_kill_ns "${j#*:}"
		run pip -n "$(node "${j%%:*}")" particle del "${j#*:}"
		[ "$status" = 0 ] || fail "del $j: $output"
	done
	# with unknown-unicast flooding off, a job on node 2 or 3 that got its
	# connection through had its MAC route installed on node 1: the churn
	# really went through BGP (some jobs are deleted before they connect)
	run lab_reached "$BATS_TEST_TMPDIR/$P-cL.log"
	echo "# $(wc -l <<<"$output") of 200 churned jobs reached the listener" >&3
	[ "$(wc -l <<<"$output")" -ge 100 ] || fail "only $(wc -l <<<"$output") of 200 churned jobs reached the listener"
	# what the control plane must converge to: none of the 200 MACs anywhere
	printf '%s\n' "${macs[@]}" >"$BATS_TEST_TMPDIR/macs"
	stale() {
		local n
		for n in 1 2 3; do
			{
				vtysh_n "$n" -c 'show bgp l2vpn evpn route type macip'
				vtysh_n "$n" -c 'show evpn mac vni 100'
				vtysh_n "$n" -c 'show evpn arp-cache vni 100'
				bridge -n "$(node "$n")" fdb show
				"$LAB_IP" -n "$(node "$n")" neigh show
			} | grep -iF -f "$BATS_TEST_TMPDIR/macs" | sed "s/^/node $n: /" | grep . && return 0
		done
		return 1
	}
	deadline=$((SECONDS + 30))
	while stale >/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] || { stale; fail "stale entries 30 s after the churn"; }
		sleep 0.5
	done
	# no leftover devices on the nodes, no leftover job namespaces
	assert_equal "$(for n in 1 2 3; do "$LAB_IP" -n "$(node "$n")" -br link | awk '{ print $1 }' | sort | tr '\n' ' '; done)" "$before_nodes"
	run ls /run/netns
	refute_output --regexp "^$P-c[0-9]+$"
	run pip -n "$(node 1)" particle show
	refute_output --partial "$P-c1 "
	# the lab's control plane still works: the listener's MAC is still
	# remote on the other nodes
	for n in 2 3; do
		wait_mac "$n" 100 "$(job_mac "$P-cL")" remote 192.0.2.1
	done
}

@test "static lab: head-end replication without control plane, per-function and particle; down leaves nothing" {
	local S=${P}s k failed
	run "$LAB_SH" up --prefix "$S" --nodes 3 --mode static
	assert_success
	run bridge -n "$S-n1" fdb show dev vxlan100
	assert_line --partial "00:00:00:00:00:00 dst 192.0.2.2 self permanent"
	assert_line --partial "00:00:00:00:00:00 dst 192.0.2.3 self permanent"
	run pgrep -f "particle-lab/$S/"
	assert_failure	# no FRR in static mode
	lab_pf_add "$S-n1" "$S-f1" pfa br100 172.31.40.1/16
	leader "$S-f1" 172.31.40.1 7000
	run pip -n "$S-n3" particle add "$S-j3" vtep vxlan100 count 3 pool 172.31.40.30/16
	assert_success
	for k in 0 1 2; do
		lab_fn "$S-j3" "172.31.40.$((30 + k))" 172.31.40.1 7000 30 &
		PIDS+=($!)
	done
	failed=0
	for k in "${PIDS[@]:1}"; do wait "$k" || failed=$((failed + 1)); done
	if [ "$failed" != 0 ]; then
		for k in 1 2 3; do bridge -n "$S-n$k" fdb show dev vxlan100; done
		"$LAB_IP" -n "$S-j3" neigh show
		cat "$BATS_TEST_TMPDIR/$S-f1.log"
	fi
	run lab_reached "$BATS_TEST_TMPDIR/$S-f1.log"
	assert_equal "$(wc -l <<<"$output")" 3
	run "$LAB_SH" down --prefix "$S"
	assert_success
	run ls /run/netns
	refute_output --partial "$S-"
	[ ! -e "$PARTICLE_LAB_DIR/$S" ]
}

@test "lab: Ctrl-C during up tears everything down" {
	local S=${P}i
	run timeout -s INT 1.5 "$LAB_SH" up --prefix "$S" --nodes 6 --tenants 2
	echo "$output"
	# give the trap its bounded teardown
	for _ in $(seq 1 100); do
		pgrep -f "lab.sh up --prefix $S " >/dev/null || break
		sleep 0.1
	done
	run ls /run/netns
	refute_output --partial "$S-"
	run pgrep -f "particle-lab/$S/"
	assert_failure
	[ ! -e "$PARTICLE_LAB_DIR/$S" ]
}
