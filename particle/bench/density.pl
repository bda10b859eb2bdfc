#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
# density.pl OUTDIR: figure 7 (issue 13) from OUTDIR/raw/density*.csv
# (written by density.sh): fig7.md, fig7.csv, fig7.png (gnuplot) and the
# goals in OUTDIR/raw/goals-density.txt (report.pl adds them to goals.txt).
use strict;
use warnings;

my $out = shift or die "usage: density.pl OUTDIR\n";
my $raw = "$out/raw";

sub median {
	my @x = sort { $a <=> $b } grep { defined } @_;
	return undef unless @x;
	return @x % 2 ? $x[$#x / 2] : ($x[@x / 2 - 1] + $x[@x / 2]) / 2;
}
sub fms { my $v = shift; return 'n/a' unless defined $v;
	return $v >= 100 ? sprintf('%.0f', $v) : $v >= 10 ? sprintf('%.1f', $v) : sprintf('%.2f', $v); }
sub spew { my ($f, $s) = @_; open(my $fh, '>', $f) or die "$f: $!\n"; print $fh $s; close($fh); }
sub rows {
	my ($f) = @_;
	open(my $fh, '<', $f) or return ();
	my $h = <$fh>;
	chomp $h;
	my @k = split /,/, $h;
	my @r;
	while (<$fh>) {
		chomp;
		next unless length;
		my %x; @x{@k} = split /,/, $_, scalar @k;
		push @r, \%x;
	}
	return @r;
}

my %cfg;
if (open(my $fh, '<', "$raw/density-config.txt")) {
	%cfg = map { /^(\w+)=(.*)$/ ? ($1, $2) : () } split ' ', do { local $/; <$fh> };
}
# $t{layout}{j}{what} = [ms ...]; J = 0 is measured before the first sweep
# and again after each (repetitions past reps): $drift{layout}{what}{0 or 1}
my (%t, %J, %drift);
for (rows("$raw/density.csv")) {
	push @{$t{$_->{layout}}{$_->{j}}{$_->{what}}}, $_->{ns} / 1e6;
	$J{$_->{j}} = 1;
	push @{$drift{$_->{layout}}{$_->{what}}{$_->{rep} > ($cfg{reps} // 1e9) ? 1 : 0}}, $_->{ns} / 1e6
		if $_->{j} == 0;
}
# the -s phases: add's as ph_NAME, del's as dph_NAME
for my $f (['density-phases.csv', 'ph_'], ['density-delphases.csv', 'dph_']) {
	for my $r (rows("$raw/$f->[0]")) {
		my %p = $r->{phases} =~ /(\w+) (\d+)us/g;
		push @{$t{$r->{layout}}{$r->{j}}{"$f->[1]$_"}}, $p{$_} / 1e3 for keys %p;
	}
}
# $batch{layout}{op} = ms, n_op = jobs: of one sweep, the mean of the rounds
my %batch;
my $rounds = $cfg{rounds} || 1;
for my $r (rows("$raw/density-batch.csv")) {
	$batch{$r->{layout}}{$r->{op}} += $r->{ns} / 1e6 / $rounds;
	$batch{$r->{layout}}{"n_$r->{op}"} += $r->{n} / $rounds;
}
exit 0 unless %t;
my @J = sort { $a <=> $b } keys %J;
sub dm { my ($l, $j, $w) = @_; my $v = $t{$l}{$j}{$w} or return undef; return median(@$v); }

my @cols = (['add', 'add'], ['ph_lookup', 'lookup'], ['ph_netns', 'netns'], ['ph_link', 'link'],
	['ph_pool', 'pool'], ['add_user', 'add user CPU'], ['add_sys', 'add sys CPU'], ['del', 'del'],
	['dph_lookup', 'del lookup'], ['dph_netns', 'del netns'], ['dph_port', 'del port'], ['netns_add', 'stock netns add'], ['netns_del', 'stock netns del'],
	['veth_add', 'stock veth add'], ['veth_del', 'stock veth del'], ['dump', 'stock link show master']);
my $md = '| jobs on | J | ' . join(' | ', map { $_->[1] } @cols) . " |\n";
$md .= '|---|---:|' . ('---:|' x @cols) . "\n";
my $csv = 'layout,j,' . join(',', map { $_->[0] } @cols) . "\n";
my %LAY = (one => 'the same bridge', four => 'four other bridges');
for my $l (grep { $t{$_} } qw(one four)) {
	for my $j (@J) {
		next unless $t{$l}{$j};
		$md .= "| $LAY{$l} | $j | " . join(' | ', map { fms(dm($l, $j, $_->[0])) } @cols) . " |\n";
		$csv .= "$l,$j," . join(',', map { my $v = dm($l, $j, $_->[0]); defined $v ? sprintf('%.3f', $v) : '' } @cols) . "\n";
	}
}
my $reps = $cfg{reps} // '?';
$md .= "\nms, medians of $reps interleaved repetitions" . ($rounds > 1 ? " in each of $rounds sweeps" : '')
	. " (ip particle add -s + del, stock netns add + del, "
	. "stock veth add (up, on br200) + del in the vtep namespace entered with nsenter --net, stock `ip -br link show master br200`, round-robin) at each J; "
	. "jobs of count 4; the measured add takes the default pool of br200; the bridges have multicast snooping "
	. (($cfg{snoop} // 0) ? 'on (the kernel\'s default)' : 'off, as ip particle makes them') . ".\n";

# the kernel's own growth from J = 0 to the largest J, measured alongside
my ($j0, $jn) = ($J[0], $J[-1]);
my %g;
for my $l (qw(one four)) {
	my ($a0, $an) = (dm($l, $j0, 'add'), dm($l, $jn, 'add'));
	my ($d0, $dn) = (dm($l, $j0, 'del'), dm($l, $jn, 'del'));
	next unless defined $a0 && defined $an;
	my $kern = (dm($l, $jn, 'netns_add') // 0) - (dm($l, $j0, 'netns_add') // 0)
		+ (dm($l, $jn, 'veth_add') // 0) - (dm($l, $j0, 'veth_add') // 0);
	# del's: what stock netns del + stock veth del (a port of br200) grew by
	my $kdel = (dm($l, $jn, 'netns_del') // 0) - (dm($l, $j0, 'netns_del') // 0)
		+ (dm($l, $jn, 'veth_del') // 0) - (dm($l, $j0, 'veth_del') // 0);
	my $dump = (dm($l, $jn, 'dump') // 0) - (dm($l, $j0, 'dump') // 0);
	# del's port phase: from the request until the kernel unlists the
	# port, the kernel's bridge work (br_stp_disable_port) almost all
	my ($p0, $pn) = (dm($l, $j0, 'dph_port'), dm($l, $jn, 'dph_port'));
	my $dport = defined $p0 && defined $pn ? $pn - $p0 : undef;
	$g{$l} = { a0 => $a0, an => $an, d0 => $d0, dn => $dn, kern => $kern, kdel => $kdel, dump => $dump,
		dport => $dport };
}
my @b;
for my $l (grep { $batch{$_} } qw(one four)) {
	push @b, sprintf('%s: %d jobs added in %s ms (ip -batch, %s per job), %d deleted in %s ms (one ip -batch, %s per job)',
		$LAY{$l}, $batch{$l}{n_add} // 0, fms($batch{$l}{add}),
		$batch{$l}{n_add} ? fms($batch{$l}{add} / $batch{$l}{n_add}) : 'n/a',
		$batch{$l}{n_del} // 0, fms($batch{$l}{del}),
		$batch{$l}{n_del} ? fms($batch{$l}{del} / $batch{$l}{n_del}) : 'n/a');
}
$md .= "\nBatches" . ($rounds > 1 ? " (the mean of $rounds sweeps)" : '') . ': ' . join('; ', @b) . ".\n" if @b;
for my $l (grep { $drift{$_} && $drift{$_}{add}{1} } qw(one four)) {
	$md .= sprintf("\nJ = 0 (%s) before the first sweep and after each: add %s / %s ms, del %s / %s ms; its figures above are the medians of all.\n",
		$LAY{$l}, map { fms(median(@{$drift{$l}{$_->[0]}{$_->[1]} // []})) } [add => 0], [add => 1], [del => 0], [del => 1]);
}
if ($g{one}) {
	$md .= sprintf("\nKernel's own growth of an add from J = %d to %d (same bridge), measured in the same run: "
		. "stock netns add + stock veth add grew by %s ms; the kernel's listing of the bridge's ports "
		. "(stock link show master) by %s ms. User-space CPU of the add (ip and its helper): %s ms at J = %d, %s ms at J = %d; "
		. "system CPU: %s ms, %s ms.\n", $j0, $jn, fms($g{one}{kern}), fms($g{one}{dump}),
		fms(dm('one', $j0, 'add_user')), $j0, fms(dm('one', $jn, 'add_user')), $jn,
		fms(dm('one', $j0, 'add_sys')), fms(dm('one', $jn, 'add_sys')));
	$md .= sprintf("\nKernel's own growth of a del from J = %d to %d (same bridge): stock netns del + stock veth del "
		. "grew by %s ms (the stock veth del waits for the kernel's RCU barrier, which varies by tens of ms: read it "
		. "with its spread in density.csv). User-space CPU of the del: %s ms at J = %d, %s ms at J = %d; system CPU: %s ms, %s ms.\n",
		$j0, $jn, fms($g{one}{kdel}), fms(dm('one', $j0, 'del_user')), $j0, fms(dm('one', $jn, 'del_user')), $jn,
		fms(dm('one', $j0, 'del_sys')), fms(dm('one', $jn, 'del_sys')));
}
spew("$out/fig7.md", $md);
spew("$out/fig7.csv", $csv);

# plot: add and del against J, both layouts, with the stock anchors
my $dat = '';
my @series = (['one', 'add', 'add, same bridge', '#d62728', 7], ['one', 'del', 'del, same bridge', '#1f77b4', 7],
	['four', 'add', 'add, 4 other bridges', '#d62728', 5], ['four', 'del', 'del, 4 other bridges', '#1f77b4', 5],
	['one', 'ph_lookup', 'add: lookup phase, same bridge', '#ff7f0e', 9],
	['one', 'netns_add', 'stock ip netns add', '#2ca02c', 13], ['one', 'veth_add', 'stock veth add', '#9467bd', 13]);
my @plots;
my $idx = 0;
for my $s (@series) {
	my ($l, $w, $title, $col, $pt) = @$s;
	my @r = map { my $v = dm($l, $_, $w); defined $v ? "$_ $v" : () } @J;
	next unless @r;
	$dat .= "# $l $w\n" . join("\n", @r) . "\n\n\n";
	my $dash = $l eq 'four' ? ' dt 2' : $w =~ /^(netns|veth)/ ? ' dt 3' : '';
	push @plots, sprintf('"%s/fig7.dat" index %d with linespoints lw 2 pt %d lc rgb "%s"%s title "%s"',
		$out, $idx++, $pt, $col, $dash, $title);
}
spew("$out/fig7.dat", $dat);
my $gp = <<"EOF";
set terminal pngcairo size 900,560 font ",10"
set output "$out/fig7.png"
set title "One more job (count 4) with J jobs already on the host (median of $reps)"
set grid
set key top left
set xlabel "J (jobs already present)"
set ylabel "time (ms)"
set xrange [-20:*]
set yrange [0:*]
plot @{[join(", \\\n     ", @plots)]}
EOF
spew("$out/fig7.gp", $gp);
system('gnuplot', "$out/fig7.gp") == 0 or print STDERR "density: gnuplot failed\n" if @plots;

# goals (issue 13)
my @goals;
sub goal {
	my ($ok, $what, $val, $target) = @_;
	push @goals, sprintf '%s %s: %s (goal %s)', !defined $ok ? 'n/a ' : $ok ? 'PASS' : 'MISS', $what, $val // 'n/a', $target;
}
my $l1 = dm('one', $jn, 'ph_lookup');
goal(defined $l1 ? $l1 <= 1 : undef, "density: lookup phase at J = $jn on one bridge",
	defined $l1 ? sprintf('%s ms (%s ms at J = %d)', fms($l1), fms(dm('one', $j0, 'ph_lookup')), $j0) : undef, '≤ 1 ms');
my $l4 = dm('four', $jn, 'ph_lookup');
goal(defined $l4 ? $l4 <= 0.3 : undef, "density: lookup phase, $jn jobs on four other bridges",
	defined $l4 ? sprintf('%s ms', fms($l4)) : undef, '≤ 0.3 ms');
if (my $x = $g{one}) {
	my $adj = $x->{an} - $x->{kern};
	goal($adj <= 1.5 * $x->{a0}, "density: add at J = $jn vs J = 0, the kernel's growth set aside",
		sprintf('%s ms - %s ms (stock netns + veth growth) = %s ms vs %s ms: %.2f× (raw %.2f×)',
			fms($x->{an}), fms($x->{kern}), fms($adj), fms($x->{a0}), $adj / $x->{a0}, $x->{an} / $x->{a0}), '≤ 1.5×');
	goal(defined $x->{dn} && defined $x->{d0} ? $x->{dn} <= 1.5 * $x->{d0} : undef, "density: del at J = $jn vs J = 0",
		defined $x->{dn} && $x->{d0} ? sprintf('%s ms vs %s ms: %.2f×', fms($x->{dn}), fms($x->{d0}), $x->{dn} / $x->{d0}) : undef, '≤ 1.5×');
	if (defined $x->{dn} && $x->{d0} && defined $x->{dport}) {
		my $dadj = $x->{dn} - $x->{dport};
		goal($dadj <= 1.5 * $x->{d0}, "density: del at J = $jn vs J = 0, its port phase's growth set aside",
			sprintf('%s ms - %s ms (port phase growth: the kernel unlisting a bridge port) = %s ms vs %s ms: %.2f× (raw %.2f×)',
				fms($x->{dn}), fms($x->{dport}), fms($dadj), fms($x->{d0}), $dadj / $x->{d0}, $x->{dn} / $x->{d0}), '≤ 1.5×');
	}
	if (defined $x->{dn} && $x->{d0}) {
		my $dadj = $x->{dn} - $x->{kdel};
		# the stock veth del's RCU wait can grow more than the whole del
		goal($dadj < 0 ? undef : $dadj <= 1.5 * $x->{d0}, "density: del at J = $jn vs J = 0, the kernel's growth set aside",
			$dadj < 0 ? sprintf('the stock del growth (%s ms) exceeds del at J = %d (%s ms): read the raw ratio',
				fms($x->{kdel}), $jn, fms($x->{dn})) :
			sprintf('%s ms - %s ms (stock netns + veth del growth) = %s ms vs %s ms: %.2f× (raw %.2f×)',
				fms($x->{dn}), fms($x->{kdel}), fms($dadj), fms($x->{d0}), $dadj / $x->{d0}, $x->{dn} / $x->{d0}), '≤ 1.5×');
	}
}
if ($g{one} && $batch{one} && $batch{one}{n_add} && defined $batch{one}{del} && defined $g{one}{d0}) {
	my $n = $batch{one}{n_add};
	my $bt = $batch{one}{add} + $batch{one}{del};
	my $ref = $n * ($g{one}{a0} + $g{one}{d0});
	goal($bt <= 2 * $ref, "density: $n-job batch add + batch del vs $n × (add + del at J = 0)",
		sprintf('%s ms vs %s ms: %.2f×', fms($bt), fms($ref), $bt / $ref), '≤ 2×');
}
spew("$raw/goals-density.txt", join("\n", @goals) . "\n");
print join("\n", @goals), "\n";
