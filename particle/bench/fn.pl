#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
# fn.pl: one serverless "function" of the aggregation/shuffle jobs (§5.1).
# Deliberately uses no modules (perl starts in ~2 ms instead of ~12 ms with
# Socket/POSIX), so that function start is cheap and equal for all systems.
#
#   fn.pl serve BIND PORT EXPECT
#	listen on BIND:PORT, answer every short message ("ok ..."), exit 0
#	once EXPECT distinct senders have been answered
#   fn.pl send BIND PORT DEST [DEST...]
#	for each DEST: connect from BIND (or "-": any source), retrying until
#	it is accepted (the receiver may not be up yet), send one line, wait
#	for the reply, exit 0.  A connect that gets no answer is given up
#	after 250 ms and retried (instead of the kernel's 1 s, 3 s, 7 s SYN
#	backoff), so that a dropped SYN costs the same on every system.
#
# Everything is bounded by PB_FN_TIMEOUT seconds (default 60): exit 3.
use strict;

my ($AF_INET, $SOCK_STREAM, $SOL_SOCKET, $SO_REUSEADDR, $SO_SNDTIMEO) = (2, 1, 1, 2, 21);
my $timeout = $ENV{PB_FN_TIMEOUT} || 60;
$SIG{ALRM} = sub { print STDERR "fn: timeout after ${timeout}s (@ARGV)\n"; exit 3; };
alarm($timeout);

sub sin4 {
	my ($ip, $port) = @_;
	return pack('S n C4 x8', $AF_INET, $port, split(/\./, $ip));
}

my $mode = shift @ARGV // '';
if ($mode eq 'serve') {
	my ($bind, $port, $expect) = @ARGV;
	socket(my $s, $AF_INET, $SOCK_STREAM, 0) or die "fn: socket: $!\n";
	setsockopt($s, $SOL_SOCKET, $SO_REUSEADDR, pack('i', 1));
	bind($s, sin4($bind eq '-' ? '0.0.0.0' : $bind, $port))
		or die "fn: bind $bind:$port: $!\n";
	listen($s, 4096) or die "fn: listen: $!\n";
	my %seen;
	while (keys %seen < $expect) {
		accept(my $c, $s) or die "fn: accept: $!\n";
		my $line = <$c>;
		if (defined $line && $line =~ /^msg (\S+)/) {
			$seen{$1} = 1;
			syswrite($c, "ok $line");
		}
		close($c);
	}
	exit 0;
} elsif ($mode eq 'send') {
	my ($bind, $port, @dest) = @ARGV;
	for my $d (@dest) {
		for (;;) {
			socket(my $c, $AF_INET, $SOCK_STREAM, 0) or die "fn: socket: $!\n";
			setsockopt($c, $SOL_SOCKET, $SO_SNDTIMEO, pack('l!l!', 0, 250000));
			if ($bind ne '-') {
				bind($c, sin4($bind, 0)) or die "fn: bind $bind: $!\n";
			}
			if (connect($c, sin4($d, $port))) {
				syswrite($c, "msg $bind $d\n");
				my $r = <$c>;
				close($c);
				last if defined $r && $r =~ /^ok /;
			} else {
				close($c);
			}
			select(undef, undef, undef, 0.01);
		}
	}
	exit 0;
}
die "usage: fn.pl serve BIND PORT EXPECT | send BIND PORT DEST...\n";
