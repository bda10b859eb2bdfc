#!/usr/bin/perl
# SPDX-License-Identifier: GPL-2.0
# particle/tools/structure.pl HACKING FILE.ci...: the structure of
# particle/ from gcc's -fcallgraph-info output (one .ci per particle/*.c,
# see structure.sh) and HACKING's "Files, in layers" map:
#   * the file graph (A imports B: a function of A calls one defined in B)
#     and its circles (strongly connected sets of more than one file);
#   * call sites that go upward (to a file of a later layer of the map),
#     sideways (another file of the same layer) or to a file not in it;
#   * per verb, the functions and files on a call path from the verb's
#     entry to the kernel (a call of iproute2's or libc's netlink and
#     socket functions below);
#   * for set, the call sites entering pt_pool.c and those climbing back
#     out of it.
# Calls through function pointers (the verb table, hooks) are not in gcc's
# graph; the verbs are measured from their entry functions for that reason.
use strict;
use warnings;

my %kernel = map { $_ => 1 } qw(
	sendmsg send sendto recvmsg recv write rtnl_talk rtnl_talk_iov
	rtnl_talk_suppress_rtnl_errmsg rtnl_dump_filter_nc rtnl_dump_request_n
	rtnl_linkdump_req_filter_fn rtnl_addrdump_req rtnl_routedump_req
	rtnl_send rtnl_wilddump_request rtnl_linkdump_req
	rtnl_linkdump_req_filter bpf bpf_prog_load syscall setns unshare mount
	umount2 clone3);
my %verbs = (add => 'pt_do_add', set => 'pt_do_set', del => 'pt_do_del',
	     show => 'pt_do_show', exec => 'pt_do_exec');

my $hacking = shift or die "usage: structure.pl HACKING FILE.ci...\n";

# HACKING's map: layer lines are indented by four spaces and list files
# before a run of two blanks; a list ending in "," goes on next line.
my (%layer, $n, $in, $cont);
open my $h, '<', $hacking or die "$hacking: $!\n";
while (<$h>) {
	if (/^\* Files, in layers/) { $in = 1; $n = 0; next; }
	next unless $in;
	last if /^\S/;
	next unless /^    (\S.*)$/;
	my ($list) = split /  +/, $1;
	next unless $list =~ /^[\w.]+\.c\b/;
	$n++ unless $cont;
	$layer{$_} //= $n for $list =~ /([\w]+\.c)\b/g;
	$cont = $list =~ /,\s*$/;
}
close $h;

# gcc's graph: nodes are "path:name" (static) or "name"; defined ones
# carry their file in the label and no ellipse shape.
my (%file_of, @calls);
for my $ci (@ARGV) {
	open my $f, '<', $ci or die "$ci: $!\n";
	while (<$f>) {
		if (/^node: \{ title: "([^"]+)" label: "[^\\]*\\n([^:]+):\d+:\d+"( shape)?/) {
			my ($t, $path, $ext) = ($1, $2, $3);
			next if $ext;
			(my $base = $path) =~ s{.*/}{};
			$file_of{$t} = $base if $base =~ /\.c$/;
		} elsif (/^edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)" label: "([^"]+)"/) {
			push @calls, [ $1, $2, $3 ];
		}
	}
	close $f;
}

my (%callees, %imports, %sites);
for my $c (@calls) {
	my ($s, $t, $at) = @$c;
	push @{ $callees{$s} }, $t;
	my ($fs, $ft) = ($file_of{$s}, $file_of{$t});
	next unless $fs && $ft && $fs ne $ft;
	$imports{$fs}{$ft}++;
	push @{ $sites{$fs}{$ft} }, $at;
}
my @files = sort keys %{ { map { $_ => 1 } values %file_of } };
my $edges = 0;
$edges += keys %{ $imports{$_} // {} } for @files;
printf "files %d, functions %d, call sites %d, file imports %d\n",
	scalar @files, scalar keys %file_of, scalar @calls, $edges;

# circles: Tarjan's strongly connected components of the file graph
my ($idx, %num, %low, %on, @stack, @sccs) = (0);
my $visit;
$visit = sub {
	my $v = shift;
	$num{$v} = $low{$v} = $idx++;
	push @stack, $v;
	$on{$v} = 1;
	for my $w (sort keys %{ $imports{$v} // {} }) {
		if (!exists $num{$w}) {
			$visit->($w);
			$low{$v} = $low{$w} if $low{$w} < $low{$v};
		} elsif ($on{$w}) {
			$low{$v} = $num{$w} if $num{$w} < $low{$v};
		}
	}
	return unless $low{$v} == $num{$v};
	my @c;
	my $w;
	do { $w = pop @stack; $on{$w} = 0; push @c, $w; } while ($w ne $v);
	push @sccs, [ sort @c ] if @c > 1;
};
$visit->($_) for grep { !exists $num{$_} } @files;
printf "circles %d%s\n", scalar @sccs,
	join '', map { sprintf "\n  %d files: %s", scalar @$_, "@$_" } @sccs;

my (%kind, @unmapped);
for my $fs (@files) {
	for my $ft (sort keys %{ $imports{$fs} // {} }) {
		my $k;
		if (!defined $layer{$fs} || !defined $layer{$ft}) {
			$k = 'unmapped';
		} elsif ($layer{$ft} > $layer{$fs}) {
			$k = 'upward';
		} elsif ($layer{$ft} == $layer{$fs}) {
			$k = 'sideways';
		} else {
			next;
		}
		$kind{$k}{n} += @{ $sites{$fs}{$ft} };
		push @{ $kind{$k}{pairs} }, "$fs->$ft(" .
			scalar @{ $sites{$fs}{$ft} } . ")";
	}
}
printf "layers %d in HACKING; files not in the map: %s\n", $n // 0,
	join(' ', grep { !defined $layer{$_} } @files) || 'none';
for my $k (qw(upward sideways unmapped)) {
	printf "%s call sites %d%s\n", $k, $kind{$k}{n} // 0,
		$kind{$k}{pairs} ? "\n  " . join(' ', @{ $kind{$k}{pairs} }) : '';
}

# per verb: functions reachable from the entry that reach the kernel
sub reach {
	my ($from) = @_;
	my %seen = ($from => 1);
	my @todo = ($from);
	while (my $v = shift @todo) {
		for my $w (@{ $callees{$v} // [] }) {
			push @todo, $w unless $seen{$w}++;
		}
	}
	return \%seen;
}
for my $verb (sort keys %verbs) {
	my $entry = $verbs{$verb};
	next unless $file_of{$entry};
	my $down = reach($entry);
	my %to_kernel;
	my $changed = 1;
	while ($changed) {
		$changed = 0;
		for my $v (keys %$down) {
			next if $to_kernel{$v} || !$file_of{$v};
			for my $w (@{ $callees{$v} // [] }) {
				next unless $kernel{$w} || $to_kernel{$w};
				$to_kernel{$v} = $changed = 1;
				last;
			}
		}
	}
	my %f = map { $file_of{$_} => 1 } keys %to_kernel;
	printf "%s: %d functions in %d files from %s to the kernel (%d reachable)\n",
		$verb, scalar keys %to_kernel, scalar keys %f, $entry,
		scalar grep { $file_of{$_} } keys %$down;
}

# set and pt_pool.c
if ($file_of{pt_do_set}) {
	my $down = reach('pt_do_set');
	my ($enter, $climb) = (0, 0);
	for my $c (@calls) {
		my ($s, $t) = @$c;
		next unless $down->{$s} && $file_of{$s} && $file_of{$t};
		my ($in_s, $in_t) = map { $file_of{$_} eq 'pt_pool.c' } $s, $t;
		$enter++ if !$in_s && $in_t;
		$climb++ if $in_s && !$in_t;
	}
	printf "set: %d call sites enter pt_pool.c, %d climb out of it\n",
		$enter, $climb;
}
