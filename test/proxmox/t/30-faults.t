#!/usr/bin/perl -T
# The network and the controller misbehaving: a controller list whose first entry is closed and
# whose second never answers, the controller going away (local activation and deactivation keep
# working, status shows the last known figures), a lost reply, and LINSTOR refusing (one line).
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

use IO::Socket::INET;
use Test::More;
use LinstorHvHarness qw($MiB error_of sha256_of_file write_pattern);
use PVE::Storage;

my $h = LinstorHvHarness->new(blackhole => 1);
my $sid = $h->storeid();

sub warnings_of(&) {
    my ($code) = @_;
    my @warnings;
    local $SIG{__WARN__} = sub { push @warnings, $_[0] };
    my $result = eval { $code->(); 1 };
    return ($result, $@, join('', @warnings));
}

# A port that was free a moment ago: connections to it are refused.
my $closed_port = do {
    my $socket = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0) or die $!;
    my $port = $socket->sockport();
    close($socket);
    $port;
};

# --- failover: closed, black-holed, then the real controller ---------------------------------------
$h->configure(controller => join(',', "http://127.0.0.1:$closed_port", $h->blackhole_url(), $h->url()));
my $cfg = $h->cfg();
$h->on_node('pve1');
my $volid = PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', 'vm-100-disk-0', 8192);
is($volid, "$sid:vm-100-disk-0", 'allocation works past a closed and a black-holed controller');
is_deeply([map { $_->{volid} } @{ PVE::Storage::vdisk_list($cfg, $sid, 100)->{$sid} }], [$volid],
    'and the next call (starting with the controller that answered last) too');
my @state = glob($h->scratch() . '/cache/controller-*');
is(scalar(@state), 1, 'the controller that answered is remembered for the next process');

# --- LINSTOR refusing: one line with LINSTOR's words ----------------------------------------------
$h->configure();
$cfg = $h->cfg();
$h->add_fault({ method => 'POST', template => '/v1/resource-definitions/{rd}/snapshots', action => 'error',
    status => 500, message => 'Satellite pve2 reported: thin pool exhausted' });
my $refusal = error_of { PVE::Storage::volume_snapshot($cfg, $volid, 'snap1') };
like($refusal, qr/Satellite pve2 reported: thin pool exhausted/, 'a refusal carries LINSTOR\'s message');
like($refusal, qr/\A[^\n]+\n\z/, 'on one line, as a PVE task log shows it');
unlike($refusal, qr/ at \S+ line \d+/, 'without a Perl or JavaScript trace');
is_deeply($h->snapshot_names('vm-100-disk-0'), [], 'and no snapshot is left behind');

# --- a lost reply: LINSTOR made the volume, the answer never came back --------------------------------
$h->add_fault({ method => 'POST', template => '/v1/resource-groups/{rg}/spawn', action => 'drop-after' });
my $lost = PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', 'vm-100-disk-5', 8192);
is($lost, "$sid:vm-100-disk-5", 'allocation survives a lost reply');
is(scalar(grep { $_ eq 'vm-100-disk-5' } @{ $h->resource_definition_names() }), 1, 'with exactly one volume made');
$h->clear_faults();

# --- controller outage --------------------------------------------------------------------------------
PVE::Storage::activate_volumes($cfg, [$volid]);
my $path = PVE::Storage::path($cfg, $volid);
write_pattern($path, 'before-outage', 0, $MiB);
my $sha = sha256_of_file($path, 8 * $MiB);
my $figures = PVE::Storage::storage_info($cfg)->{$sid};
is($figures->{active}, 1, 'status before the outage');
# Let the status cache age past statuscache (60 s), as if the last refresh was an hour ago.
my ($cache_file) = PVE::Storage::Custom::LINSTORPlugin::status_cache_file($h->scfg()) =~ m{^(/[A-Za-z0-9_.+/-]+)$};
ok(-f $cache_file, 'the status cache of this controller list exists');
utime(time() - 3600, time() - 3600, $cache_file);
# A bridge keeps the figures in its memory; restarted (as after a reboot) it has none, and the
# module falls back to the file.
if ($h->bridge_pid()) {
    $h->stop_bridge('TERM');
    $h->start_bridge();
}

$h->stop_emulator();

my ($ok, $err, $warned) = warnings_of { PVE::Storage::activate_volumes($cfg, [$volid]) };
ok($ok, 'activation with the controller down works when the device exists') or diag($err);
like($warned, qr/LINSTOR controller is unreachable, using the existing device/, 'with a warning');
is(sha256_of_file($path, 8 * $MiB), $sha, 'and the data is there');

# A volume whose device was never made on this node cannot be activated without the controller.
ok(!-e $h->device_of('pve2', 'vm-100-disk-7'), 'vm-100-disk-7 has no device on pve2');
$h->on_node('pve2');
my ($ok2, $err2) = warnings_of { PVE::Storage::activate_volumes($cfg, ["$sid:vm-100-disk-7"]) };
ok(!$ok2, 'activation without a local device fails with the controller down');
like($err2, qr/^Activating volume 'vm-100-disk-7' on node 'pve2' failed: .*No LINSTOR controller answered/,
    'saying that no controller answered');
$h->on_node('pve1');

my ($ok3, $err3, $warned3) = warnings_of { PVE::Storage::deactivate_volumes($cfg, [$volid]) };
ok($ok3, 'deactivation with the controller down succeeds') or diag($err3);
like($warned3, qr/controller is unreachable; 'vm-100-disk-0' stays attached on 'pve1'/, 'and says what stays');

my $during;
my (undef, undef, $warned4) = warnings_of { $during = PVE::Storage::storage_info($cfg)->{$sid} };
is($during->{active}, 1, 'status stays active during the outage');
is_deeply([@$during{qw(total avail used)}], [@$figures{qw(total avail used)}], 'with the last known figures');
like($warned4, qr/storage 'drbdstorage': LINSTOR controller unreachable, using figures from \d+ s ago/,
    'and a warning saying how old they are');

my (undef, $alloc_error) = warnings_of { PVE::Storage::vdisk_alloc($cfg, $sid, 100, 'raw', 'vm-100-disk-9', 8192) };
like($alloc_error, qr/No LINSTOR controller answered/, 'allocation fails clearly while no controller answers');

# --- back online --------------------------------------------------------------------------------------
$h->restart_emulator();
$cfg = $h->cfg();
PVE::Storage::vdisk_free($cfg, $_) for ($volid, $lost);
is_deeply($h->resource_definition_names(), [], 'after the outage everything can be freed');

done_testing();
