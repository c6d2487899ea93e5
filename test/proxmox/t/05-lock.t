#!/usr/bin/perl -T
# The storage lock: clusterlocktimeout replaces PVE's 10 s wait for the cluster-wide lock, and the
# locked code runs under PVE's hard alarm.
use strict;
use warnings;

my $lib;
BEGIN {
    require Cwd;
    require File::Basename;
    ($lib) = Cwd::abs_path(File::Basename::dirname(__FILE__) . '/..') =~ m{^(/[A-Za-z0-9_.+/-]+)$}
        or die "unsafe test directory\n";
}
use lib "$lib/lib", "$lib/../../packages/proxmox/perl";

use File::Temp qw(tempdir);
use Test::More;
use Time::HiRes qw(time);
use PVE::Cluster;
use PVE::Storage;

PVE::Storage::load_custom_plugins("$lib/../../packages/proxmox/perl");
my $plugin = 'PVE::Storage::Custom::LINSTORPlugin';
my ($locks) = tempdir(CLEANUP => 1, DIR => '/tmp') =~ m{^(/tmp/[A-Za-z0-9_]+)$};
$PVE::Cluster::LOCK_DIR = $locks;
$PVE::Storage::CONFIG = PVE::Storage::parse_config("drbd: drbdstorage\n\tresourcegroup rg\n\tclusterlocktimeout 1\n");

is($plugin->cluster_lock_storage('drbdstorage', 1, undef, sub { return "ran with @_" }, 'x'), 'ran with x',
    'the locked code runs and its result comes back');

mkdir("$locks/storage-drbdstorage") or die $!;    # another node holds the lock
my $start = time();
eval { $plugin->cluster_lock_storage('drbdstorage', 1, undef, sub { return 1 }) };
my $waited = time() - $start;
is($@, "cfs-lock 'storage-drbdstorage' error: got lock request timeout\n", 'a held lock gives PVE\'s timeout error');
cmp_ok($waited, '<', 5, 'after clusterlocktimeout (1 s), not PVE\'s 10 s');
cmp_ok($waited, '>=', 0.9, 'having waited for it');
rmdir("$locks/storage-drbdstorage");

{
    local $PVE::Cluster::LOCKED_COMMAND_TIMEOUT = 1;
    eval { $plugin->cluster_lock_storage('drbdstorage', 1, undef, sub { sleep(3); return 1 }) };
    is($@, "'storage-drbdstorage'-locked command timed out - aborting\n", 'locked code that overruns is aborted');
}
ok(!-d "$locks/storage-drbdstorage", 'the lock is released afterwards');

done_testing();
