# SPDX-License-Identifier: GPL-2.0
# particle/bench/fns.sh: figure 7 (issue 11), sourced by run.sh (--only fns).
#
#   start   FNS_N functions of one job, each a tiny listener (busybox httpd)
#           until every one accepts a connection:
#             exec   ip particle exec JOB slot K busybox httpd -f -p PORT
#                    (wildcard; the slot guard makes it the slot's address)
#             plain  ip netns exec JOB unshare -mpuf --mount-proc
#                    busybox httpd -f -p ADDR:PORT (no guard, explicit bind)
#           a client in the job connects to all FNS_N addresses (retrying
#           each until it is accepted); the time is from the first launch
#           to the last accepted connection.
#   conn    connect+accept rate of one pair of functions (slot 1 -> slot 0,
#           CONN_N sequential connections, unbound client), both under exec
#           (guarded) or both under plain ip netns exec + unshare.
#   job     a whole job on node A, network plus FNS_JOB functions listening
#           (busybox httpd) until a client on node B has connected to every
#           one: particle (add, then exec per slot, wildcard) vs the
#           per-function overlay (perfn-batch of run.sh) and the CNI bridge
#           plugin (functions started with nsenter + unshare, explicit bind).
# Raw: raw/fns.csv (rep,figure,system,n,ns); fig8.md and goals-fns.txt.

FNS_N=${FNS_N:-1000}
FNS_JOB=${FNS_JOB:-$([ "$MODE" = full ] && echo 1000 || echo 100)}
CONN_N=${CONN_N:-3000}
BUSYBOX=$(command -v busybox || true)

# fns_client PORT ADDR...: connect to each, retrying until accepted.
FNS_CLIENT='use strict; use Socket;
my $port = shift;
for my $a (@ARGV) {
	my $sin = sockaddr_in($port, inet_aton($a));
	for (my $t = 0; ; $t++) {
		socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
		last if connect($s, $sin);
		close($s);
		die "no listener on $a:$port\n" if $t > 6000;
		select(undef, undef, undef, 0.005);
	}
}'

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

fns_now() { date +%s%N; }

# fns_job SYSTEM REP: one whole job of FNS_JOB functions
fns_job() {
	local sys=$1 rep=$2 d=$TMP/fjob/$1 i a ns t0 t1 addrs=() pids=() job
	rm -rf "$d"
	gen "$sys" "$d" A 100 w "$FNS_JOB" 123
	presetup "$d"
	for ((i = 0; i < FNS_JOB; i++)); do
		fn_addr a 123 A "$i"
		addrs+=("$a")
	done
	job=$(cat "$d/names")
	# the systems reuse the addresses: forget the last one's MACs
	"$STOCK" -n "$ID-fq" neigh flush all >>"$LOG" 2>&1
	t0=$(fns_now)
	if ! runscript "$d/add.script"; then
		say "fns: job $sys rep $rep: setup failed: $ST_FAIL"
		scrub "$d"
		return 1
	fi
	for ((i = 0; i < FNS_JOB; i++)); do
		if [ "$sys" = particle ]; then
			"$IP" -n "$ID-vA" particle exec "$job" slot "$i" \
				"$BUSYBOX" httpd -f -p 7100 -h / >>"$LOG" 2>&1 &
		else
			fn_ns ns "$sys" w A "$i"
			"$NSENTER" --net="/run/netns/$ns" "$UNSHARE" -mpuf --mount-proc --kill-child \
				"$BUSYBOX" httpd -f -p "${addrs[i]}:7100" -h / >>"$LOG" 2>&1 &
		fi
		pids+=($!)
	done
	BGPIDS="$BGPIDS ${pids[*]}"
	if bgrun "$NSENTER" --net="/run/netns/$ID-fq" "$PERL" -e "$FNS_CLIENT" 7100 "${addrs[@]}" >>"$LOG" 2>&1; then
		t1=$(fns_now)
		echo "$rep,job,$sys,$FNS_JOB,$((t1 - t0))" >>"$OUT/raw/fns.csv"
		say "$(printf '  rep %d job   %-12s %d functions: %9.1f ms' "$rep" "$sys" "$FNS_JOB" "$(ms $((t1 - t0)))")"
	else
		say "fns: job $sys rep $rep: not every function accepted"
		echo "fns,job $sys rep $rep: not every function accepted" >>"$OUT/raw/failures.csv"
	fi
	kill -9 "${pids[@]}" 2>/dev/null
	wait "${pids[@]}" 2>/dev/null
	BGPIDS=${BGPIDS% "${pids[*]}"}
	runscript "$d/del.script" || scrub "$d"
	case $sys in particle*) settle 1 ;; *) settle "$FNS_JOB" ;; esac
}

# fns_start SYSTEM REP: one start of FNS_N functions, appends to fns.csv
fns_start() {
	local sys=$1 rep=$2 job=$ID-fn i a t0 t1 addrs=() pids=()
	"$IP" -n "$ID-vA" particle add "$job" vtep vx100 count "$FNS_N" \
		pool 10.120.0.1/16 >>"$LOG" 2>&1 || { say "fns: add failed"; return 1; }
	for ((i = 0; i < FNS_N; i++)); do
		ip4v a $(((10 << 24) + (120 << 16) + 1 + i))
		addrs+=("$a")
	done
	t0=$(fns_now)
	for ((i = 0; i < FNS_N; i++)); do
		if [ "$sys" = exec ]; then
			"$IP" -n "$ID-vA" particle exec "$job" slot "$i" \
				"$BUSYBOX" httpd -f -p 7100 -h / >>"$LOG" 2>&1 &
		else
			"$STOCK" netns exec "$job" "$UNSHARE" -mpuf --mount-proc --kill-child \
				"$BUSYBOX" httpd -f -p "${addrs[i]}:7100" -h / >>"$LOG" 2>&1 &
		fi
		pids+=($!)
	done
	BGPIDS="$BGPIDS ${pids[*]}"
	if bgrun "$NSENTER" --net="/run/netns/$job" "$PERL" -e "$FNS_CLIENT" 7100 "${addrs[@]}" >>"$LOG" 2>&1; then
		t1=$(fns_now)
		echo "$rep,start,$sys,$FNS_N,$((t1 - t0))" >>"$OUT/raw/fns.csv"
		say "$(printf '  rep %d start %-6s %d functions: %9.1f ms (%.3f ms each)' "$rep" "$sys" "$FNS_N" \
			"$(ms $((t1 - t0)))" "$(ms $(((t1 - t0) / FNS_N)))")"
	else
		say "fns: start $sys rep $rep: not every function accepted"
		echo "fns,start $sys rep $rep: not every function accepted" >>"$OUT/raw/failures.csv"
	fi
	# del kills exec's functions (cgroup.kill); plain ones by hand
	kill "${pids[@]}" 2>/dev/null
	for i in $("$STOCK" netns pids "$job" 2>/dev/null); do kill -9 "$i" 2>/dev/null; done
	wait "${pids[@]}" 2>/dev/null
	BGPIDS=${BGPIDS% "${pids[*]}"}
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
	for ((rep = 1; rep <= reps; rep++)); do
		say "fns: repetition $rep/$reps ($((SECONDS - T_START)) s)"
		for ((i = 0; i < 2; i++)); do
			sys=${list[$(((i + rep - 1) % 2))]}
			fns_start "$sys" "$rep"
		done
		for ((i = 0; i < 2; i++)); do
			sys=${list[$(((i + rep - 1) % 2))]}
			fns_conn_run "$sys" "$rep"
		done
	done
	# whole jobs: the per-function systems at FNS_JOB
	local pf jlist jp jf jc
	pf=$(perfn_anchor)
	if "$IP" -n "$ID-vB" particle add "$ID-fq" vtep vx100 count 1 pool 10.123.200.1/16 >>"$LOG" 2>&1; then
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
		[ -n "$jp" ] && printf '| whole job, network + %d functions listening and reached from node B | particle %.1f ms | %s %s ms, cni %s ms | %s×, %s× |\n' \
			"$FNS_JOB" "$(ms "$jp")" "$pf" "${jf:+$(ms "$jf")}" "${jc:+$(ms "$jc")}" \
			"${jf:+$(awk -v a="$jf" -v b="$jp" 'BEGIN { printf "%.1f", a / b }')}" \
			"${jc:+$(awk -v a="$jc" -v b="$jp" 'BEGIN { printf "%.1f", a / b }')}"
		echo
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
				awk -v a="${x#*:}" -v b="$jp" -v s="${x%%:*}" -v n="$FNS_JOB" 'BEGIN { r = a / b
					printf "%s whole job (network + %d functions listening, connected), particle vs %s: %.1fx faster (goal >= 10x)\n", (r >= 10 ? "PASS" : "MISS"), n, s, r }'
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
