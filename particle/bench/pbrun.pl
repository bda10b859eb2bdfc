#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
# pbrun.pl: run a command script and time it with CLOCK_MONOTONIC.
#
#   pbrun.pl SCRIPT [STATSFILE]
#
# Every system of the benchmark is expressed as such a script, so that all of
# them are timed by the same code: one fork+exec per line (exactly what an
# agent calling "ip" once per step pays), nothing else inside the measured
# interval.  The script is parsed before the clock starts.
#
# Script lines:
#   # comment, blank lines ignored
#   %netns NAME      move this runner (net namespace only, like nsenter --net)
#                    into /run/netns/NAME; the mount namespace is unchanged,
#                    so "ip netns add" still creates visible namespaces
#   LABEL  [VAR=val ...] /path/cmd arg ... [<INFILE] [>OUTFILE] [>>OUTFILE]
#                    words are separated by blanks; no quoting
#
# Output (STATSFILE or stdout):
#   total NS
#   step LABEL NS COUNT        (sum of the lines with that label)
# A failing line stops the script: "fail LINENO STATUS" is written, exit 1.
use strict;
use warnings;
use POSIX ();
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

my %SYS_SETNS = (x86_64 => 308, aarch64 => 268, i686 => 346, i386 => 346,
	armv7l => 375, riscv64 => 268, ppc64le => 350, s390x => 339);

sub now_ns { return int(clock_gettime(CLOCK_MONOTONIC) * 1e9); }

sub setns_net {
	my ($name) = @_;
	my $path = $name =~ m{/} ? $name : "/run/netns/$name";
	open(my $fh, '<', $path) or die "pbrun: open $path: $!\n";
	my $arch = (POSIX::uname())[4];
	my $nr = $SYS_SETNS{$arch} or die "pbrun: setns number unknown on $arch\n";
	syscall($nr, fileno($fh), 0x40000000) == 0 or die "pbrun: setns $path: $!\n";
	close($fh);
}

sub parse_script {
	my ($file) = @_;
	open(my $fh, '<', $file) or die "pbrun: $file: $!\n";
	my @cmds;
	while (my $l = <$fh>) {
		chomp $l;
		next if $l =~ /^\s*(#|$)/;
		my @w = split ' ', $l;
		if ($w[0] eq '%netns') {
			push @cmds, { netns => $w[1], line => $. };
			next;
		}
		my $c = { label => shift(@w), env => {}, argv => [], line => $. };
		while (@w && $w[0] =~ /^([A-Z_][A-Z0-9_]*)=(.*)$/) {
			$c->{env}{$1} = $2;
			shift @w;
		}
		for my $x (@w) {
			if ($x =~ /^<(.+)$/)       { $c->{in} = $1; }
			elsif ($x =~ /^>>(.+)$/)   { $c->{out} = $1; $c->{app} = 1; }
			elsif ($x =~ /^>(.+)$/)    { $c->{out} = $1; }
			else                       { push @{$c->{argv}}, $x; }
		}
		die "pbrun: $file:$.: no command\n" unless @{$c->{argv}};
		push @cmds, $c;
	}
	return \@cmds;
}

# TERM/INT: stop the command that is running (and wait for it, so that the
# caller's cleanup does not race with it), then exit.
my $CUR = 0;
sub stop_script {
	if ($CUR) { kill('TERM', $CUR); waitpid($CUR, 0); }
	POSIX::_exit(143);
}

# Run the parsed script; returns (total_ns, {label => [ns, count]}, fail).
sub run_script {
	my ($cmds) = @_;
	my (%step, $fail);
	local $SIG{TERM} = \&stop_script;
	local $SIG{INT} = \&stop_script;
	my $t0 = now_ns();
	for my $c (@$cmds) {
		if (defined $c->{netns}) { setns_net($c->{netns}); next; }
		my $a = now_ns();
		my $pid = fork();
		die "pbrun: fork: $!\n" unless defined $pid;
		if ($pid == 0) {
			$ENV{$_} = $c->{env}{$_} for keys %{$c->{env}};
			if (defined $c->{in}) {
				open(STDIN, '<', $c->{in}) or POSIX::_exit(126);
			}
			if (defined $c->{out}) {
				open(STDOUT, $c->{app} ? '>>' : '>', $c->{out})
					or POSIX::_exit(126);
			} else {
				open(STDOUT, '>', '/dev/null');
			}
			{ no warnings "exec"; exec { $c->{argv}[0] } @{$c->{argv}}; }
			POSIX::_exit(127);
		}
		$CUR = $pid;
		waitpid($pid, 0);
		my $st = $?;
		$CUR = 0;
		my $b = now_ns();
		$step{$c->{label}}[0] += $b - $a;
		$step{$c->{label}}[1]++;
		if ($st != 0) {
			$fail = "fail $c->{line} " . ($st >> 8) . " @{$c->{argv}}";
			last;
		}
	}
	my $total = now_ns() - $t0;
	return ($total, \%step, $fail);
}

sub format_stats {
	my ($total, $step, $fail) = @_;
	my $s = "total $total\n";
	$s .= "step $_ $step->{$_}[0] $step->{$_}[1]\n" for sort keys %$step;
	$s .= "$fail\n" if $fail;
	return $s;
}

unless (caller) {
	die "usage: pbrun.pl SCRIPT [STATSFILE]\n" unless @ARGV >= 1;
	my $cmds = parse_script($ARGV[0]);
	my ($total, $step, $fail) = run_script($cmds);
	my $out = format_stats($total, $step, $fail);
	if (@ARGV > 1) {
		open(my $fh, '>', $ARGV[1]) or die "pbrun: $ARGV[1]: $!\n";
		print $fh $out;
		close($fh);
	} else {
		print $out;
	}
	print STDERR "pbrun: $ARGV[0]: $fail\n" if $fail;
	exit($fail ? 1 : 0);
}
1;
