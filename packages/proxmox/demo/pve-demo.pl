#!/usr/bin/perl -T
# The steps of `linstor-hv demo`: the drbd plugin driven through PVE's entry points (with the PVE
# test doubles of test/proxmox/lib) against an emulator that `linstor-hv demo` runs. Prints one JSON
# line per step: {"step", "result", "ok", "ms", "rest"} (rest = /v1 requests the step made).
#
# usage: perl -T pve-demo.pl <emulator url> <emulator data dir> [<bridge socket>]
# With a bridge socket the plugin talks to that bridge; without, it runs one process per call.
use strict;
use warnings;

my $root;
BEGIN {
    require Cwd;
    require File::Basename;
    ($root) = Cwd::abs_path(File::Basename::dirname(__FILE__) . '/../../..') =~ m{^(/[A-Za-z0-9_.+/-]+)$}
        or die "unsafe install directory\n";
}
use lib "$root/test/proxmox/lib", "$root/packages/proxmox/perl";

use JSON::PP;
use Time::HiRes qw(time);
use LinstorHvHarness qw(sha256_of_file write_pattern);
use PVE::Storage;

$| = 1;
my ($url, $data_dir, $bridge_socket) = @ARGV;
die "usage: pve-demo.pl <emulator url> <data dir> [<bridge socket>]\n" if !defined($data_dir);

my $MiB = 1024 * 1024;
my $SIZE = 64 * $MiB;
my $h = LinstorHvHarness->new(external => { url => $url, data_dir => $data_dir,
    bridge_socket => $bridge_socket // "$data_dir/no-bridge.sock" });
my $cfg = $h->cfg();
my $sid = $h->storeid();
my $json = JSON::PP->new->canonical;
my $all_ok = 1;

# Runs one step: $code returns (result text, ok); REST calls are counted around it only.
sub step {
    my ($name, $code) = @_;
    $h->clear_requests();
    my $start = time();
    my ($result, $ok) = eval { $code->() };
    my $ms = int((time() - $start) * 1000);
    my $rest = $h->request_total();
    if (my $err = $@) {
        chomp($err);
        ($result, $ok) = ("error: $err", 0);
    }
    $all_ok &&= $ok ? 1 : 0;
    print $json->encode({ step => $name, result => $result, ok => $ok ? JSON::PP::true : JSON::PP::false,
        ms => $ms, rest => $rest }), "\n";
    die "demo stopped after a failed step\n" if !$ok;
    return;
}

sub short { return substr($_[0], 0, 12) }

my ($volid, $resource, $path1, $sha_written, $template, $clone, $imported);
eval {
    step('create a 64 MiB disk on pve1', sub {
        $h->on_node('pve1');
        $volid = PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', undef, $SIZE / 1024);
        ($resource) = $volid =~ /:(pm-[0-9a-f]{8})_100$/;
        return ($volid, defined($resource));
    });
    step('write data on pve1 (QEMU opens the disk)', sub {
        PVE::Storage::activate_volumes($cfg, [$volid]);
        $path1 = scalar(PVE::Storage::path($cfg, $volid));
        my $open = $h->open_device('pve1', $resource, 'rw');
        write_pattern($path1, 'demo-data', 0, 8 * $MiB);
        $sha_written = sha256_of_file($path1, $SIZE);
        return ('sha256 ' . short($sha_written), $open->{status} == 200);
    });
    step('snapshot "demo"', sub {
        PVE::Storage::volume_snapshot($cfg, $volid, 'demo');
        my $info = PVE::Storage::volume_snapshot_info($cfg, $volid);
        return ("LINSTOR snapshot snap_${resource}_demo", exists $info->{demo});
    });
    step('template and linked clone', sub {
        my $disk = PVE::Storage::vdisk_alloc($cfg, $sid, 900, 'raw', 'vm-900-disk-0', 16 * 1024);
        PVE::Storage::activate_volumes($cfg, [$disk]);
        my $template_path = scalar(PVE::Storage::path($cfg, $disk));
        write_pattern($template_path, 'golden-image', 0, 4 * $MiB);
        my $sha = sha256_of_file($template_path, 16 * $MiB);
        PVE::Storage::deactivate_volumes($cfg, [$disk]);
        $template = PVE::Storage::vdisk_create_base($cfg, $disk);
        $clone = PVE::Storage::vdisk_clone($cfg, $template, 101, undef);
        PVE::Storage::activate_volumes($cfg, [$clone]);
        my $same = sha256_of_file(scalar(PVE::Storage::path($cfg, $clone)), 16 * $MiB) eq $sha;
        PVE::Storage::deactivate_volumes($cfg, [$clone]);
        return ("$clone holds the template's data", $same);
    });
    step('live migration: second writer on pve2 before activation', sub {
        my $status = $h->open_device('pve2', $resource, 'rw')->{status};
        return ("refused (HTTP $status)", $status != 200);
    });
    step('live migration: activate on pve2', sub {
        $h->on_node('pve2');
        PVE::Storage::activate_volumes($cfg, [$volid]);
        return ('dual-primary allowed for pve1/pve2 only', 1);
    });
    step('live migration: QEMU overlap (both open, source stops)', sub {
        my $open = $h->open_device('pve2', $resource, 'rw')->{status};
        my $same = sha256_of_file(scalar(PVE::Storage::path($cfg, $volid)), $SIZE) eq $sha_written;
        my $close = $h->close_device('pve1', $resource)->{status};
        return ('pve2 reads what pve1 wrote', $open == 200 && $same && $close == 200);
    });
    step('live migration: deactivate on pve1', sub {
        $h->on_node('pve1');
        PVE::Storage::deactivate_volumes($cfg, [$volid]);
        return ('migration committed', 1);
    });
    step('live migration: second writer on pve1 afterwards', sub {
        my $status = $h->open_device('pve1', $resource, 'rw')->{status};
        return ("refused (HTTP $status)", $status != 200);
    });
    step('roll back to "demo" (guest stopped)', sub {
        $h->close_device('pve2', $resource);
        $h->on_node('pve2');
        PVE::Storage::deactivate_volumes($cfg, [$volid]);
        write_pattern($path1, 'overwritten', 0, $MiB);
        PVE::Storage::volume_snapshot_rollback($cfg, $volid, 'demo');
        my $same = sha256_of_file($path1, $SIZE) eq $sha_written;
        return ('data as at the snapshot', $same);
    });
    step('export (raw+size) and import as vm-200-disk-0', sub {
        $h->on_node('pve1');
        my $stream = $h->scratch() . '/demo-export.raw';
        open(my $out, '>', $stream) or die "$stream: $!\n";
        PVE::Storage::volume_export($cfg, $out, $volid, 'raw+size', undef, undef, 0);
        close($out);
        open(my $in, '<', $stream) or die "$stream: $!\n";
        $imported = PVE::Storage::volume_import($cfg, $in, "$sid:vm-200-disk-0", 'raw+size', undef, undef, 0, 0);
        close($in);
        unlink($stream);
        PVE::Storage::activate_volumes($cfg, [$imported]);
        my $same = sha256_of_file(scalar(PVE::Storage::path($cfg, $imported)), $SIZE) eq $sha_written;
        PVE::Storage::deactivate_volumes($cfg, [$imported]);
        return ("$imported, same sha256", $same);
    });
    step('delete everything', sub {
        PVE::Storage::vdisk_free($cfg, $_) for ($imported, $clone, $template, $volid);
        my $left = scalar(@{ PVE::Storage::vdisk_list($cfg, $sid, undef)->{$sid} });
        return ("$left volumes left", $left == 0);
    });
};
warn $@ if $@ && $@ ne "demo stopped after a failed step\n";
$h->cleanup();
print $json->encode({ done => JSON::PP::true, ok => $all_ok && !$@ ? JSON::PP::true : JSON::PP::false }), "\n";
exit($all_ok && !$@ ? 0 : 1);
