#!/usr/bin/perl -T
# The demo scenario through PVE's entry points, checked at the data level: create a disk, write on
# pve1, snapshot, template and linked clone, live-migrate pve1 -> pve2 with QEMU's overlap acted out
# through the emulator, roll back, export/import, delete.
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

my $SIZE = 64 * $MiB;

my $h = LinstorHvHarness->new();
my $cfg = $h->cfg();
my $sid = $h->storeid();

# --- create and write on pve1 ------------------------------------------------------------------
$h->on_node('pve1');
my $volid = PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', undef, $SIZE / 1024);
like($volid, qr/^drbdstorage:pm-[0-9a-f]{8}_100$/, 'vdisk_alloc without a name gives a pm-<8 hex>_<vmid> volume');
my (undef, $volname) = PVE::Storage::parse_volume_id($volid);
my ($resource) = $volname =~ /^(pm-[0-9a-f]{8})_100$/;

my $rd = $h->resource_definition($resource);
is($rd->{props}->{'Aux/pm/vmid'}, '100', 'the owner is recorded as linstor-proxmox does (Aux/pm/vmid)');
is($rd->{props}->{'DrbdOptions/Net/allow-two-primaries'}, undef, 'no dual-primary on the new definition');
my @diskful = map { $_->{node_name} } grep { !grep { $_ eq 'DISKLESS' } @{ $_->{flags} // [] } } @{ $h->resources_of($resource) };
ok((grep { $_ eq 'pve1' } @diskful), 'preferlocal: a diskful replica on the creating node');
is(scalar(@diskful), 2, 'the group\'s two replicas');

PVE::Storage::activate_volumes($cfg, [$volid]);
my $path1 = PVE::Storage::path($cfg, $volid);
is($path1, $h->device_of('pve1', $resource), 'path() is the by-res device on pve1');
ok(-e $path1, 'the device exists after activation');
is($h->open_device('pve1', $resource, 'rw')->{status}, 200, 'QEMU opens the disk on pve1');
write_pattern($path1, 'first', 0, $MiB);
write_pattern($path1, 'first-tail', $SIZE - $MiB, $MiB);
my $sha_first = sha256_of_file($path1, $SIZE);

# --- snapshot ----------------------------------------------------------------------------------
PVE::Storage::volume_snapshot($cfg, $volid, 'snap1');
is_deeply($h->snapshot_names($resource), ["snap_${resource}_snap1"], 'the LINSTOR snapshot has linstor-proxmox\'s name');
write_pattern($path1, 'second', 0, $MiB);
my $sha_second = sha256_of_file($path1, $SIZE);
isnt($sha_second, $sha_first, 'writes after the snapshot change the disk');
my $info = PVE::Storage::volume_snapshot_info($cfg, $volid);
is_deeply([sort keys %$info], ['snap1'], 'volume_snapshot_info names the PVE snapshot');
cmp_ok(abs($info->{snap1}->{timestamp} - time()), '<', 300, 'with its creation time');

# --- live migration pve1 -> pve2 ----------------------------------------------------------------
isnt($h->open_device('pve2', $resource, 'rw')->{status}, 200, 'a second writer on pve2 is refused before activation there');
$h->on_node('pve2');
PVE::Storage::activate_volumes($cfg, [$volid]);
my $path2 = PVE::Storage::path($cfg, $volid);
is($path2, $h->device_of('pve2', $resource), 'path() on pve2');
is($h->open_device('pve2', $resource, 'rw')->{status}, 200, 'the migration target may open the disk while the source has it');
is(sha256_of_file($path2, $SIZE), $sha_second, 'the target reads what the source wrote');
is($h->close_device('pve1', $resource)->{status}, 200, 'QEMU on the source stops after the hand-over');
$h->on_node('pve1');
PVE::Storage::deactivate_volumes($cfg, [$volid]);
isnt($h->open_device('pve1', $resource, 'rw')->{status}, 200, 'after deactivation on the source a second writer is refused again');
my $props_after = $h->resource_definition($resource)->{props} // {};
is($props_after->{'DrbdOptions/Net/allow-two-primaries'}, undef, 'no dual-primary left on the definition');
is($props_after->{'Aux/linstor-hv/migration'}, undef, 'no migration record left');
my $connection = $h->http('GET', "/v1/resource-definitions/$resource/resource-connections/pve1/pve2");
my $conn_props = ref($connection->{body}) eq 'ARRAY' ? ($connection->{body}->[0]->{props} // {}) : ($connection->{body}->{props} // {});
is($conn_props->{'DrbdOptions/Net/allow-two-primaries'}, undef, 'no dual-primary left on the pve1/pve2 connection');
write_pattern($path2, 'on-pve2', 2 * $MiB, $MiB);
my $sha_pve2 = sha256_of_file($path2, $SIZE);
is(sha256_of_file($path1, $SIZE), $sha_pve2, 'pve1\'s replica follows what the guest writes on pve2');
is($h->close_device('pve2', $resource)->{status}, 200, 'the guest stops on pve2');
$h->on_node('pve2');
PVE::Storage::deactivate_volumes($cfg, [$volid]);

# --- rollback ----------------------------------------------------------------------------------
$h->on_node('pve1');
ok(PVE::Storage::volume_rollback_is_possible($cfg, $volid, 'snap1', []), 'rollback to the newest snapshot is possible');
PVE::Storage::volume_snapshot_rollback($cfg, $volid, 'snap1');
is(sha256_of_file($path1, $SIZE), $sha_first, 'after the rollback the disk holds the snapshot\'s data');

# --- template and linked clone ------------------------------------------------------------------
my $template_disk = PVE::Storage::vdisk_alloc($cfg, $sid, 900, 'raw', 'vm-900-disk-0', 32 * 1024);
is($template_disk, 'drbdstorage:vm-900-disk-0', 'a named disk keeps its PVE name');
PVE::Storage::activate_volumes($cfg, [$template_disk]);
my $template_path = PVE::Storage::path($cfg, $template_disk);
write_pattern($template_path, 'golden-image', 0, 4 * $MiB);
my $sha_template = sha256_of_file($template_path, 32 * $MiB);
PVE::Storage::deactivate_volumes($cfg, [$template_disk]);
ok(PVE::Storage::volume_has_feature($cfg, 'template', $template_disk), 'the disk can become a template');
my $base = PVE::Storage::vdisk_create_base($cfg, $template_disk);
is($base, 'drbdstorage:base-900-disk-0', 'create_base gives base-900-disk-0');
is(scalar(PVE::Storage::path($cfg, $base)), $h->device_of('pve1', 'vm-900-disk-0'), 'the template keeps its resource');
ok(PVE::Storage::volume_has_feature($cfg, 'clone', $base), 'templates offer linked clones');
my $clone = PVE::Storage::vdisk_clone($cfg, $base, 101, undef);
like($clone, qr{^drbdstorage:base-900-disk-0/pm-[0-9a-f]{8}_101$}, 'the linked clone names its template');
$h->on_node('pve3');
PVE::Storage::activate_volumes($cfg, [$clone]);
my $clone_path = PVE::Storage::path($cfg, $clone);
like($clone_path, qr{/nodes/pve3/dev/drbd/by-res/pm-[0-9a-f]{8}/0$}, 'the clone is reachable on pve3');
is(sha256_of_file($clone_path, 32 * $MiB), $sha_template, 'the clone holds the template\'s data');
write_pattern($clone_path, 'clone-own', 0, $MiB);
PVE::Storage::deactivate_volumes($cfg, [$clone]);
$h->on_node('pve1');
PVE::Storage::activate_volumes($cfg, [$base]);
is(sha256_of_file($template_path, 32 * $MiB), $sha_template, 'writing the clone leaves the template unchanged');
PVE::Storage::deactivate_volumes($cfg, [$base]);
my $images = PVE::Storage::vdisk_list($cfg, $sid, undef)->{$sid};
my ($listed_clone) = grep { $_->{volid} eq $clone } @$images;
is($listed_clone->{parent}, "$sid:base-900-disk-0", 'list_images names the clone\'s template');
eval { PVE::Storage::vdisk_free($cfg, $base) };
like($@, qr/^base volume 'base-900-disk-0' is still in use by linked cloned/, 'PVE keeps a template that has linked clones');

# --- clone from a snapshot ----------------------------------------------------------------------
my $from_snapshot = PVE::Storage::vdisk_clone($cfg, $volid, 102, 'snap1');
like($from_snapshot, qr/^drbdstorage:pm-[0-9a-f]{8}_102$/, 'a clone from a snapshot');
PVE::Storage::activate_volumes($cfg, [$from_snapshot]);
is(sha256_of_file(scalar(PVE::Storage::path($cfg, $from_snapshot)), $SIZE), $sha_first, 'it holds the snapshot\'s data');
PVE::Storage::deactivate_volumes($cfg, [$from_snapshot]);

# --- export / import (raw+size) ---------------------------------------------------------------
my $stream = $h->scratch() . '/export.raw';
{
    open(my $out, '>', $stream) or die $!;
    PVE::Storage::volume_export($cfg, $out, $volid, 'raw+size', undef, undef, 0);
    close($out);
}
is(-s $stream, $SIZE + 8, 'the export is an 8-byte size header and the raw data');
{
    open(my $in, '<', $stream) or die $!;
    read($in, my $header, 8);
    is(unpack('Q<', $header), $SIZE, 'the header holds the size in bytes (little endian)');
}
my $imported;
{
    open(my $in, '<', $stream) or die $!;
    $imported = PVE::Storage::volume_import($cfg, $in, "$sid:vm-200-disk-0", 'raw+size', undef, undef, 0, 0);
    close($in);
}
is($imported, "$sid:vm-200-disk-0", 'volume_import returns the volume id');
PVE::Storage::activate_volumes($cfg, [$imported]);
is(sha256_of_file(scalar(PVE::Storage::path($cfg, $imported)), $SIZE), $sha_first, 'the imported disk equals the exported one');
PVE::Storage::deactivate_volumes($cfg, [$imported]);
{
    open(my $in, '<', $stream) or die $!;
    eval { PVE::Storage::volume_import($cfg, $in, "$sid:vm-200-disk-0", 'raw+size', undef, undef, 0, 0) };
    like($@, qr/^volume 'vm-200-disk-0' already exists$/m, 'importing over an existing volume is refused');
}
{
    open(my $in, '<', $stream) or die $!;
    my $renamed = PVE::Storage::volume_import($cfg, $in, "$sid:vm-200-disk-0", 'raw+size', undef, undef, 0, 1);
    like($renamed, qr/^drbdstorage:pm-[0-9a-f]{8}_200$/, 'with allow-rename the import gets a new name');
    PVE::Storage::vdisk_free($cfg, $renamed);
}
my $snapshot_stream = $h->scratch() . '/snapshot.raw';
{
    open(my $out, '>', $snapshot_stream) or die $!;
    PVE::Storage::volume_export($cfg, $out, $volid, 'raw+size', 'snap1', undef, 0);
    close($out);
    open(my $in, '<', $snapshot_stream) or die $!;
    read($in, my $header, 8);
    my $sha = Digest::SHA->new(256);
    $sha->addfile($in);
    is($sha->hexdigest(), $sha_first, 'a snapshot exports its own data');
}

# --- delete ------------------------------------------------------------------------------------
PVE::Storage::vdisk_free($cfg, $_) for ($imported, $from_snapshot, $clone, $base, $volid);
is_deeply($h->resource_definition_names(), [], 'every disk, snapshot volume and template is gone');
is_deeply(PVE::Storage::vdisk_list($cfg, $sid, undef)->{$sid}, [], 'list_images is empty');

done_testing();
