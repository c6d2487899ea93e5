#!/usr/bin/perl -T
# The methods PVE calls constantly answer in Perl: no process is started, nothing is asked over
# the network, and names map to LINSTOR resources the way linstor-proxmox named them.
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
no warnings 'once';

use Digest::SHA qw(sha256_hex);
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;
use PVE::INotify;
use PVE::Storage;

PVE::Storage::load_custom_plugins("$lib/../../packages/proxmox/perl");
my $plugin = 'PVE::Storage::Custom::LINSTORPlugin';

# Any attempt to run a command fails the test loudly.
my $commands = 0;
{
    no warnings 'redefine';
    *PVE::Storage::Custom::LINSTORPlugin::run_command = sub { $commands++; die "no command expected\n" };
}
my ($scratch) = tempdir(CLEANUP => 1, DIR => '/tmp') =~ m{^(/tmp/[A-Za-z0-9_]+)$};
$PVE::Storage::Custom::LINSTORPlugin::DEVICE_ROOT = "$scratch/{node}/dev";
$PVE::INotify::NODENAME = 'pve2';
$PVE::Storage::Custom::LINSTORPlugin::STATUS_CACHE_DIR = "$scratch/cache";
my $scfg = { type => 'drbd', resourcegroup => 'linstor-hv', controller => 'ctrl-a', shared => 1 };

my @names = (
    # volname, resource, vmid, basename, basevmid, isBase
    ['vm-100-disk-1', 'vm-100-disk-1', 100, undef, undef, 0],
    ['pm-1a2b3c4d_100', 'pm-1a2b3c4d', 100, undef, undef, 0],
    ['vm-100-cloudinit', 'vm-100-cloudinit', 100, undef, undef, 0],
    ['vm-100-fleece-0', 'vm-100-fleece-0', 100, undef, undef, 0],
    ['vm-10000-pvc-0a1b2c3d-4e5f-6789-abcd-ef0123456789', undef, 10000, undef, undef, 0],
    ['vm-100-state-before_upgrade', 'vm-100-state-before_upgrade', 100, undef, undef, 0],
    ['base-100-disk-0', 'vm-100-disk-0', 100, undef, undef, 1],
    ['base-pm-1a2b3c4d_100', 'pm-1a2b3c4d', 100, undef, undef, 1],
    ['base-100-disk-0/vm-101-disk-0', 'vm-101-disk-0', 101, 'base-100-disk-0', 100, 0],
    ['base-pm-1a2b3c4d_100/pm-0badc0de_101', 'pm-0badc0de', 101, 'base-pm-1a2b3c4d_100', 100, 0],
);
for my $case (@names) {
    my ($volname, $resource, $vmid, $basename, $basevmid, $is_base) = @$case;
    my @parsed = $plugin->parse_volname($volname);
    my ($own) = $volname =~ m{([^/]+)$};
    is_deeply(\@parsed, ['images', $own, $vmid, $basename, $basevmid, $is_base, 'raw'], "parse_volname($volname)");
    my ($path, $owner, $vtype) = $plugin->filesystem_path($scfg, $volname);
    if (defined($resource)) {
        is($path, "$scratch/pve2/dev/drbd/by-res/$resource/0", "path of $volname is the by-res device of '$resource'");
    } else {
        # Longer than LINSTOR's 48 characters: a readable prefix and a hash of the whole name.
        my $hash = substr(sha256_hex($own), 0, 12);
        is($path, "$scratch/pve2/dev/drbd/by-res/" . substr($own, 0, 34) . "_h$hash/0", "path of the long $volname uses a readable prefix and a hash");
        my ($mapped) = $path =~ m{/by-res/([^/]+)/0$};
        cmp_ok(length($mapped), '<=', 48, 'the hashed name fits LINSTOR\'s 48 characters');
    }
    is($owner, $vmid, "owner of $volname in list context");
    is($vtype, 'images', 'vtype images');
    is(PVE::Storage::Plugin->can('path') && $plugin->path($scfg, $volname, 'drbdstorage'), $path, 'path() = filesystem_path()');
}

# Names are mapped the same way for snapshots, also where linstor-proxmox's snap_<rd>_<snap> overflowed.
is($plugin->filesystem_path($scfg, 'vm-100-disk-1', 'vzdump'), "$scratch/pve2/dev/drbd/by-res/snap_vm-100-disk-1_vzdump/0",
    'a snapshot is read through the temporary resource snap_<resource>_<snapshot>');
my $long_snap = 'a_very_long_snapshot_name_of_forty_chars';
my $snap_path = $plugin->filesystem_path($scfg, 'pm-1a2b3c4d_100', $long_snap);
my ($snap_resource) = $snap_path =~ m{/by-res/([^/]+)/0$};
cmp_ok(length($snap_resource), '<=', 48, 'a 40-character snapshot name still gives a valid resource name');
is($snap_resource, substr("snap_pm-1a2b3c4d_$long_snap", 0, 34) . '_h' . substr(sha256_hex("snap_pm-1a2b3c4d_$long_snap"), 0, 12),
    'the snapshot resource keeps a readable prefix');

for my $bad ('', 'vm-abc-disk-1', 'ct-100-disk-0', 'vm-100-', 'pm-1A2B3C4D_100', 'pm-1a2b3c_100', '../vm-100-disk-1',
    'vm-100-disk-1/vm-101-disk-0', 'base-100-disk-0/base-101-disk-0', 'vm-100-disk 1', "vm-100-disk-1\n") {
    eval { $plugin->parse_volname($bad) };
    like($@, qr/^(invalid volume name|no volume name)/, "parse_volname refuses '" . ($bad =~ s/\n/\\n/r) . "'");
}
eval { $plugin->filesystem_path($scfg, 'vm-100-disk-1', 'bad/snap') };
like($@, qr/^invalid snapshot name 'bad\/snap'/, 'bad snapshot names are refused');

# Features: snapshots, linked clones and templates while the pools can snapshot (unknown counts as
# capable), sparseinit only on thin pools, rename only for pm- names.
my %expect = (
    'snapshot current' => 1, 'snapshot snap' => 1, 'clone base' => 1, 'clone snap' => 1, 'clone current' => undef,
    'template current' => 1, 'template base' => undef, 'copy current' => 1, 'copy base' => 1, 'copy snap' => 1,
    'sparseinit current' => undef, 'rename current' => undef, 'replicate current' => undef,
);
for my $key (sort keys %expect) {
    my ($feature, $state) = split(/ /, $key);
    my $volname = $state eq 'base' ? 'base-100-disk-0' : 'vm-100-disk-1';
    my $snap = $state eq 'snap' ? 'snap1' : undef;
    is($plugin->volume_has_feature($scfg, $feature, 'drbdstorage', $volname, $snap, 0), $expect{$key},
        "volume_has_feature($feature) on a " . ($state eq 'snap' ? 'snapshot' : "$state volume"));
}
is($plugin->volume_has_feature($scfg, 'rename', 'drbdstorage', 'pm-1a2b3c4d_100', undef, 0), 1, 'pm- volumes can be renamed');

mkdir("$scratch/cache");
my $cache_file = PVE::Storage::Custom::LINSTORPlugin::status_cache_file($scfg);
my $write_cache = sub {
    my ($caps) = @_;
    open(my $fh, '>', $cache_file) or die $!;
    print {$fh} JSON::PP->new->encode({ total => 100, avail => 60, used => 40, capabilities => $caps });
    close($fh);
};
$write_cache->({ snapshots => JSON::PP::false, thin => JSON::PP::false });
is($plugin->volume_has_feature($scfg, 'snapshot', 'drbdstorage', 'vm-100-disk-1', undef, 0), undef,
    'no snapshot feature when linstor-hv saw pools without snapshots (thick LVM)');
is($plugin->volume_has_feature($scfg, 'clone', 'drbdstorage', 'base-100-disk-0', undef, 0), undef, 'no linked clones then');
$write_cache->({ snapshots => JSON::PP::true, thin => JSON::PP::true });
is($plugin->volume_has_feature($scfg, 'sparseinit', 'drbdstorage', 'vm-100-disk-1', undef, 0), 1, 'sparseinit on thin pools');

is_deeply($plugin->get_formats($scfg, 'drbdstorage'), { default => 'raw', valid => { raw => 1 } }, 'get_formats: raw only');
is($plugin->volume_qemu_snapshot_method('drbdstorage', $scfg, 'vm-100-disk-1'), 'storage', 'snapshots are taken by the storage');
is_deeply($plugin->qemu_blockdev_options($scfg, 'drbdstorage', 'vm-100-disk-1', '10.0', {}),
    { driver => 'file', filename => "$scratch/pve2/dev/drbd/by-res/vm-100-disk-1/0" },
    'qemu_blockdev_options names the by-res device (a plain file in this tree)');
is_deeply($plugin->qemu_blockdev_options($scfg, 'drbdstorage', 'vm-100-disk-1', '10.0', { 'snapshot-name' => 'snap1' }),
    { driver => 'file', filename => "$scratch/pve2/dev/drbd/by-res/snap_vm-100-disk-1_snap1/0" },
    'qemu_blockdev_options of a snapshot names its temporary resource');
is($plugin->volume_export_formats($scfg, 'drbdstorage', 'vm-100-disk-1', undef, undef, 0), 'raw+size', 'export as raw+size');
is_deeply([$plugin->volume_export_formats($scfg, 'drbdstorage', 'vm-100-disk-1', undef, 'base', 0)], [],
    'no incremental export');
is(scalar($plugin->status('drbdstorage', $scfg, {})), 1, 'status from a fresh cache answers active');
is_deeply([$plugin->status('drbdstorage', $scfg, {})], [100, 60, 40, 1], 'status from a fresh cache');
is($plugin->check_connection('drbdstorage', $scfg), 1, 'check_connection with fresh figures needs no call');
is($commands, 0, 'none of these methods started a process');

done_testing();
