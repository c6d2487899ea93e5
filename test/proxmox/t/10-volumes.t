#!/usr/bin/perl -T
# Every volume method the way pvesm, qemu-server and pve-container call it: names and sizes PVE
# may pass (and ones it must not), listing, resize, rename, snapshots with rollback to an older
# one, snapshot activation for container backups, free with snapshots, status and its cache.
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

use Digest::SHA qw(sha256_hex);
use Test::More;
use LinstorHvHarness qw($MiB error_of sha256_of_file write_pattern);
use PVE::Storage;

my $h = LinstorHvHarness->new();
my $cfg = $h->cfg();
my $sid = $h->storeid();

# --- names and sizes PVE must not get away with ----------------------------------------------
like(error_of { PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', 'vm-101-disk-0', 4096) },
    qr/^illegal name 'vm-101-disk-0' - should be 'vm-100-\*'/, 'a name of another guest is refused');
like(error_of { PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', 'disk-0', 4096) },
    qr/^invalid volume name 'disk-0': expected 'vm-<vmid>-<name>'/, 'a name outside PVE\'s scheme is refused');
like(error_of { PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', 'vm-100-disk 0', 4096) },
    qr/^invalid volume name 'vm-100-disk 0'/, 'a name with a space is refused');
like(error_of { PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', undef, 0) },
    qr/^invalid size '0': expected a whole number of KiB greater than 0$/m, 'size 0 is refused');
like(error_of { PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', undef, '1G') },
    qr/^invalid size '1G'/, 'a size that is not KiB is refused');
like(error_of { PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', undef, -5) },
    qr/^invalid size '-5'/, 'a negative size is refused');
like(error_of { PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'qcow2', undef, 4096) },
    qr/^unsupported format 'qcow2'/, 'qcow2 is refused');
like(error_of { PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', undef, 1024 * 1024 * 1024 * 1024) },
    qr/^Creating volume 'pm-[0-9a-f]{8}' failed: /, 'a size no pool can hold fails with LINSTOR\'s reason');
is_deeply($h->resource_definition_names(), [], 'nothing was created by the refused calls');

# --- allocation -------------------------------------------------------------------------------
my $efi = PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', 'vm-100-disk-1', 528);
is($efi, "$sid:vm-100-disk-1", 'an EFI vars disk keeps its name');
is(scalar(PVE::Storage::volume_size_info($cfg, $efi)), 3 * $MiB, 'tiny disks get the 3 MiB minimum');
like(error_of { PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', 'vm-100-disk-1', 528) },
    qr/^volume 'vm-100-disk-1' already exists/, 'allocating an existing name fails');
my $cloudinit = PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', 'vm-100-cloudinit', 4096);
is(PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', 'vm-100-cloudinit', 4096), $cloudinit,
    'a cloud-init disk asked for again is the existing one (restart on another node)');

my $long_snap = 'before_the_big_upgrade_of_the_database_x';
my $state = PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', "vm-100-state-$long_snap", 8192);
my $state_resource = substr("vm-100-state-$long_snap", 0, 34) . '_h' . substr(sha256_hex("vm-100-state-$long_snap"), 0, 12);
ok($h->resource_definition($state_resource), 'a state volume longer than 48 characters gets the mapped resource name');
PVE::Storage::activate_volumes($cfg, [$state]);
is(scalar(PVE::Storage::path($cfg, $state)), $h->device_of('pve1', $state_resource), 'and its device is where path() says');
PVE::Storage::deactivate_volumes($cfg, [$state]);

# exactsize yes: the DRBD device gets exactly the asked size (while moving disks in).
$h->configure(exactsize => 'yes', preferlocal => 'no');
my $exact = PVE::Storage::vdisk_alloc($h->cfg(), $sid, 100, 'raw', 'vm-100-disk-3', 8192);
is($h->resource_definition('vm-100-disk-3')->{props}->{'DrbdOptions/ExactSize'}, 'True', 'exactsize yes sets DrbdOptions/ExactSize');
PVE::Storage::vdisk_free($h->cfg(), $exact);
$h->configure();
$cfg = $h->cfg();

my $disk = PVE::Storage::vdisk_alloc($cfg, $sid, 101, 'raw', undef, 16 * 1024);
my ($disk_resource) = $disk =~ /:(pm-[0-9a-f]{8})_101$/;

# --- listing ----------------------------------------------------------------------------------
my %listed = map { $_->{volid} => $_ } @{ PVE::Storage::vdisk_list($cfg, $sid, undef)->{$sid} };
is_deeply([sort keys %listed], [sort($efi, $cloudinit, $state, $disk)], 'list_images lists every volume by its PVE name');
is($listed{$disk}->{vmid}, 101, 'with its owner');
is($listed{$disk}->{size}, 16 * $MiB, 'and its size in bytes');
is($listed{$efi}->{format}, 'raw', 'and format raw');
is_deeply([map { $_->{volid} } @{ PVE::Storage::vdisk_list($cfg, $sid, 101)->{$sid} }], [$disk], 'list_images filters by guest');
is_deeply([map { $_->{volid} } @{ PVE::Storage::vdisk_list($cfg, $sid, undef, [$efi])->{$sid} }], [$efi], 'and by volume list');
$h->clear_requests();
PVE::Storage::Custom::LINSTORPlugin->list_images($sid, $h->scfg(), undef, undef, {});
is($h->request_total(), 1, 'list_images costs one REST request');

# --- activation on a node with a replica costs one request ------------------------------------
PVE::Storage::activate_volumes($cfg, [$disk]);
$h->clear_requests();
PVE::Storage::activate_volumes($cfg, [$disk]);
cmp_ok($h->request_total(), '<=', 2, 'activating a volume that is already there costs at most two requests');
PVE::Storage::deactivate_volumes($cfg, [$disk]);

# A node without any resource of the volume (no tie-breaker either) gets a diskless attachment in
# one more request; another node's tie-breaker becomes a wanted attachment.
$h->rest('POST', '/v1/resource-groups/linstor-hv/spawn', {
    resource_definition_name => 'vm-102-disk-0', volume_sizes => [8192],
    resource_definition_props => { 'Aux/pm/vmid' => '102', 'DrbdOptions/auto-add-quorum-tiebreaker' => 'False' },
});
my %holding = map { $_->{node_name} => $_ } @{ $h->resources_of('vm-102-disk-0') };
my ($bare) = grep { !$holding{$_} } qw(pve1 pve2 pve3);
ok($bare, 'a node holds no resource of vm-102-disk-0');
$h->on_node($bare);
$h->clear_requests();
PVE::Storage::activate_volumes($cfg, ["$sid:vm-102-disk-0"]);
is($h->request_total(), 2, 'activating where no resource exists costs two requests');
ok(-e $h->device_of($bare, 'vm-102-disk-0'), 'and the device exists there');
PVE::Storage::deactivate_volumes($cfg, ["$sid:vm-102-disk-0"]);
my ($after) = grep { $_->{node_name} eq $bare } @{ $h->resources_of('vm-102-disk-0') };
ok(!$after || grep({ $_ eq 'TIE_BREAKER' } @{ $after->{flags} // [] }),
    'deactivation removes that attachment again (LINSTOR may keep a tie-breaker there)');
$h->on_node('pve1');
PVE::Storage::vdisk_free($cfg, "$sid:vm-102-disk-0");

# --- a migration that fails on the target, and live migration switched off ---------------------
PVE::Storage::activate_volumes($cfg, [$efi]);
is($h->open_device('pve1', 'vm-100-disk-1', 'rw')->{status}, 200, 'the guest runs on pve1');
$h->on_node('pve2');
PVE::Storage::activate_volumes($cfg, [$efi]);
ok($h->resource_definition('vm-100-disk-1')->{props}->{'Aux/linstor-hv/migration'}, 'activation on pve2 starts a migration');
PVE::Storage::deactivate_volumes($cfg, [$efi]);
is($h->resource_definition('vm-100-disk-1')->{props}->{'Aux/linstor-hv/migration'}, undef,
    'the target giving up (deactivation there) ends the migration');
isnt($h->open_device('pve2', 'vm-100-disk-1', 'rw')->{status}, 200, 'and pve2 may not write any more');
$h->configure(allowtwoprimaries => 'no');
like(error_of { PVE::Storage::activate_volumes($h->cfg(), [$efi]) },
    qr/^volume 'vm-100-disk-1' is in use on node 'pve1'; live migration needs 'allowtwoprimaries yes' on storage 'drbdstorage'$/m,
    'with allowtwoprimaries no a second node cannot activate a running guest\'s disk');
$h->configure();
$cfg = $h->cfg();
$h->on_node('pve1');
$h->close_device('pve1', 'vm-100-disk-1');
PVE::Storage::deactivate_volumes($cfg, [$efi]);

# --- resize -----------------------------------------------------------------------------------
PVE::Storage::volume_resize($cfg, $disk, 24 * $MiB, 0);
is(scalar(PVE::Storage::volume_size_info($cfg, $disk)), 24 * $MiB, 'volume_resize grows to the exact size');
like(error_of { PVE::Storage::volume_resize($cfg, $disk, 8 * $MiB, 0) }, qr/can only grow/, 'shrinking is refused');
like(error_of { PVE::Storage::volume_resize($cfg, $disk, 32 * $MiB, 0, 'snap') },
    qr/^resizing a snapshot is not supported/, 'resizing a snapshot is refused (APIVER 15)');
my @size_info = PVE::Storage::volume_size_info($cfg, $disk);
is_deeply([@size_info[0, 1]], [24 * $MiB, 'raw'], 'volume_size_info in list context: size and format');

# --- rename -----------------------------------------------------------------------------------
ok(PVE::Storage::volume_has_feature($cfg, 'rename', $disk), 'pm- volumes can be reassigned');
my $renamed = PVE::Storage::rename_volume($cfg, $disk, 150, undef);
is($renamed, "$sid:${disk_resource}_150", 'rename_volume gives the new owner\'s volume id');
is($h->resource_definition($disk_resource)->{props}->{'Aux/pm/vmid'}, '150', 'Aux/pm/vmid follows the owner');
is_deeply([map { $_->{volid} } @{ PVE::Storage::vdisk_list($cfg, $sid, 150)->{$sid} }], [$renamed], 'listed under the new owner');
like(error_of { PVE::Storage::rename_volume($cfg, $efi, 150, undef) }, qr/LINSTOR cannot rename volumes/,
    'a vm- volume cannot be renamed');
$disk = $renamed;

# --- snapshots: rollback to an older one, blockers, info ----------------------------------------
PVE::Storage::activate_volumes($cfg, [$disk]);
my $path = PVE::Storage::path($cfg, $disk);
write_pattern($path, 'one', 0, $MiB);
my $sha_one = sha256_of_file($path, 24 * $MiB);
PVE::Storage::volume_snapshot($cfg, $disk, 'one');
write_pattern($path, 'two', 0, $MiB);
my $sha_two = sha256_of_file($path, 24 * $MiB);
PVE::Storage::volume_snapshot($cfg, $disk, 'two');
write_pattern($path, 'three', 0, $MiB);
is_deeply([sort keys %{ PVE::Storage::volume_snapshot_info($cfg, $disk) }], ['one', 'two'], 'volume_snapshot_info');
$h->open_device('pve1', $disk_resource, 'rw');
my $blockers = [];
like(error_of { PVE::Storage::volume_rollback_is_possible($cfg, $disk, 'one', $blockers) },
    qr/^can't rollback 'pm-[0-9a-f]{8}_150' to 'one': the volume is in use on pve1/, 'no rollback while the guest runs');
$h->close_device('pve1', $disk_resource);
ok(PVE::Storage::volume_rollback_is_possible($cfg, $disk, 'one', $blockers), 'an older snapshot can be rolled back to');
PVE::Storage::volume_snapshot_rollback($cfg, $disk, 'one');
is(sha256_of_file($path, 24 * $MiB), $sha_one, 'rolled back to the older snapshot');
is_deeply([sort keys %{ PVE::Storage::volume_snapshot_info($cfg, $disk) }], ['one', 'two'], 'the newer snapshot stays');
PVE::Storage::volume_snapshot_rollback($cfg, $disk, 'two');
is(sha256_of_file($path, 24 * $MiB), $sha_two, 'and the newest one still holds its data');
like(error_of { PVE::Storage::volume_snapshot_rollback($cfg, $disk, 'nosuch') }, qr/has no snapshot/,
    'rolling back to a missing snapshot says so');

# --- container snapshot backup: the snapshot is read through its own device --------------------
PVE::Storage::volume_snapshot($cfg, $disk, 'vzdump');
write_pattern($path, 'after-vzdump', 0, $MiB);
my %diskful = map { $_->{node_name} => 1 } grep { !grep { $_ eq 'DISKLESS' } @{ $_->{flags} // [] } }
    @{ $h->resources_of($disk_resource) };
my ($reader) = grep { !$diskful{$_} } qw(pve1 pve2 pve3);
$h->on_node($reader);
PVE::Storage::activate_volumes($cfg, [$disk], 'vzdump');
my $snap_path = PVE::Storage::map_volume($cfg, $disk, 'vzdump');
is($snap_path, $h->device_of($reader, "snap_${disk_resource}_vzdump"), 'map_volume of a snapshot names its temporary volume');
is(sha256_of_file($snap_path, 24 * $MiB), $sha_two, 'the snapshot device holds the data of the snapshot time');
is(PVE::Storage::unmap_volume($cfg, $disk, 'vzdump'), 1, 'unmap_volume leaves the device to deactivation');
PVE::Storage::deactivate_volumes($cfg, [$disk], 'vzdump');
my ($left) = grep { $_->{node_name} eq $reader } @{ $h->resources_of("snap_${disk_resource}_vzdump") };
ok(!$left || grep({ $_ eq 'TIE_BREAKER' } @{ $left->{flags} // [] }),
    'deactivating the snapshot removes the attachment made on a node without replica (a tie-breaker may stay)');
$h->on_node('pve1');
PVE::Storage::volume_snapshot_delete($cfg, $disk, 'vzdump');
ok(!$h->resource_definition("snap_${disk_resource}_vzdump"), 'deleting the snapshot removes its temporary volume');
is_deeply($h->snapshot_names($disk_resource), ["snap_${disk_resource}_one", "snap_${disk_resource}_two"], 'and the snapshot');

# --- free with snapshots and a leftover snapshot volume ------------------------------------------
PVE::Storage::activate_volumes($cfg, [$disk], 'one');
PVE::Storage::deactivate_volumes($cfg, [$disk]);
PVE::Storage::vdisk_free($cfg, $disk);
ok(!$h->resource_definition($disk_resource), 'free_image removes a volume that has snapshots');
ok(!$h->resource_definition("snap_${disk_resource}_one"), 'and the volumes its snapshots were read through');

# --- status and its cache ------------------------------------------------------------------------
my $info = PVE::Storage::storage_info($cfg)->{$sid};
is($info->{active}, 1, 'the storage is active');
cmp_ok($info->{total}, '>', 0, 'with a total');
is($info->{used}, $info->{total} - $info->{avail}, 'used = total - avail');
my @cache = glob($h->scratch() . '/cache/status-*.json');
is(scalar(@cache), 1, 'linstor-hv wrote the status cache');
$h->clear_requests();
my $again = PVE::Storage::storage_info($cfg)->{$sid};
is($h->request_total(), 0, 'status from a warm cache makes no REST call');
is_deeply($again, $info, 'and gives the same figures');
ok(PVE::Storage::volume_has_feature($cfg, 'sparseinit', $efi), 'thin pools seen: sparseinit is offered');
if ($h->bridge_pid()) {
    # Without the file the module asks the bridge, which still has the figures in its memory.
    my ($file) = $cache[0] =~ m{^(/[A-Za-z0-9_.+/-]+)$};
    unlink($file) or die "unlink $file: $!";
    $h->clear_requests();
    is_deeply(PVE::Storage::storage_info($cfg)->{$sid}, $info, 'through the bridge: the figures of its memory');
    is($h->request_total(), 0, 'without a REST call either');
}
like(PVE::Storage::get_identity($cfg, $sid), qr/^linstor:[A-Za-z0-9-]+:linstor-hv$/, 'get_identity names cluster and group');

# --- the token is a sensitive property -----------------------------------------------------------
my $plugin = 'PVE::Storage::Custom::LINSTORPlugin';
$plugin->on_add_hook($sid, $h->scfg(), apitoken => 'secret-token-1');
my $token_file = $h->scratch() . "/priv/storage/$sid.token";
is((stat($token_file))[2] & 07777, 0600, 'the token is stored readable by root only');
is(PVE::Storage::Custom::LINSTORPlugin::read_token($sid), 'secret-token-1', 'and read back for requests');
like(error_of { PVE::Storage::vdisk_list($cfg, $sid, undef) },
    qr/refusing to send the bearer token .* over plain HTTP; use an https:\/\//,
    'the token is sent only over HTTPS, and the error says so');
$plugin->on_update_hook($sid, $h->scfg(), apitoken => undef);
ok(!-e $token_file, 'removing the token deletes the file');
$plugin->on_update_hook($sid, $h->scfg(), apitoken => 'secret-token-2');
is(PVE::Storage::Custom::LINSTORPlugin::read_token($sid), 'secret-token-2', 'updating stores the new token');
$plugin->on_delete_hook($sid, $h->scfg());
ok(!-e $token_file, 'removing the storage removes its token');
like(error_of { $plugin->on_add_hook($sid, $h->scfg(), apitoken => "two\nlines") },
    qr/^the LINSTOR token must be one line of printable characters/, 'a token with a line break is refused');
is_deeply([$plugin->volume_import_formats($h->scfg(), $sid, 'vm-100-disk-1', undef, undef, 0)], ['raw+size'],
    'import formats: raw+size');

PVE::Storage::vdisk_free($cfg, $_) for ($efi, $cloudinit, $state);
is_deeply($h->resource_definition_names(), [], 'everything is freed');

done_testing();
