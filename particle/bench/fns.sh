# SPDX-License-Identifier: GPL-2.0
# particle/bench/fns.sh: figure 7 (issue 11), sourced by run.sh (--only fns).
#
#   start   FNS_N functions of one job, each a tiny listener (busybox httpd)
#           until every one accepts a connection:
#             exec   ip particle exec JOB slot K busybox httpd -f -p PORT
#                    (wildcard; the slot guard makes it the slot's address)
#             plain  ip netns exec JOB unshare -mpuf --mount-proc
#                    busybox httpd -f -p ADDR:PORT (no guard, explicit bind)
#           fnstart.pl starts all FNS_N at once (one fork+exec each, no
#           shell) and connects to all FNS_N addresses from the job's
#           namespace (retrying each until it is accepted); the time is from
#           the first launch to the last accepted connection.
#   conn    connect+accept rate of one pair of functions (slot 1 -> slot 0,
#           CONN_N sequential connections, unbound client), both under exec
#           (guarded) or both under plain ip netns exec + unshare.
#   job     a whole job on node A, network plus FNS_JOB functions listening
#           (busybox httpd) until a client on node B has connected to every
#           one: particle (add, then exec per slot, wildcard) vs the
#           per-function overlay (perfn-batch of run.sh) and the CNI bridge
#           plugin (functions started with nsenter + unshare, explicit bind).
#           Network: the setup as runscript times it for every figure (cni:
#           the plugins' own time); functions: as in start, by fnstart.pl,
#           the client on node B.  job = network + functions.
# FNS_PARTS (default "start conn job") picks parts; FNS_JOB 1000 (full
# mode) also needs the ARP table: see fns_arp_ok.
# Raw: raw/fns.csv (rep,figure,system,n,ns); fig8.md and goals-fns.txt.

FNS_N=${FNS_N:-1000}
FNS_JOB=${FNS_JOB:-$([ "$MODE" = full ] && echo 1000 || echo 100)}
CONN_N=${CONN_N:-10000}
BUSYBOX=$(command -v busybox || true)

# fns_conn MODE PORT N ADDR: N sequential connect+close to ADDR:PORT,
# prints the elapsed ns (server: MODE serve, accepts forever).
FNS_CONN='use strict; use Socket; use Time::HiRes qw(time);
my ($mode, $port, $n, $a) = @ARGV;
if ($mode eq "serve") {
	socket(my $l, PF_INET, SOCK_STREAM, 0) or die;
	setsockopt($l, SOL_SOCKET, SO_REUSEADDR, 1);
	bind($l, sockaddr_in($port, $a eq "-" ? INADDR_ANY : inet_aton($a))) or die "bind: $!";
	listen($l, 4096) or die;
	while (accept(my $c, $l)) { close($c); }
	exit 0;
}
my $sin = sockaddr_in($port, inet_aton($a));
for (my $t = 0; ; $t++) {	# wait for the server
	socket(my $s, PF_INET, SOCK_STREAM, 0) or die;
	last if connect($s, $sin);
	die "no server\n" if $t > 2000;
	select(undef, undef, undef, 0.005);
}
my $t0 = time;
for (1 .. $n) {
	socket(my $s, PF_INET, SOCK_STREAM, 0) or die;
	connect($s, $sin) or die "connect: $!";
	close($s);
}
printf "%d\n", (time - $t0) * 1e9;'

# fns_job SYSTEM REP: one whole job of FNS_JOB functions: the network as
# runscript measures every system's setup (cni: the plugins' own time), then
# the functions as fnstart.pl measures them; the bench's bookkeeping in
# between is nobody's cost.
fns_job() {
	local sys=$1 rep=$2 d=$TMP/fjob/$1 i a ns net out addrs=() job f
	rm -rf "$d"
	gen "$sys" "$d" A 100 w "$FNS_JOB" 123
	presetup "$d"
	job=$(cat "$d/names")
	f=$d/fns
	for ((i = 0; i < FNS_JOB; i++)); do
		fn_addr a 123 A "$i"
		addrs+=("$a")
		if [ "$sys" = particle ]; then
			echo "$IP -n $ID-vA particle exec $job slot $i $BUSYBOX httpd -f -p 7100 -h /"
		else
			fn_ns ns "$sys" w A "$i"
			echo "$NSENTER --net=/run/netns/$ns $UNSHARE -mpuf --mount-proc --kill-child $BUSYBOX httpd -f -p ${addrs[i]}:7100 -h /"
		fi
	done >"$f"
	# the systems reuse the addresses: forget the last one's MACs
	"$STOCK" -n "$ID-fq" neigh flush all >>"$LOG" 2>&1
	if ! runscript "$d/add.script"; then
		say "fns: job $sys rep $rep: setup failed: $ST_FAIL"
		scrub "$d"
		return 1
	fi
	net=$RS_NS
	if [ "$FNS_BIG" = 1 ] && [ "$sys" != particle ]; then
		# 2 ARP entries per function would overflow the host's table:
		# the network alone, a lower bound of the whole job
		echo "$rep,jobnet,$sys,$FNS_JOB,$net" >>"$OUT/raw/fns.csv"
		say "$(printf '  rep %d job   %-12s %d functions: network alone %9.1f ms (functions not started: ARP)' \
			"$rep" "$sys" "$FNS_JOB" "$(ms "$net")")"
		runscript "$d/del.script" || scrub "$d"
		settle "$FNS_JOB"
		return 0
	fi
	# one ARP entry for all slots (they share eth0's MAC), not one each
	[ "$FNS_BIG" = 1 ] && "$STOCK" -n "$ID-fq" route add 10.123.0.0/17 via "${addrs[0]}" dev eth0 onlink >>"$LOG" 2>&1
	out=$(bgrun "$PERL" "$HERE/fnstart.pl" "$ID-fq" 7100 "$f" "${addrs[@]}" 2>>"$LOG")
	[ "$FNS_BIG" = 1 ] && "$STOCK" -n "$ID-fq" route del 10.123.0.0/17 >>"$LOG" 2>&1
	if [ "${out%% *}" = start ]; then
		out=${out#start }
		echo "$rep,job,$sys,$FNS_JOB,$((net + out))" >>"$OUT/raw/fns.csv"
		echo "$rep,jobnet,$sys,$FNS_JOB,$net" >>"$OUT/raw/fns.csv"
		echo "$rep,jobfns,$sys,$FNS_JOB,$out" >>"$OUT/raw/fns.csv"
		say "$(printf '  rep %d job   %-12s %d functions: %9.1f ms (network %.1f ms, functions %.1f ms)' \
			"$rep" "$sys" "$FNS_JOB" "$(ms $((net + out)))" "$(ms "$net")" "$(ms "$out")")"
	else
		say "fns: job $sys rep $rep: not every function accepted"
		echo "fns,job $sys rep $rep: not every function accepted" >>"$OUT/raw/failures.csv"
	fi
	runscript "$d/del.script" || scrub "$d"
	case $sys in particle*) settle 1 ;; *) settle "$FNS_JOB" ;; esac
}

# fns_start SYSTEM REP: one start of FNS_N functions (fnstart.pl, its
# client in the job's namespace), appends to fns.csv
fns_start() {
	local sys=$1 rep=$2 job=$ID-fn i a out addrs=() f=$TMP/fns.start
	"$IP" -n "$ID-vA" particle add "$job" vtep vx100 count "$FNS_N" \
		pool 10.120.0.1/16 >>"$LOG" 2>&1 || { say "fns: add failed"; return 1; }
	for ((i = 0; i < FNS_N; i++)); do
		ip4v a $(((10 << 24) + (120 << 16) + 1 + i))
		addrs+=("$a")
		if [ "$sys" = exec ]; then
			echo "$IP -n $ID-vA particle exec $job slot $i $BUSYBOX httpd -f -p 7100 -h /"
		else
			echo "$STOCK netns exec $job $UNSHARE -mpuf --mount-proc --kill-child $BUSYBOX httpd -f -p $a:7100 -h /"
		fi
	done >"$f"
	out=$(bgrun "$PERL" "$HERE/fnstart.pl" "$job" 7100 "$f" "${addrs[@]}" 2>>"$LOG")
	if [ "${out%% *}" = start ]; then
		out=${out#start }
		echo "$rep,start,$sys,$FNS_N,$out" >>"$OUT/raw/fns.csv"
		say "$(printf '  rep %d start %-6s %d functions: %9.1f ms (%.3f ms each)' "$rep" "$sys" "$FNS_N" \
			"$(ms "$out")" "$(ms $((out / FNS_N)))")"
	else
		say "fns: start $sys rep $rep: not every function accepted"
		echo "fns,start $sys rep $rep: not every function accepted" >>"$OUT/raw/failures.csv"
	fi
	# fnstart.pl killed what it started; ip netns exec leaves unshare
	for i in $("$STOCK" netns pids "$job" 2>/dev/null); do kill -9 "$i" 2>/dev/null; done
	"$IP" -n "$ID-vA" particle del "$job" >>"$LOG" 2>&1
	settle 1
}

# fns_conn_run SYSTEM REP: connect+accept rate of a pair
fns_conn_run() {
	local sys=$1 rep=$2 job=$ID-fc srv ns pre=()
	"$IP" -n "$ID-vA" particle add "$job" vtep vx100 count 2 pool 10.121.0.1/16 >>"$LOG" 2>&1 || return 1
	if [ "$sys" = exec ]; then
		pre=("$IP" -n "$ID-vA" particle exec "$job" slot)
		"${pre[@]}" 0 "$PERL" -e "$FNS_CONN" serve 7200 0 - >>"$LOG" 2>&1 &
		srv=$!
		ns=$(bgrun "${pre[@]}" 1 "$PERL" -e "$FNS_CONN" conn 7200 "$CONN_N" 10.121.0.1 2>>"$LOG")
	else
		pre=("$STOCK" netns exec "$job" "$UNSHARE" -mpuf --mount-proc --kill-child)
		"${pre[@]}" "$PERL" -e "$FNS_CONN" serve 7200 0 10.121.0.1 >>"$LOG" 2>&1 &
		srv=$!
		ns=$(bgrun "${pre[@]}" "$PERL" -e "$FNS_CONN" conn 7200 "$CONN_N" 10.121.0.1 2>>"$LOG")
	fi
	# unshare ignores SIGTERM while it waits: KILL (its child follows)
	kill -9 "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	"$IP" -n "$ID-vA" particle del "$job" >>"$LOG" 2>&1
	if [ -n "$ns" ]; then
		echo "$rep,conn,$sys,$CONN_N,$ns" >>"$OUT/raw/fns.csv"
		say "$(printf '  rep %d conn  %-6s %d connections: %9.1f ms (%d per s)' "$rep" "$sys" "$CONN_N" \
			"$(ms "$ns")" $((CONN_N * 1000000000 / ns)))"
	fi
	settle 1
}

FNS_PARTS=${FNS_PARTS:-start conn job}
want_fns() { case " $FNS_PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

# median of the ns of figure/system in fns.csv
fns_median() {
	awk -F, -v f="$1" -v s="$2" '$2 == f && $3 == s { print $5 }' "$OUT/raw/fns.csv" |
		sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

fig_fns() {
	local rep reps=${FNS_REPS:-3} sys list i
	[ "$PT_OK" = 1 ] || return 0
	[ -x "$BUSYBOX" ] || { say "fns: busybox missing (scripts/deps.sh test): n/a"; return 0; }
	"$IP" particle help 2>&1 | grep -q 'particle exec' || { say "fns: no ip particle exec: n/a"; return 0; }
	echo "rep,figure,system,n,ns" >"$OUT/raw/fns.csv"
	list=(exec plain)
	local sreps=$reps
	want_fns start || want_fns conn || sreps=0
	# the connection rates first: a start leaves 1000 mount and PID
	# namespaces for the kernel to tear down in the background
	for ((rep = 1; rep <= sreps; rep++)); do
		want_fns conn || break
		say "fns: connections, repetition $rep/$reps ($((SECONDS - T_START)) s)"
		for ((i = 0; i < 2; i++)); do
			sys=${list[$(((i + rep - 1) % 2))]}
			fns_conn_run "$sys" "$rep"
		done
	done
	for ((rep = 1; rep <= sreps; rep++)); do
		want_fns start || break
		say "fns: start, repetition $rep/$reps ($((SECONDS - T_START)) s)"
		for ((i = 0; i < 2; i++)); do
			sys=${list[$(((i + rep - 1) % 2))]}
			fns_start "$sys" "$rep"
		done
	done
	# whole jobs: the per-function systems at FNS_JOB
	local pf jlist jp jf jc
	pf=$(perfn_anchor)
	# each per-function namespace and the client learn each other: 2 ARP
	# entries per function in the host-wide table (gc_thresh3, 1024)
	FNS_BIG=0
	[ $((2 * FNS_JOB)) -gt "$ARP_BUDGET" ] && FNS_BIG=1
	want_fns job && if "$IP" -n "$ID-vB" particle add "$ID-fq" vtep vx100 count 1 pool 10.123.200.1/16 >>"$LOG" 2>&1; then
		jlist=(particle "$pf" cni)
		for ((rep = 1; rep <= ${FNS_JOB_REPS:-$JOB_REPS}; rep++)); do
			say "fns: whole job, repetition $rep ($((SECONDS - T_START)) s)"
			for ((i = 0; i < 3; i++)); do
				fns_job "${jlist[$(((i + rep - 1) % 3))]}" "$rep"
			done
		done
		"$IP" -n "$ID-vB" particle del "$ID-fq" >>"$LOG" 2>&1
	fi
	jp=$(fns_median job particle) jf=$(fns_median job "$pf") jc=$(fns_median job cni)
	local lb=""	# FNS_BIG: the per-function systems' network alone
	if [ "$FNS_BIG" = 1 ]; then
		jf=$(fns_median jobnet "$pf") jc=$(fns_median jobnet cni) lb=">= "
	fi
	local se sp ce cp
	se=$(fns_median start exec) sp=$(fns_median start plain)
	ce=$(fns_median conn exec) cp=$(fns_median conn plain)
	{
		echo "### Functions: start and connections under the slot guard (issue 11)"
		echo
		echo "Medians of $reps interleaved runs; exec = ip particle exec (guard, cgroup),"
		echo "plain = ip netns exec + unshare -mpuf --mount-proc (no guard)."
		echo
		echo "| figure | exec | plain | ratio |"
		echo "| --- | ---: | ---: | ---: |"
		[ -n "$se" ] && [ -n "$sp" ] && printf '| start %d listeners until all accept | %.1f ms | %.1f ms | %.2f× |\n' \
			"$FNS_N" "$(ms "$se")" "$(ms "$sp")" "$(awk -v a="$se" -v b="$sp" 'BEGIN { print a / b }')"
		[ -n "$ce" ] && [ -n "$cp" ] && printf '| connect+accept, %d sequential | %d/s | %d/s | %.3f |\n' \
			"$CONN_N" $((CONN_N * 1000000000 / ce)) $((CONN_N * 1000000000 / cp)) \
			"$(awk -v a="$ce" -v b="$cp" 'BEGIN { print b / a }')"
		[ -n "$jp" ] && printf '| whole job, network + %d functions listening and reached from node B | particle %.1f ms | %s %s%s ms, cni %s%s ms | %s%s×, %s%s× |\n' \
			"$FNS_JOB" "$(ms "$jp")" "$pf" "$lb" "${jf:+$(printf %.1f "$(ms "$jf")")}" "$lb" "${jc:+$(printf %.1f "$(ms "$jc")")}" \
			"$lb" "${jf:+$(awk -v a="$jf" -v b="$jp" 'BEGIN { printf "%.1f", a / b }')}" \
			"$lb" "${jc:+$(awk -v a="$jc" -v b="$jp" 'BEGIN { printf "%.1f", a / b }')}"
		for sys in particle "$pf" cni; do
			local n f fs="not started"
			n=$(fns_median jobnet "$sys") f=$(fns_median jobfns "$sys")
			[ -n "$f" ] && fs="$(ms "$f") ms"
			[ -n "$n" ] && printf '| ... of which %s: network, functions | %.1f ms | %s | |\n' \
				"$sys" "$(ms "$n")" "$fs"
		done
		echo
		[ "$FNS_BIG" = 1 ] && echo "With $FNS_JOB functions the per-function systems would need $((2 * FNS_JOB)) ARP entries (host-wide table, gc_thresh3 1024): their network setup alone is measured, a lower bound of their whole job; particle's client reaches all slots through one neighbour entry (they share eth0's MAC)." && echo
	} >"$OUT/fig8.md"
	{
		if [ -n "$se" ] && [ -n "$sp" ]; then
			awk -v a="$se" -v b="$sp" -v n="$FNS_N" 'BEGIN {
				d = (a - b) / n / 1e6; r = a / b
				printf "%s guard overhead per function (start of %d, exec vs plain): %.3f ms (goal <= 1 ms)\n", (d <= 1 ? "PASS" : "MISS"), n, d
				printf "%s start of %d functions, exec / plain: %.2fx (goal <= 1.3x)\n", (r <= 1.3 ? "PASS" : "MISS"), n, r }'
		else
			echo "n/a  guard overhead per function: no measurement"
		fi
		for x in "$pf:$jf" "cni:$jc"; do
			if [ -n "$jp" ] && [ -n "${x#*:}" ]; then
				awk -v a="${x#*:}" -v b="$jp" -v s="${x%%:*}" -v n="$FNS_JOB" -v lb="$lb" 'BEGIN { r = a / b
					printf "%s whole job (network + %d functions listening, connected), particle vs %s%s: %s%.1fx faster (goal >= 10x)\n", (r >= 10 ? "PASS" : "MISS"), n, s, (lb ? " (its network alone)" : ""), lb, r }'
			else
				echo "n/a  whole job particle vs ${x%%:*}: no measurement"
			fi
		done
		if [ -n "$ce" ] && [ -n "$cp" ]; then
			awk -v a="$ce" -v b="$cp" 'BEGIN { r = b / a
				printf "%s connect+accept rate, guarded / unguarded pair: %.3f (goal >= 0.95)\n", (r >= 0.95 ? "PASS" : "MISS"), r }'
		else
			echo "n/a  connect+accept rate: no measurement"
		fi
	} >"$OUT/goals-fns.txt"
	cat "$OUT/fig8.md" "$OUT/goals-fns.txt" >&2
}
