#!/usr/bin/perl
# Stand-in for `linstor-hv` in protocol tests: records how it was started (argv, environment,
# stdin) into seen.json next to itself and prints the reply that reply.txt next to it holds
# (exit code from exit.txt, stderr from stderr.txt).
use strict;
use warnings;
use File::Basename qw(dirname);
use JSON::PP;

my $dir = dirname(__FILE__);
my $stdin = do { local $/; <STDIN> };
open(my $seen, '>', "$dir/seen.json") or die $!;
print {$seen} JSON::PP->new->canonical->encode({ argv => \@ARGV, env => {%ENV}, stdin => $stdin });
close($seen);
sub slurp { my ($f) = @_; open(my $fh, '<', "$dir/$f") or return ''; local $/; return <$fh>; }
print STDERR slurp('stderr.txt');
print slurp('reply.txt');
exit(slurp('exit.txt') || 0);
