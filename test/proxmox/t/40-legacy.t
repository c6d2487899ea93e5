#!/usr/bin/perl -T
# Volumes that linstor-proxmox made (created here directly through the REST API, the way it does)
# are listed, activated, snapshotted, rolled back to its own snapshots and freed.
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

use Test::More;
use LinstorHvHarness qw($MiB sha256_of_file write_pattern);
use PVE::Storage;

my $h = LinstorHvHarness->new();
my $cfg = $h->cfg();
my $sid = $h->storeid();

# linstor-proxmox 8.x: spawn with its definition properties, then Aux/pm/vmid.
sub linstor_proxmox_alloc {
    my ($resource, $group, $vmid, $size_kib) = @_;
    $h->rest('POST', "/v1/resource-groups/$group/spawn", {
        resource_definition_name => $resource,
        volume_sizes => [$size_kib],
        resource_definition_props => {
            'DrbdOptions/Net/allow-two-primaries' => 'yes',
            'DrbdOptions/ExactSize' => 'False',
        },
    });
    $h->rest('PUT', "/v1/resource-definitions/$resource", { override_props => { 'Aux/pm/vmid' => "$vmid" } });
}
linstor_proxmox_alloc('vm-100-disk-1', 'linstor-hv', 100, 16 * 1024);
linstor_proxmox_alloc('pm-1a2b3c4d', 'linstor-hv', 100, 8 * 1024);
linstor_proxmox_alloc('vm-300-disk-0', 'linstor-hv-thick', 300, 8 * 1024);
$h->rest('POST', '/v1/resource-definitions/vm-100-disk-1/snapshots', { name => 'snap_vm-100-disk-1_old' });

my %listed = map { $_->{volid} => $_ } @{ PVE::Storage::vdisk_list($cfg, $sid, undef)->{$sid} };
is_deeply([sort keys %listed], ["$sid:pm-1a2b3c4d_100", "$sid:vm-100-disk-1"],
    'both linstor-proxmox volumes are listed by their PVE names, the other group\'s is not');
is($listed{"$sid:vm-100-disk-1"}->{size}, 16 * $MiB, 'with their sizes');
is($listed{"$sid:pm-1a2b3c4d_100"}->{vmid}, 100, 'pm- volumes with the owner from Aux/pm/vmid');

my $legacy = "$sid:vm-100-disk-1";
my $uuid_named = "$sid:pm-1a2b3c4d_100";
PVE::Storage::activate_volumes($cfg, [$legacy, $uuid_named]);
my $legacy_path = PVE::Storage::path($cfg, $legacy);
is($legacy_path, $h->device_of('pve1', 'vm-100-disk-1'), 'the legacy volume is active on pve1');
ok(-e PVE::Storage::path($cfg, $uuid_named), 'the pm- volume too');
my $sha_old = sha256_of_file($legacy_path, 16 * $MiB);

write_pattern($legacy_path, 'written-by-linstor-hv', 0, $MiB);
my $sha_new = sha256_of_file($legacy_path, 16 * $MiB);
PVE::Storage::volume_snapshot($cfg, $legacy, 'new');
is_deeply([sort keys %{ PVE::Storage::volume_snapshot_info($cfg, $legacy) }], ['new', 'old'],
    'snapshots of both plugins are PVE snapshots');
PVE::Storage::deactivate_volumes($cfg, [$legacy]);
PVE::Storage::volume_snapshot_rollback($cfg, $legacy, 'old');
is(sha256_of_file($legacy_path, 16 * $MiB), $sha_old, 'rollback to linstor-proxmox\'s snapshot');
PVE::Storage::volume_snapshot_rollback($cfg, $legacy, 'new');
is(sha256_of_file($legacy_path, 16 * $MiB), $sha_new, 'and to ours');

my $renamed = PVE::Storage::rename_volume($cfg, $uuid_named, 120, undef);
is($renamed, "$sid:pm-1a2b3c4d_120", 'a pm- volume is reassigned the way linstor-proxmox does it');
PVE::Storage::deactivate_volumes($cfg, [$renamed]);

PVE::Storage::vdisk_free($cfg, $_) for ($legacy, $renamed);
is_deeply($h->resource_definition_names(), ['vm-300-disk-0'],
    'both are freed, with their snapshots; the other group\'s volume is untouched');

done_testing();
