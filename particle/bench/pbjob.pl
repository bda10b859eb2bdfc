#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
# pbjob.pl: one or more burst-parallel jobs (tenants) from "job starts" to
# "last message" (Particle §5.1, Table 6).
#
#   pbjob.pl [--timeout S] --tenant NAME --setup SCRIPT [--setup SCRIPT...]
#            --fns FILE [--tenant ...]
#
# At t0 every tenant's agent (one process per tenant, so that tenants do not
# wait for each other's bookkeeping) starts its setup scripts (one per node:
# that node's network setup, see pbrun.pl) in parallel.  When all of them
# are done, the agent starts all of the tenant's functions (one command line
# each in FILE) at once.  A tenant is done when its last function has exited
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
	elsif ($o eq '--tenant') { $cur = { name => shift(@ARGV), setup => [] }; push @tenants, $cur; }
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
	$t->{result} = "$t->{fns}.result";
	open(my $lf, '>', $t->{log}) or die;
	close($lf);
	unlink($t->{result});
}

# wait_all(\%kid, deadline, on_exit): reap children until none is left or
# the deadline passes / a signal comes (then: TERM the setup scripts, which
# stop their running command, KILL the rest).  Returns 0 if interrupted.
sub wait_all {
	my ($kid, $deadline, $on_exit) = @_;
	while (%$kid) {
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
			print STDERR "pbjob: $why, stopping " . scalar(keys %$kid) . " processes\n";
			kill($kid->{$_} eq 'fn' ? 'KILL' : 'TERM', $_) for keys %$kid;
			while (waitpid(-1, 0) > 0) { }
			%$kid = ();
			return 0;
		}
		last if $pid < 0;
		my $kind = delete $kid->{$pid} // next;
		$on_exit->($kind, $?);
	}
	return 1;
}

my $t0 = now_ns();
my $deadline = $t0 + $timeout * 1e9;

sub tenant_agent {
	my ($t) = @_;
	my (%kid, @setup_times, $net, $end);
	my $fail = 0;
	for my $s (@{$t->{scripts}}) {
		my $pid = fork() // die "pbjob: fork: $!\n";
		if ($pid == 0) {
			my ($total, $step, $f) = main::run_script($s->[1]);
			open(my $o, '>', "$s->[0].stats");
			print $o main::format_stats($total, $step, $f);
			close($o);
			print STDERR "pbjob: $s->[0]: $f\n" if $f;
			POSIX::_exit($f ? 1 : 0);
		}
		$kid{$pid} = $s->[0];
	}
	my $ok = wait_all(\%kid, $deadline, sub {
		my ($script, $st) = @_;
		$fail++ if $st != 0;
		push @setup_times, "setup $t->{name} $script " . (now_ns() - $t0);
	});
	$fail++ unless $ok;
	if (!$fail) {
		$net = now_ns() - $t0;
		for my $argv (@{$t->{cmds}}) {
			my $pid = fork() // die "pbjob: fork: $!\n";
			if ($pid == 0) {
				open(STDOUT, '>>', $t->{log});
				open(STDERR, '>>', $t->{log});
				{ no warnings 'exec'; exec { $argv->[0] } @$argv; }
				POSIX::_exit(127);
			}
			$kid{$pid} = 'fn';
		}
		$ok = wait_all(\%kid, $deadline, sub { $fail++ if $_[1] != 0; });
		$end = now_ns() - $t0;
		$fail++ unless $ok;
	}
	open(my $o, '>', $t->{result}) or die;
	printf $o "tenant %s fns %d net %d end %d fail %d\n", $t->{name},
		scalar @{$t->{cmds}}, $net // -1, $ok ? $end // -1 : -1, $fail;
	print $o "$_\n" for @setup_times;
	close($o);
	POSIX::_exit(0);
}

my %agents;
for my $t (@tenants) {
	my $pid = fork() // die "pbjob: fork: $!\n";
	tenant_agent($t) if $pid == 0;
	$agents{$pid} = 'agent';
}
# The agents watch their own deadline; give them a moment more.
wait_all(\%agents, $deadline + 5e9, sub { });
my $rc = 0;
for my $t (@tenants) {
	if (open(my $fh, '<', $t->{result})) {
		my @l = <$fh>;
		print @l;
		$rc = 1 if $l[0] !~ / fail 0$/;
	} else {
		printf "tenant %s fns %d net -1 end -1 fail 1\n", $t->{name}, scalar @{$t->{cmds}};
		$rc = 1;
	}
}
exit $rc;
