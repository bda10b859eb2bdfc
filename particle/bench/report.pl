#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
# report.pl OUTDIR: turn OUTDIR/raw/*.csv (written by run.sh) into tables
# (Markdown + CSV), the log-log plot (gnuplot) and the speed goals.
use strict;
use warnings;

my $out = shift or die "usage: report.pl OUTDIR\n";
my $raw = "$out/raw";

my %NAME = (
	'particle'       => 'ip particle (addrs)',
	'particle-anyip' => 'ip particle (anyip)',
	'paper'          => 'paper recipe (stock ip)',
	'perfn-step'     => 'per-function overlay, ip per step',
	'perfn-batch'    => 'per-function overlay, ip -batch per netns',
	'cni'            => 'CNI bridge + host-local',
);
my @ORDER = qw(particle particle-anyip paper perfn-batch perfn-step cni);

sub median {
	my @x = sort { $a <=> $b } @_;
	return undef unless @x;
	return @x % 2 ? $x[$#x / 2] : ($x[@x / 2 - 1] + $x[@x / 2]) / 2;
}
sub mean { my $s = 0; $s += $_ for @_; return @_ ? $s / @_ : undef; }
sub stdev {
	my $m = mean(@_); return undef unless defined $m && @_ > 1;
	my $s = 0; $s += ($_ - $m) ** 2 for @_;
	return sqrt($s / (@_ - 1));
}
sub min { my $m; for (@_) { $m = $_ if !defined $m || $_ < $m; } return $m; }
sub max { my $m; for (@_) { $m = $_ if !defined $m || $_ > $m; } return $m; }
sub fms { my $v = shift; return 'n/a' unless defined $v;
	return $v >= 100 ? sprintf('%.0f', $v) : $v >= 10 ? sprintf('%.1f', $v) : sprintf('%.2f', $v); }
sub fx { my $v = shift; return 'n/a' unless defined $v;
	return $v >= 100 ? sprintf('%.0f×', $v) : $v >= 10 ? sprintf('%.1f×', $v) : sprintf('%.2f×', $v); }
sub fpct { my $v = shift; return defined $v ? sprintf('%.0f %%', 100 * $v) : 'n/a'; }
sub fnum { my $n = shift; 1 while $n =~ s/^(\d+)(\d{3})/$1,$2/; return $n; }

sub readcsv {
	my ($f) = @_;
	open(my $fh, '<', $f) or return ();
	my $h = <$fh>;
	return () unless defined $h;
	chomp $h;
	my @k = split /,/, $h;
	my @rows;
	while (my $l = <$fh>) {
		chomp $l;
		next unless length $l;
		my @v = split /,/, $l, scalar @k;
		my %r; @r{@k} = @v;
		push @rows, \%r;
	}
	return @rows;
}
sub slurp { my $f = shift; open(my $fh, '<', $f) or return ''; local $/; return <$fh>; }
sub spew { my ($f, $s) = @_; open(my $fh, '>', $f) or die "$f: $!\n"; print $fh $s; close($fh); }

my $machine = slurp("$out/machine.txt");
my %cfg = map { /^(\w+)=(.*)$/ ? ($1, $2) : () } map { split ' ' } split /\n/, slurp("$raw/config.txt");
my $mode = $machine =~ /^mode: (\w+)/m ? $1 : 'unknown';
my $fns = $cfg{fns_per_node} // '?';

# ---------------------------------------------------------------- figure 1
my (%t, %ns);	# $t{op}{sys}{n} = [ms...]
for my $r (readcsv("$raw/sweep.csv")) {
	next if $r->{system} eq 'particle-s';
	push @{$t{$r->{op}}{$r->{system}}{$r->{n}}}, $r->{ns} / 1e6;
	$ns{$r->{n}} = 1;
}
my @N = sort { $a <=> $b } keys %ns;
my @S = grep { my $s = $_; grep { exists $t{$_}{$s} } keys %t } @ORDER;
sub stat1 {
	my ($op, $s, $n) = @_;
	my $v = $t{$op}{$s}{$n} or return;
	return (median(@$v), min(@$v), max(@$v), scalar @$v);
}
sub med { my @x = stat1(@_); return $x[0]; }
my $fig1md = '';
my $fig1compact = '';
my $fig1csv = "n,system,op,reps,median_ms,min_ms,max_ms,ratio_vs_particle\n";
if (@N) {
	$fig1md .= "| N | system | setup ms: median (min–max) | × ip particle | teardown ms: median (min–max) | × ip particle |\n";
	$fig1md .= "|---:|---|---:|---:|---:|---:|\n";
	for my $n (@N) {
		for my $s (@S) {
			my @a = stat1('add', $s, $n);
			next unless @a;
			my @d = stat1('del', $s, $n);
			my ($ra, $rd);
			my $pa = med('add', 'particle', $n);
			my $pd = med('del', 'particle', $n);
			$ra = $a[0] / $pa if $pa;
			$rd = $d[0] / $pd if $pd && @d;
			$fig1md .= sprintf "| %s | %s | %s (%s–%s) | %s | %s | %s |\n", fnum($n), $NAME{$s},
				fms($a[0]), fms($a[1]), fms($a[2]), fx($ra),
				@d ? sprintf('%s (%s–%s)', fms($d[0]), fms($d[1]), fms($d[2])) : 'n/a', fx($rd);
			for my $op (qw(add del)) {
				my @x = stat1($op, $s, $n);
				next unless @x;
				my $p = med($op, 'particle', $n);
				$fig1csv .= sprintf "%d,%s,%s,%d,%.3f,%.3f,%.3f,%s\n", $n, $s, $op, $x[3], @x[0..2],
					$p ? sprintf('%.2f', $x[0] / $p) : '';
			}
		}
	}
	my $reps = max(map { scalar @$_ } map { values %$_ } values %{$t{add}});
	$fig1md .= "\nMedians of $reps interleaved runs (systems round-robin in every repetition).\n";
	spew("$out/fig1.csv", $fig1csv);
	spew("$out/fig1.md", $fig1md);

	# compact: one row per system, setup median per N and ratio to particle
	$fig1compact = '| setup of one job, ms (× ip particle) | ' . join(' | ', map { 'N = ' . fnum($_) } @N) . " |\n";
	$fig1compact .= '|---|' . join('', map { '---:|' } @N) . "\n";
	for my $s (@S) {
		$fig1compact .= "| $NAME{$s} | " . join(' | ', map {
			my $m = med('add', $s, $_);
			my $p = med('add', 'particle', $_);
			!defined $m ? '–' : $s eq 'particle' || !$p ? fms($m) : sprintf('%s (%s)', fms($m), fx($m / $p));
		} @N) . " |\n";
	}
	$fig1compact .= "| teardown, ip particle | " . join(' | ', map { my $v = med('del', 'particle', $_); defined $v ? fms($v) : '–' } @N) . " |\n"
		if $t{del}{particle};

	# plot: one data block per system, columns n median min max, add and del
	my $dat = '';
	my (@plots, $i);
	for my $op (qw(add del)) {
		for my $s (@S) {
			my @rows = grep { defined } map { my @x = stat1($op, $s, $_); @x ? "$_ $x[0] $x[1] $x[2]" : undef } @N;
			next unless @rows;
			$dat .= "# $op $s\n" . join("\n", @rows) . "\n\n\n";
			push @plots, [$op, $s, $i++];
		}
	}
	spew("$out/fig1.dat", $dat);
	my %col = ('particle' => '#d62728', 'particle-anyip' => '#ff7f0e', 'paper' => '#2ca02c',
		'perfn-batch' => '#1f77b4', 'perfn-step' => '#9467bd', 'cni' => '#8c564b');
	my $gp = <<"EOF";
set terminal pngcairo size 1200,560 font ",10"
set output "$out/fig1.png"
set multiplot layout 1,2 title "Network setup of one job vs number of functions N (median, min–max), $mode run"
set logscale xy
set grid
set xlabel "N (functions / pool slots)"
set ylabel "time (ms)"
set format x "10^{%T}"
EOF
	for my $op (qw(add del)) {
		my @p = grep { $_->[0] eq $op } @plots;
		next unless @p;
		$gp .= sprintf "set title \"%s\"\n", $op eq 'add' ? 'setup (add)' : 'teardown (del)';
		# one key, in the empty upper right of the teardown panel
		$gp .= $op eq 'add' ? "unset key\n" : "set key at graph 0.98, graph 0.80 right top font \",9\" box opaque\n";
		$gp .= 'plot ' . join(", \\\n     ", map {
			my ($o, $s, $idx) = @$_;
			sprintf(qq{"%s/fig1.dat" index %d using 1:2:3:4 with yerrorlines lc rgb "%s" pt 7 ps 0.7 title "%s"},
				$out, $idx, $col{$s}, $NAME{$s});
		} @p) . "\n";
	}
	$gp .= "unset multiplot\n";
	spew("$out/fig1.gp", $gp);
	system('gnuplot', "$out/fig1.gp") == 0 or print STDERR "report: gnuplot failed\n";
}

# ---------------------------------------------------------------- figure 2
my $fig2md = '';
{
	# per-function overlay, one ip per step: label sums per repetition
	my (%lab, %cnt);
	my @rows = readcsv("$raw/steps.csv");
	my %want = map { $_ => 1 } qw(perfn-step cni paper);
	my %bd;	# {sys}{n}{label} = [ms per rep]
	for my $r (@rows) {
		next unless $want{$r->{system}} && $r->{op} eq 'add';
		for my $kv (split ' ', $r->{steps}) {
			my ($k, $v) = split /=/, $kv;
			push @{$bd{$r->{system}}{$r->{n}}{$k}}, $v / 1e6;
		}
	}
	my @LABELS = (
		['netns', 'S1 netns add (function namespace)'],
		['veth', 'S2 veth pair add (host namespace)'],
		['move-vtep', 'S3 move one end to the vtep namespace'],
		['move-fn', 'S4 move the other end to the function namespace'],
		['attach', 'S5 attach to the bridge'],
		['up', 'S5 set both ends up'],
		['addr', 'S6 add the address'],
	);
	my $n = (grep { $bd{'perfn-step'}{$_} } (100, 10, sort { $b <=> $a } keys %{$bd{'perfn-step'} || {}}))[0];
	if (defined $n) {
		my $b = $bd{'perfn-step'}{$n};
		my $tot = 0;
		$tot += median(@{$b->{$_->[0]}} ) // 0 for @LABELS;
		$fig2md .= "Per-function overlay with stock `ip`, one process per step, N = $n (cf. the paper's Table 3; medians over repetitions; every step includes one `ip` process start):\n\n";
		$fig2md .= "| step | time (ms) | per function (ms) | share |\n|---|---:|---:|---:|\n";
		for my $l (@LABELS) {
			my $m = median(@{$b->{$l->[0]} || []});
			next unless defined $m;
			$fig2md .= sprintf "| %s | %s | %s | %s |\n", $l->[1], fms($m), fms($m / $n), fpct($m / $tot);
		}
		$fig2md .= sprintf "| total | %s | %s | 100 %% |\n\n", fms($tot), fms($tot / $n);
	}
	for my $sys (qw(paper cni)) {
		my @ns = sort { $a <=> $b } keys %{$bd{$sys} || {}};
		next unless @ns;
		my $nn = (grep { $_ == 1000 } @ns) ? 1000 : (grep { $_ == 100 } @ns) ? 100 : $ns[-1];
		my $b = $bd{$sys}{$nn};
		my @k = sort keys %$b;
		@k = grep { $_ ne 'cni' } @k;
		my $tot = 0; $tot += median(@{$b->{$_}}) for @k;
		$fig2md .= sprintf "%s, N = %d: %s.\n\n", $NAME{$sys}, $nn,
			join(', ', map { sprintf '%s %s ms (%s)', $_ eq 'plugin' ? 'plugin ADDs' : $_,
				fms(median(@{$b->{$_}})), fpct(median(@{$b->{$_}}) / $tot) } @k);
	}
	# ip particle -s
	my %ph;	# {n}{phase} = [us]
	for my $r (readcsv("$raw/phases.csv")) {
		my $line = $r->{phases} // next;
		my @w = split ' ', $line;
		shift @w while @w && $w[0] ne 'phases';
		shift @w;
		while (@w >= 2) {
			my ($k, $v) = (shift @w, shift @w);
			$v =~ s/us$//;
			push @{$ph{$r->{n}}{$k}}, $v / 1000;
		}
	}
	if (%ph) {
		my @pn = sort { $a <=> $b } keys %ph;
		my @order;
		my %seen;
		for my $r (readcsv("$raw/phases.csv")) {
			my @w = split ' ', $r->{phases};
			shift @w while @w && $w[0] ne 'phases'; shift @w;
			for (my $i = 0; $i < @w; $i += 2) { push @order, $w[$i] unless $seen{$w[$i]}++; }
		}
		$fig2md .= "`ip -s particle add` phases (ms, medians):\n\n";
		$fig2md .= '| count | ' . join(' | ', @order) . " |\n|---:|" . join('', map { '---:|' } @order) . "\n";
		for my $n (@pn) {
			$fig2md .= sprintf "| %s | %s |\n", fnum($n), join(' | ', map { fms(median(@{$ph{$n}{$_} || []})) } @order);
		}
		$fig2md .= "\n";
	}
	spew("$out/fig2.md", $fig2md) if $fig2md;
}

# ---------------------------------------------------------------- figures 3 & 4
my $fig3md = '';
my @J = readcsv("$raw/jobs.csv");
if (@J) {
	my %j;	# {pattern/fns_per_node}{system} = [rows]
	push @{$j{"$_->{pattern}/$_->{fns_per_node}"}{$_->{system}}}, $_ for @J;
	my $csv = "pattern,system,fns_per_node,messages,runs,failed_runs,end_median_s,end_min_s,end_max_s,net_median_s,net_share,ratio_vs_particle\n";
	$fig3md .= "| job | system | functions | messages | job start → last message, s: median (min–max) | network setup, s | setup share | × ip particle |\n";
	$fig3md .= "|---|---|---:|---:|---:|---:|---:|---:|\n";
	my @groups = sort { my ($pa, $ka) = split m{/}, $a; my ($pb, $kb) = split m{/}, $b;
		($pa cmp $pb) || ($kb <=> $ka) } keys %j;
	for my $g (@groups) {
		my ($pat) = split m{/}, $g;
		my $pe;
		if (my $p = $j{$g}{particle}) {
			my @ok = grep { $_->{fail} == 0 && $_->{end_ns} > 0 } @$p;
			$pe = median(map { $_->{end_ns} / 1e9 } @ok) if @ok;
		}
		for my $s (@ORDER) {
			my $rows = $j{$g}{$s} or next;
			my @ok = grep { $_->{fail} == 0 && $_->{end_ns} > 0 } @$rows;
			my $nf = @$rows - @ok;
			my @e = map { $_->{end_ns} / 1e9 } @ok;
			my @nt = map { $_->{net_ns} / 1e9 } @ok;
			my $sh = @ok ? median(map { $_->{net_ns} / $_->{end_ns} } @ok) : undef;
			my $me = median(@e);
			my $r = defined $pe && defined $me ? $me / $pe : undef;
			$fig3md .= sprintf "| %s | %s | %d (2 × %d) | %s | %s | %s | %s | %s |\n",
				$pat eq 'agg' ? 'aggregation' : 'shuffle', $NAME{$s}, 2 * $rows->[0]{fns_per_node},
				$rows->[0]{fns_per_node}, fnum($rows->[0]{messages}),
				@ok ? sprintf('%.2f (%.2f–%.2f)', $me, min(@e), max(@e)) : 'failed',
				@ok ? sprintf('%.3f', median(@nt)) : 'n/a', fpct($sh), fx($r) .
				($nf ? " ($nf run(s) failed)" : '');
			$csv .= sprintf "%s,%s,%d,%d,%d,%d,%s,%s,%s,%s,%s,%s\n", $pat, $s, $rows->[0]{fns_per_node},
				$rows->[0]{messages}, scalar @$rows, $nf,
				map({ defined $_ ? sprintf('%.4f', $_) : '' } $me, min(@e), max(@e), median(@nt), $sh, $r);
		}
	}
	my $reps = max(map { scalar @$_ } map { values %$_ } values %j);
	$fig3md .= "\nTwo simulated nodes (network namespaces joined by an underlay veth, vxlan100 on a bridge in each, static FDB). "
		. "All functions of a job start at once as soon as the network of both nodes is set up (\"network setup\"); "
		. "every function is a process with its own mount/pid/uts namespaces (`unshare -mpuf`) in the job's (particle) or its own network namespace. "
		. "Aggregation: every function sends one message to a leader and waits for its reply; shuffle: every function of node A sends one message to every function of node B. "
		. "Median of $reps run(s).\n";
	my ($sk) = map { (split m{/})[1] } grep { m{^shuffle/} && keys(%{$j{$_}}) > 1 } @groups;
	$fig3md .= "\n**The shuffle of the per-function systems runs with $sk functions per node**: on one kernel, the ARP table is shared by all namespaces "
		. "(limit gc_thresh3, a host sysctl, 1024 by default) and a K × K per-function shuffle needs 2K² entries (100 × 100: 20,000), "
		. "which overflows it for the whole machine. ip particle needs 2K (one namespace per node) and also runs at full size.\n" if defined $sk;
	$fig3md .= "\n**Quick mode: $fns functions per node instead of the paper's 100.**\n" if $mode eq 'quick' && $fns ne '100';
	spew("$out/fig3.csv", $csv);
	spew("$out/fig3.md", $fig3md);
}
my $fig4md = '';
my @T = readcsv("$raw/tenants.csv");
if (@T) {
	my %g;	# {tenants} = [rows]
	push @{$g{$_->{tenants}}}, $_ for @T;
	my $csv = "tenants,fns_per_tenant_per_node,runs,per_tenant_mean_s,per_tenant_stdev_s,per_tenant_min_s,per_tenant_max_s,net_mean_s,failed\n";
	$fig4md .= "| tenants | functions per tenant | time per tenant, s (mean) | stdev across tenants, s | min–max, s | network setup, s (mean) |\n";
	$fig4md .= "|---:|---:|---:|---:|---:|---:|\n";
	for my $nt (sort { $a <=> $b } keys %g) {
		my @ok = grep { $_->{fail} == 0 && $_->{end_ns} > 0 } @{$g{$nt}};
		my $nf = @{$g{$nt}} - @ok;
		my @e = map { $_->{end_ns} / 1e9 } @ok;
		my @n = map { $_->{net_ns} / 1e9 } @ok;
		# spread: stdev across the tenants of one run, averaged over runs
		my %byrep; push @{$byrep{$_->{rep}}}, $_->{end_ns} / 1e9 for @ok;
		my @sd = grep { defined } map { stdev(@{$byrep{$_}}) } keys %byrep;
		my $sd = @sd ? mean(@sd) : undef;
		my $k = $g{$nt}[0]{fns_per_node};
		$fig4md .= sprintf "| %d | %d (2 × %d) | %s | %s | %s | %s |%s\n", $nt, 2 * $k, $k,
			@e ? sprintf('%.2f', mean(@e)) : 'failed', defined $sd ? sprintf('%.3f', $sd) : '–',
			@e ? sprintf('%.2f–%.2f', min(@e), max(@e)) : 'n/a', @n ? sprintf('%.3f', mean(@n)) : 'n/a',
			$nf ? " $nf tenant run(s) failed" : '';
		$csv .= sprintf "%d,%d,%d,%s,%s,%s,%s,%s,%d\n", $nt, $k, scalar(keys %byrep),
			map({ defined $_ ? sprintf('%.4f', $_) : '' } mean(@e), $sd, min(@e), max(@e), mean(@n)), $nf;
	}
	$fig4md .= "\nip particle, aggregation job per tenant (own VNI 101–105, own job namespace per node), all tenants start together; "
		. "same total functions (2 × $fns).\n";
	spew("$out/fig4.csv", $csv);
	spew("$out/fig4.md", $fig4md);
}

# ---------------------------------------------------------------- figure 5
my $fig5md = '';
my $tput_ratio;
my @P = readcsv("$raw/tput.csv");
if (@P) {
	my %b; push @{$b{$_->{system}}}, $_->{bits_per_second} / 1e9 for @P;
	my ($pf) = grep { /^perfn/ } keys %b;
	$fig5md .= "| path | Gbit/s: median (min–max) | runs |\n|---|---:|---:|\n";
	my $csv = "system,runs,median_gbps,min_gbps,max_gbps\n";
	for my $s (grep { $b{$_} } @ORDER) {
		my @x = @{$b{$s}};
		$fig5md .= sprintf "| %s | %.2f (%.2f–%.2f) | %d |\n", $NAME{$s}, median(@x), min(@x), max(@x), scalar @x;
		$csv .= sprintf "%s,%d,%.3f,%.3f,%.3f\n", $s, scalar @x, median(@x), min(@x), max(@x);
	}
	if ($b{particle} && $pf && median(@{$b{$pf}}) > 0) {
		$tput_ratio = median(@{$b{particle}}) / median(@{$b{$pf}});
		$fig5md .= sprintf "\nRatio particle / per-function veth: %.3f (iperf3 TCP, one stream, functions on different nodes, interleaved runs).\n", $tput_ratio;
	}
	spew("$out/fig5.csv", $csv);
	spew("$out/fig5.md", $fig5md);
}

# ---------------------------------------------------------------- figure 6
# Pool cost (issue 4): anyip with a big pool vs addrs with 10,000 addresses,
# user vs system CPU of the addrs add, and the kernel's own batch insert.
my $fig6md = '';
my (%pool, $pool_reps);	# $pool{sys}{n}{ms|user|sys|share} = [per run]
for my $r (readcsv("$raw/pools.csv")) {
	next unless $r->{op} eq 'add';
	my $p = $pool{$r->{system}}{$r->{n}} //= {};
	push @{$p->{ms}}, $r->{ns} / 1e6;
	push @{$p->{user}}, $r->{user_ns} / 1e6;
	push @{$p->{sys}}, $r->{sys_ns} / 1e6;
	push @{$p->{share}}, $r->{user_ns} / ($r->{user_ns} + $r->{sys_ns})
		if $r->{user_ns} + $r->{sys_ns} > 0;
}
my $pool_addrs = $cfg{pool_addrs} // 10000;
my $pool_anyip = $cfg{pool_anyip} // 100000;
sub pool1 {	# SYS N -> (median ms, min, max, user ms, sys ms, user share, runs)
	my ($s, $n) = @_;
	my $p = $pool{$s}{$n} or return;
	return (median(@{$p->{ms}}), min(@{$p->{ms}}), max(@{$p->{ms}}), median(@{$p->{user}}),
		median(@{$p->{sys}}), median(@{$p->{share} || []}), scalar @{$p->{ms}});
}
if (%pool) {
	my @rows = (['particle-anyip', $pool_anyip, 'ip particle, mode anyip'],
		['particle', $pool_addrs, 'ip particle, mode addrs'],
		['kbatch', $pool_addrs, "kernel's own batch insert: stock `ip -batch` of " . fnum($pool_addrs) . ' `addr add`, one device']);
	my $csv = "mode,count,runs,median_ms,min_ms,max_ms,user_ms,sys_ms,user_share\n";
	$fig6md .= "| mode | count | setup ms: median | min–max | user ms | sys ms |\n|---|---:|---:|---:|---:|---:|\n";
	for my $row (@rows) {
		my ($s, $n, $label) = @$row;
		my @x = pool1($s, $n);
		$pool_reps = $x[6] if @x && (!defined $pool_reps || $x[6] > $pool_reps);
		$fig6md .= @x ? sprintf("| %s | %s | %s | %s–%s | %s | %s |\n", $label, fnum($n), fms($x[0]),
			fms($x[1]), fms($x[2]), fms($x[3]), fms($x[4]))
			: sprintf("| %s | %s | n/a | | | |\n", $label, fnum($n));
		$csv .= sprintf("%s,%d,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%s\n", $s, $n, $x[6], @x[0..4],
			defined $x[5] ? sprintf('%.4f', $x[5]) : '') if @x;
	}
	my @a = pool1('particle-anyip', $pool_anyip);
	my @p = pool1('particle', $pool_addrs);
	my @k = pool1('kbatch', $pool_addrs);
	$fig6md .= "\nMedians of " . ($pool_reps // 0) . " interleaved runs on one node (the three round-robin in every repetition, "
		. "ip particle on the same vtep). user/sys: CPU time of the timed process and the helpers it waits for "
		. "(getrusage of the runner's children, outside the timed interval), medians. The kernel's batch runs in a scratch "
		. "namespace of ours on one end of a veth pair (both ends up), built before the clock starts; it adds as many "
		. "consecutive addresses (" . fnum($pool_addrs) . ") with the same prefix length (/16) as the addrs pool, "
		. "one request and one ACK per address.";
	$fig6md .= sprintf(' anyip %s slots / addrs %s: %s.', fnum($pool_anyip), fnum($pool_addrs), fx($a[0] / $p[0]))
		if @a && @p && $p[0];
	$fig6md .= sprintf(' addrs / kernel batch: %s (wall), %s (system CPU).', fx($p[0] / $k[0]),
		$k[4] ? fx($p[4] / $k[4]) : 'n/a') if @p && @k && $k[0];
	$fig6md .= sprintf(' User-space share of the addrs add: %s (median of the runs\' user / (user + sys)).',
		defined $p[5] ? sprintf('%.1f %%', 100 * $p[5]) : 'n/a') if @p;
	$fig6md .= "\n";
	spew("$out/fig6.csv", $csv);
	spew("$out/fig6.md", $fig6md);
}

# ---------------------------------------------------------------- goals
my @goals;
sub goal {
	my ($ok, $what, $val, $target, $why) = @_;
	my $st = !defined $ok ? 'n/a ' : $ok ? 'PASS' : 'MISS';
	push @goals, sprintf "%s %s: %s (goal %s)%s", $st, $what, $val // 'n/a', $target, $why ? " -- $why" : '';
}
{
	my $p1000 = med('add', 'particle', 1000);
	my $r1000 = med('add', 'paper', 1000);
	my $r = $p1000 && $r1000 ? $r1000 / $p1000 : undef;
	goal(defined $r ? $r >= 5 : undef, 'add count 1000 vs paper recipe',
		defined $r ? sprintf('%.1f× (%s ms vs %s ms)', $r, fms($p1000), fms($r1000)) : undef, '≥ 5×',
		defined $r ? '' : 'not measured');
	my $p100 = med('add', 'particle', 100);
	my @pf = grep { defined $_->[1] } map { [$_, med('add', $_, 100)] } qw(perfn-step perfn-batch);
	my ($anchor) = sort { $a->[1] <=> $b->[1] } @pf;
	$r = $p100 && $anchor ? $anchor->[1] / $p100 : undef;
	goal(defined $r ? $r >= 300 : undef, 'add count 100 vs per-function overlay ×100',
		defined $r ? sprintf('%.0f× (%s ms vs %s ms, anchor: %s)', $r, fms($p100), fms($anchor->[1]), $NAME{$anchor->[0]}) : undef,
		'≥ 300×', defined $r ? '' : 'not measured');
	my $c100 = med('add', 'cni', 100);
	$r = $p100 && $c100 ? $c100 / $p100 : undef;
	goal(defined $r ? $r >= 100 : undef, 'add count 100 vs CNI bridge ×100',
		defined $r ? sprintf('%.0f× (%s ms vs %s ms)', $r, fms($p100), fms($c100)) : undef, '≥ 100×',
		defined $r ? '' : 'not measured');
	my $a100 = med('add', 'particle-anyip', 100);
	my $abig = med('add', 'particle-anyip', 1000000);
	$r = $a100 && $abig ? $abig / $a100 : undef;
	goal(defined $r ? $r <= 1.3 : undef, 'anyip time at count 1,000,000 / at count 100',
		defined $r ? sprintf('%.2f (%s ms vs %s ms)', $r, fms($abig), fms($a100)) : undef, '≤ 1.3',
		defined $r ? '' : $cfg{anyip} ? 'count 1,000,000 not measured (see failures)' : 'mode anyip not supported');
	my $d1000 = med('del', 'particle', 1000);
	goal($p1000 && $d1000 ? $d1000 <= $p1000 : undef, 'del of a 1000-slot job vs its add',
		$p1000 && $d1000 ? sprintf('%s ms vs %s ms (%.2f)', fms($d1000), fms($p1000), $d1000 / $p1000) : undef,
		'del ≤ add', $p1000 && $d1000 ? '' : 'not measured');
	goal(defined $tput_ratio ? $tput_ratio >= 0.95 : undef, 'throughput particle / per-function veth',
		defined $tput_ratio ? sprintf('%.3f', $tput_ratio) : undef, '≥ 0.95',
		defined $tput_ratio ? '' : 'not measured');

	# figure 6 (issue 4): own wording, one line each
	my @a = pool1('particle-anyip', $pool_anyip);
	my @p = pool1('particle', $pool_addrs);
	my @k = pool1('kbatch', $pool_addrs);
	my $why = %pool ? 'not measured (see failures)' : 'not measured (figure pools not run)';
	push @goals, @a && @p
		? sprintf('%s anyip count %d faster than addrs count %d: %s ms vs %s ms -- %s, medians of %d runs',
			$a[0] < $p[0] ? 'PASS' : 'MISS', $pool_anyip, $pool_addrs, fms($a[0]), fms($p[0]),
			fx($a[0] / $p[0]), min($a[6], $p[6]))
		: sprintf('n/a  anyip count %d faster than addrs count %d: n/a -- %s', $pool_anyip, $pool_addrs,
			$cfg{anyip} || !%pool ? $why : 'mode anyip not supported');
	push @goals, @p && defined $p[5]
		? sprintf('%s addrs count %d user-space share of CPU: %.1f %% (goal ≤ 20 %%) -- user %s ms, sys %s ms',
			100 * $p[5] <= 20 ? 'PASS' : 'MISS', $pool_addrs, 100 * $p[5], fms($p[3]), fms($p[4]))
		: sprintf('n/a  addrs count %d user-space share of CPU: n/a (goal ≤ 20 %%) -- %s', $pool_addrs, $why);
	push @goals, @p && @k && $k[0]
		? sprintf("%s addrs count %d vs the kernel's own batch insert: %s ms vs %s ms (goal: no slower) -- %s; "
			. 'PASS up to 1.05×, 5 %% being the noise allowance; system CPU %s ms vs %s ms',
			$p[0] <= 1.05 * $k[0] ? 'PASS' : 'MISS', $pool_addrs, fms($p[0]), fms($k[0]), fx($p[0] / $k[0]),
			fms($p[4]), fms($k[4]))
		: sprintf("n/a  addrs count %d vs the kernel's own batch insert: n/a (goal: no slower) -- %s", $pool_addrs, $why);
}
push @goals, grep { /\S/ } split /\n/, slurp("$raw/goals-density.txt");	# figure 7
my $goals = join("\n", @goals) . "\n";
spew("$out/goals.txt", $goals);

# ---------------------------------------------------------------- summary
my $fail = slurp("$raw/failures.csv");
my ($cpu) = $machine =~ /^cpu: (.*)$/m;
my ($np) = $machine =~ /^nproc: (.*)$/m;
my ($kern) = $machine =~ /^kernel: (.*)$/m;
my ($date) = $machine =~ /^date: (.*)$/m;
my ($commit) = $machine =~ /^commit: (.*)$/m;
my $mline = sprintf '%s, %s CPUs, Linux %s; %s run of %s, commit %s', $cpu // '?', $np // '?', $kern // '?',
	$mode, $date // '?', $commit // '?';
my $sum = "# ip particle benchmark ($mode)\n\n```\n$machine```\n\n";
$sum .= "## Speed goals (spec)\n\n```\n$goals```\n\n";
$sum .= "## 1. Network setup and teardown vs N\n\n$fig1md\n![fig1](fig1.png)\n\n" if $fig1md;
$sum .= "## 2. Step breakdown\n\n$fig2md\n" if $fig2md;
$sum .= "## 3. Aggregation and shuffle on two nodes (§5.1)\n\n$fig3md\n" if $fig3md;
$sum .= "## 4. Multi-tenancy (Table 6)\n\n$fig4md\n" if $fig4md;
$sum .= "## 5. Throughput (§5.5)\n\n$fig5md\n" if $fig5md;
$sum .= "## 6. Pool cost (issue 4)\n\n$fig6md\n" if $fig6md;
my $fig7md = slurp("$out/fig7.md");
$sum .= "## 7. Density (issue 13)\n\n$fig7md\n![fig7](fig7.png)\n\n" if $fig7md;
$sum .= "## Failures and skipped measurements\n\n```\n$fail```\n" if $fail =~ /\S/;
spew("$out/summary.md", $sum);

# The section for README.particle (the lead pastes it).
my $rf = "## Benchmarks\n\n";
$rf .= "`make bench` (quick, < 5 min) and `make bench-full` run `particle/bench/run.sh`; results land in "
	. "`bench/results/` (Markdown, CSV, PNG, raw timings, machine description). Every system is measured in the same run, "
	. "interleaved, and compared with `ip particle` in that run, so the ratios hold even on a busy machine.\n\n";
$rf .= "Latest $mode run: $mline.\n\n";
$rf .= "### Network setup of one job with N functions\n\n$fig1compact\n"
	. "Medians of interleaved runs; per-function systems: one namespace and veth pair per function "
	. "(paper Fig. 2, stock `ip`), CNI: `bridge` + `host-local` plugins, one ADD per function; "
	. "paper recipe: one namespace, one veth pair moved twice, `ip -batch` of N `addr add`. "
	. "Full table with min–max and teardown: `bench/results/latest/fig1.md`.\n\n" if $fig1md;
$rf .= "![setup time vs N](doc/particle-bench.png)\n\n" if $fig1md;
$rf .= "### Speed goals\n\n```\n$goals```\n\n";
$rf .= "### Jobs on two nodes (aggregation, shuffle)\n\n$fig3md\n" if $fig3md;
$rf .= "### Multi-tenancy\n\n$fig4md\n" if $fig4md;
$rf .= "### Throughput\n\n$fig5md\n" if $fig5md;
$rf .= "### Pool cost: anyip vs addrs, and the kernel's own insert\n\n$fig6md\n" if $fig6md;
$rf .= "### Density: one more job with J jobs present\n\n$fig7md\n" if $fig7md;
spew("$out/README-figures.md", $rf);
print $goals;
