#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
# fnstart.pl: the function half of figure 8 (fns.sh), the same for every
# system: start FNS functions at once, time them until each accepts.
#
#   fnstart.pl NETNS PORT FNSFILE ADDR...
#
# Before the clock starts: joins the network namespace /run/netns/NETNS
# (the client's place; the functions enter their own namespaces by their
# command lines) and reads FNSFILE, one function per line (words separated
# by blanks, no shell, no quoting).  At t0 it forks and execs every line,
# then connects to PORT of every ADDR in turn, retrying each every 2 ms
# until it is accepted.  Prints "start NS" (t0 to the last accepted
# connection) and exits 0 (the functions' stdout is /dev/null, their
# stderr ours); exit 1 when an ADDR never accepted (60 s).
# Then it kills (SIGKILL) and reaps the processes it started.
#
# One perl process forks the functions: a launcher's own cost (bash forking
# itself once per function, date(1) for the clock) is not counted for any
# system.
use strict;
use warnings;
use POSIX ();
use Socket qw(PF_INET SOCK_STREAM pack_sockaddr_in inet_aton);
use File::Basename qw(dirname);
require(dirname(__FILE__) . '/pbrun.pl');	# now_ns, setns_net

my ($netns, $port, $file, @addrs) = @ARGV;
die "usage: fnstart.pl NETNS PORT FNSFILE ADDR...\n" unless @addrs;
open(my $fh, '<', $file) or die "fnstart: $file: $!\n";
my @cmds = map { chomp; [split ' '] } grep { /\S/ } <$fh>;
close($fh);
my @sin = map { pack_sockaddr_in($port, inet_aton($_)) } @addrs;
main::setns_net($netns);

my (@pids, $fail);
$SIG{ALRM} = sub { kill('KILL', @pids); exit 3; };
alarm(120);
my $t0 = main::now_ns();
for my $c (@cmds) {
	my $pid = fork();
	die "fnstart: fork: $!\n" unless defined $pid;
	if ($pid == 0) {
		open(STDOUT, '>', '/dev/null');	# only "start NS" on ours
		{ no warnings 'exec'; exec { $c->[0] } @$c; }
		POSIX::_exit(127);
	}
	push @pids, $pid;
}
ADDR: for my $i (0 .. $#sin) {
	for (my $t = 0; $t < 30000; $t++) {
		socket(my $s, PF_INET, SOCK_STREAM, 0) or die "fnstart: socket: $!\n";
		next ADDR if connect($s, $sin[$i]);
		close($s);
		select(undef, undef, undef, 0.002);
	}
	print STDERR "fnstart: no listener on $addrs[$i]:$port\n";
	$fail = 1;
	last;
}
my $t1 = main::now_ns();
print "start ", $t1 - $t0, "\n" unless $fail;
kill('KILL', @pids);
waitpid($_, 0) for @pids;
exit($fail ? 1 : 0);
