#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
# pbjob.pl: one or more burst-parallel jobs (tenants) from "job starts" to
# "last message" (Particle §5.1, Table 6).
#
#   pbjob.pl [--timeout S] --tenant NAME --setup SCRIPT [--setup SCRIPT...]
#            --fns FILE [--tenant ...]
#
# At t0 every tenant's setup scripts (one per node: the node agent's network
# setup, see pbrun.pl) start in parallel.  When all of a tenant's setup
# scripts are done, all of its functions (one command line each in FILE) are
# started at once.  A tenant is done when its last function has exited
# (functions exit right after their last reply).  Output, times in ns from t0:
#   tenant NAME fns K net NS end NS fail F
#   setup NAME SCRIPT NS
# Anything still running at the timeout is killed; its tenant reports fail.
use strict;
use warnings;
use File::Basename qw(dirname);
use POSIX ();
require(dirname(__FILE__) . '/pbrun.pl');	# parse_script, run_script, now_ns

my (@tenants, $cur);
my $timeout = 120;
while (@ARGV) {
	my $o = shift @ARGV;
	if ($o eq '--timeout') { $timeout = shift @ARGV; }
	elsif ($o eq '--tenant') { $cur = { name => shift(@ARGV), setup => [], fail => 0 }; push @tenants, $cur; }
	elsif ($o eq '--setup') { push @{$cur->{setup}}, shift @ARGV; }
	elsif ($o eq '--fns') { $cur->{fns} = shift @ARGV; }
	else { die "pbjob: unknown option $o\n"; }
}
die "pbjob: no tenant\n" unless @tenants;

# Parse everything before the clock starts.
for my $t (@tenants) {
	$t->{scripts} = [ map { [$_, main::parse_script($_)] } @{$t->{setup}} ];
	open(my $fh, '<', $t->{fns}) or die "pbjob: $t->{fns}: $!\n";
	$t->{cmds} = [ map { chomp; [split ' '] } grep { /\S/ && !/^#/ } <$fh> ];
	close($fh);
	$t->{log} = "$t->{fns}.log";
	open(my $lf, '>', $t->{log}) or die;
	close($lf);
}

my %kid;	# pid => [tenant, kind, script]

my $t0 = now_ns();
for my $t (@tenants) {
	$t->{pending_setup} = scalar @{$t->{scripts}};
	for my $s (@{$t->{scripts}}) {
		my $pid = fork() // die "pbjob: fork: $!\n";
		if ($pid == 0) {
			my ($total, $step, $fail) = main::run_script($s->[1]);
			open(my $o, '>', "$s->[0].stats");
			print $o main::format_stats($total, $step, $fail);
			close($o);
			print STDERR "pbjob: $s->[0]: $fail\n" if $fail;
			POSIX::_exit($fail ? 1 : 0);
		}
		$kid{$pid} = [$t, 'setup', $s->[0]];
	}
}

sub start_fns {
	my ($t) = @_;
	$t->{net} = now_ns() - $t0;
	$t->{running} = 0;
	for my $argv (@{$t->{cmds}}) {
		my $pid = fork() // die "pbjob: fork: $!\n";
		if ($pid == 0) {
			open(STDOUT, '>>', $t->{log});
			open(STDERR, '>>', $t->{log});
			{ no warnings "exec"; exec { $argv->[0] } @$argv; }
			POSIX::_exit(127);
		}
		$kid{$pid} = [$t, 'fn'];
		$t->{running}++;
	}
	$t->{end} = now_ns() - $t0 unless $t->{running};
}

my @setup_times;
my $deadline = $t0 + $timeout * 1e9;
while (%kid) {
	my $left = int(($deadline - now_ns()) / 1e9) + 1;
	my $pid = eval {
		local $SIG{ALRM} = sub { die "timeout\n"; };
		local $SIG{INT} = local $SIG{TERM} = sub { die "interrupted\n"; };
		alarm($left > 0 ? $left : 1);
		my $p = waitpid(-1, 0);
		alarm(0);
		$p;
	};
	if (!defined $pid) {
		chomp(my $why = $@);
		print STDERR "pbjob: $why, killing " . scalar(keys %kid) . " processes\n";
		# setup scripts stop their running command first (pbrun.pl);
		# functions die with unshare (--kill-child)
		for my $p (keys %kid) {
			kill($kid{$p}[1] eq 'setup' ? 'TERM' : 'KILL', $p);
			$kid{$p}[0]{fail}++;
		}
		while (waitpid(-1, 0) > 0) { }
		%kid = ();
		last;
	}
	last if $pid < 0;
	my $k = delete $kid{$pid} or next;
	my ($t, $kind, $script) = @$k;
	my $now = now_ns() - $t0;
	$t->{fail}++ if $? != 0;
	if ($kind eq 'setup') {
		push @setup_times, "setup $t->{name} $script $now";
		start_fns($t) if --$t->{pending_setup} == 0 && !$t->{fail};
	} else {
		$t->{end} = $now if --$t->{running} == 0;
	}
}
for my $t (@tenants) {
	printf "tenant %s fns %d net %d end %d fail %d\n", $t->{name},
		scalar @{$t->{cmds}}, $t->{net} // -1, $t->{end} // -1, $t->{fail};
}
print "$_\n" for @setup_times;
exit((grep { $_->{fail} } @tenants) ? 1 : 0);
