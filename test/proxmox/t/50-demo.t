#!/usr/bin/perl -T
# `linstor-hv demo` runs every step of the Proxmox scenario against its own emulated cluster,
# through its own bridge, prints the table, and leaves nothing behind.
use strict;
use warnings;

my $lib;
BEGIN {
    require Cwd;
    require File::Basename;
    ($lib) = Cwd::abs_path(File::Basename::dirname(__FILE__) . '/..') =~ m{^(/[A-Za-z0-9_.+/-]+)$}
        or die "unsafe test directory\n";
}
use lib "$lib/lib";

use Test::More;
use LinstorHvHarness;

$ENV{PATH} = '/sbin:/bin:/usr/sbin:/usr/bin';
delete @ENV{qw(IFS CDPATH ENV BASH_ENV)};
# A private TMPDIR: other demo runs on the machine (parallel test runs) cannot disturb the check.
require File::Temp;
my ($scratch) = File::Temp::tempdir('linstor-hv-demo-test-XXXXXX', TMPDIR => 1, CLEANUP => 1) =~ m{^(/[A-Za-z0-9_./-]+)$};
$ENV{TMPDIR} = $scratch;
my $node = LinstorHvHarness::node_binary();
my $bundle = LinstorHvHarness::cli_bundle();
my $output = `$node $bundle demo 2>&1`;
my $status = $? >> 8;
is($status, 0, 'linstor-hv demo succeeds') or diag($output);
like($output, qr/^step\s+result\s+time\s+REST calls$/m, 'it prints the table header');
for my $step ('create a 64 MiB disk on pve1', 'snapshot "demo"', 'template and linked clone',
    'live migration: second writer on pve2 before activation', 'live migration: activate on pve2',
    'live migration: second writer on pve1 afterwards', 'roll back to "demo" (guest stopped)',
    'export (raw+size) and import as vm-200-disk-0', 'delete everything') {
    like($output, qr/^\Q$step\E\s+ok: .*\d+ ms\s+\d+$/m, "step '$step' passed with its time and REST calls");
}
unlike($output, qr/FAILED/, 'no step failed');
like($output, qr/^linstor-hv demo: the plugin talks to a bridge at \S+\/run\/proxmox\.sock$/m, 'through a bridge');
like($output, qr/^the bridge answered [1-9]\d* plugin calls$/m, 'which answered the plugin\'s calls');
unlike($output, qr/no bridge at/, 'never falling back to the one-shot command');
like($output, qr/demo passed: 12 steps, nothing left behind/, 'it says so');
is_deeply([glob("$scratch/*")], [], 'its temporary directory is gone');

done_testing();
