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
#   cpu LABEL USER_NS SYS_NS   (CPU time of those commands and the children
#                               they waited for: getrusage(RUSAGE_CHILDREN)
#                               read outside the timed interval)
# A failing line stops the script: "fail LINENO STATUS" is written, exit 1.
use strict;
use warnings;
use POSIX ();
use Time::HiRes qw(clock_gettime CLOCK_MONOTONIC);

my %SYS_SETNS = (x86_64 => 308, aarch64 => 268, i686 => 346, i386 => 346,
	armv7l => 375, riscv64 => 268, ppc64le => 350, s390x => 339);
my %SYS_GETRUSAGE = (x86_64 => 98, aarch64 => 165, i686 => 77, i386 => 77,
	armv7l => 77, riscv64 => 165, ppc64le => 77, s390x => 77);
my $NR_GETRUSAGE = $SYS_GETRUSAGE{(POSIX::uname())[4]};
my $CLK_TCK = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;

sub now_ns { return int(clock_gettime(CLOCK_MONOTONIC) * 1e9); }

# CPU time of the waited-for children so far: (user_ns, sys_ns).
# getrusage(RUSAGE_CHILDREN) has microseconds; POSIX::times (clock ticks,
# 10 ms) where the syscall number is not known.
sub children_cpu {
	if ($NR_GETRUSAGE) {
		my $ru = "\0" x 256;	# struct rusage: two timevals, then longs
		if (syscall($NR_GETRUSAGE, -1, $ru) == 0) {
			my ($us, $uu, $ss, $su) = unpack('l!4', $ru);
			return (($us * 1e6 + $uu) * 1000, ($ss * 1e6 + $su) * 1000);
		}
	}
	my (undef, undef, undef, $cu, $cs) = POSIX::times();
	return ($cu * 1e9 / $CLK_TCK, $cs * 1e9 / $CLK_TCK);
}

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
		my ($ua, $sa) = children_cpu();
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
		my ($ub, $sb) = children_cpu();
		$step{$c->{label}}[0] += $b - $a;
		$step{$c->{label}}[1]++;
		$step{$c->{label}}[2] += $ub - $ua;
		$step{$c->{label}}[3] += $sb - $sa;
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
	$s .= sprintf("cpu %s %.0f %.0f\n", $_, $step->{$_}[2], $step->{$_}[3]) for sort keys %$step;
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
