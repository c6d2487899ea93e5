#!/usr/bin/perl -T
# The bridge restarted under load: four PVE workers (one guest each) call the plugin concurrently
# (allocate, activate, resize, size, list, snapshot, delete the snapshot, deactivate, free) while
# the bridge is stopped with SIGTERM and started again, and later killed with SIGKILL and started
# again. After SIGTERM no call fails: calls in flight finish, new ones take the one-shot command
# until the new bridge answers. After SIGKILL only the calls in flight may fail, and only with the
# "outcome is unknown" message; checked and repeated as that message says, they succeed. At the end
# nothing is left: no volume, snapshot, resource or device.
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

use JSON::PP;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
use LinstorHvHarness;

if (LinstorHvHarness::transport() ne 'bridge') {
    plan(skip_all => 'restarting the bridge needs the bridge (this run goes through the one-shot command)');
}

my $h = LinstorHvHarness->new();
my $sid = $h->storeid();
my $scfg = $h->scfg();
my $plugin = 'PVE::Storage::Custom::LINSTORPlugin';
my $journal = $h->scratch() . '/calls.jsonl';
my $WORKERS = 4;
my $ROUNDS = 6;
my $KiB = 4096;

# One line per finished call: worker, round, method, phase ('call' or 'repeat'), error text.
sub record {
    my ($entry) = @_;
    open(my $fh, '>>', $journal) or die $!;
    flock($fh, 2);
    print {$fh} JSON::PP->new->canonical->encode($entry), "\n";
    close($fh);
}

sub journal {
    open(my $fh, '<', $journal) or return [];
    return [map { JSON::PP->new->decode($_) } <$fh>];
}

# Runs one PVE call; a call whose outcome is unknown is checked and, where it did not happen, repeated.
sub pve_call {
    my ($worker, $round, $method, $call, $happened) = @_;
    my $ok = eval { $call->(); 1 };
    my $error = $ok ? '' : "$@";
    record({ worker => $worker, round => $round, method => $method, phase => 'call', error => $error, at => time() });
    return if $ok;
    die $error if $error !~ /the outcome is unknown/;
    if ($happened && eval { $happened->() }) {
        record({ worker => $worker, round => $round, method => $method, phase => 'checked', error => '', at => time() });
        return;
    }
    my $repeated = eval { $call->(); 1 };
    record({ worker => $worker, round => $round, method => $method, phase => 'repeat', error => $repeated ? '' : "$@",
        at => time() });
    die $@ if !$repeated;
}

sub worker {
    my ($worker) = @_;
    my $vmid = 300 + $worker;
    $h->on_node('pve' . (1 + $worker % 3));
    for my $round (1 .. $ROUNDS) {
        my $name = "vm-$vmid-disk-$round";
        my $run = sub { pve_call($worker, $round, @_) };
        # Done when PVE sees it: listed for the guest, at its size.
        my $exists = sub {
            grep { $_->{volid} eq "$sid:$name" && $_->{size} == $KiB * 1024 }
                @{ $plugin->list_images($sid, $scfg, $vmid, undef, {}) };
        };
        my $snapshots = sub { $plugin->volume_snapshot_info($scfg, $sid, $name) };
        $run->('alloc_image', sub { $plugin->alloc_image($sid, $scfg, $vmid, 'raw', $name, $KiB) }, $exists);
        $run->('activate_volume', sub { $plugin->activate_volume($sid, $scfg, $name, undef, {}) });
        $run->('volume_resize', sub { $plugin->volume_resize($scfg, $sid, $name, 2 * $KiB * 1024, 0) });
        $run->('volume_size_info', sub {
            my $size = $plugin->volume_size_info($scfg, $sid, $name);
            die "size $size, expected " . (2 * $KiB * 1024) . "\n" if $size != 2 * $KiB * 1024;
        });
        $run->('list_images', sub {
            my $list = $plugin->list_images($sid, $scfg, $vmid, undef, {});
            die "$name is not listed\n" if !grep { $_->{volid} eq "$sid:$name" } @$list;
        });
        $run->('volume_snapshot', sub { $plugin->volume_snapshot($scfg, $sid, $name, 'before') },
            sub { exists($snapshots->()->{before}) });
        $run->('volume_snapshot_delete', sub { $plugin->volume_snapshot_delete($scfg, $sid, $name, 'before') },
            sub { !exists($snapshots->()->{before}) });
        $run->('deactivate_volume', sub { $plugin->deactivate_volume($sid, $scfg, $name, undef, {}) });
        $run->('free_image', sub { $plugin->free_image($sid, $scfg, $name, 0, 'raw')->() });
    }
}

my @children;
for my $worker (0 .. $WORKERS - 1) {
    my $pid = fork() // die "fork: $!\n";
    if (!$pid) {
        my $ok = eval { local $SIG{__WARN__} = sub {}; worker($worker); 1 };
        record({ worker => $worker, phase => 'done', error => $ok ? '' : "$@", at => time() });
        POSIX::_exit($ok ? 0 : 1);
    }
    push @children, $pid;
}

sub wait_for_calls {
    my ($count) = @_;
    my $deadline = time() + 300;
    sleep(0.05) while @{ journal() } < $count && time() < $deadline;
}

# --- SIGTERM in the middle of the workload, then a new bridge --------------------------------------
wait_for_calls(12);
my $term_exit = $h->stop_bridge('TERM');
$h->start_bridge();
# --- later SIGKILL, then a new bridge ------------------------------------------------------------
wait_for_calls(@{ journal() } + 12);
my $kill_at = time();
$h->stop_bridge('KILL');
$h->start_bridge();

my %exit;
for my $pid (@children) {
    waitpid($pid, 0);
    $exit{$pid} = $? >> 8;
}
my $calls = journal();
is(scalar(grep { $_->{phase} eq 'done' && $_->{error} eq '' } @$calls), $WORKERS, 'every worker finished its rounds')
    or diag(explain([grep { $_->{error} ne '' } @$calls]));
is(scalar(grep { $_->{phase} eq 'call' } @$calls), $WORKERS * $ROUNDS * 9, 'every call was made');
is($term_exit, 0, 'the bridge stopped cleanly on SIGTERM');
my @failed = grep { $_->{phase} eq 'call' && $_->{error} ne '' } @$calls;
is_deeply([grep { $_->{at} < $kill_at } @failed], [], 'no call failed around the SIGTERM restart');
my @unknown = grep { $_->{error} =~ /the outcome is unknown/ } @failed;
is_deeply([map { $_->{error} } grep { $_->{error} !~ /the outcome is unknown/ } @failed], [],
    'after SIGKILL the only failures are calls whose reply was lost');
ok(scalar(@unknown) <= $WORKERS, 'at most one per worker (the call it had in flight)');
for my $lost (@unknown) {
    my ($settled) = grep {
        defined($_->{round}) && $_->{worker} == $lost->{worker} && $_->{round} == $lost->{round}
            && $_->{method} eq $lost->{method}
            && ($_->{phase} eq 'repeat' || $_->{phase} eq 'checked')
    } @$calls;
    ok($settled && $settled->{error} eq '', "$lost->{method} of worker $lost->{worker} succeeded when checked and repeated");
}
note(scalar(@unknown) . " call(s) lost their reply at the SIGKILL:\n" . join("", map { $_->{error} } @unknown));
my $log = do { local (@ARGV, $/) = ($h->bridge_log()); <> };
like($log, qr/"event":"signal","signal":"SIGTERM"/, 'the first bridge logged the SIGTERM');
like($log, qr/"event":"stopped","clean":true/, 'and stopped cleanly');
like($log, qr/"event":"call","method":"alloc_image"[^\n]*"outcome":"completed"[^\n]*"restCalls":[1-9]/,
    'each call is logged with its outcome and REST calls');
is(scalar(() = $log =~ /"event":"listening"/g), 3, 'three bridges ran one after the other');

# --- nothing left behind --------------------------------------------------------------------------
is_deeply($plugin->list_images($sid, $scfg, undef, undef, {}), [], 'the storage lists no volume');
is_deeply([grep { /^vm-30\d-/ } @{ $h->resource_definition_names() }], [], 'LINSTOR has no resource definition of the workload');
is_deeply($h->rest('GET', '/v1/view/snapshots'), [], 'no snapshot');
is_deeply([grep { $_->{name} =~ /^vm-30\d-/ } @{ $h->rest('GET', '/v1/view/resources') }], [], 'no resource');
my @devices = glob($h->data_dir() . '/nodes/*/dev/drbd/by-res/vm-30*');
is_deeply(\@devices, [], 'no device on any node');
# core's orphan audit, as an operator runs it: no pending, temporary or half-made object of ours.
my ($node, $bundle, $url) = (LinstorHvHarness::node_binary(), LinstorHvHarness::cli_bundle(), $h->url());
my $audit = `$node $bundle cleanup --dry-run --grace 0s --platform proxmox --controllers $url 2>&1`;
like($audit, qr/^no leftovers found$/m, 'the orphan audit finds no leftover') or diag($audit);

done_testing();
