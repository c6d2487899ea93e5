#!/usr/bin/perl -T
# Benchmark of the drbd plugin through its Perl entry points (the real module, the built
# linstor-hv bundle, the emulator as a separate process): wall time p50/p95 and /v1 REST calls per
# PVE method, at 10 and at 10,000 existing volumes, beside the calls linstor-proxmox makes for the
# same method. The existing volumes are other guests' disks in the same resource group (spawned
# definitions_only, with Aux/pm/vmid), as on a large PVE cluster. Prints the table and writes it to
# the "## Proxmox" section of test/bench/RESULTS.md.
#
#   perl -T test/bench/proxmox-methods.bench.pl [small large samples] [--no-write]   (default 10 10000 10)
use strict;
use warnings;

my $root;
BEGIN {
    require Cwd;
    require File::Basename;
    ($root) = Cwd::abs_path(File::Basename::dirname(__FILE__) . '/../..') =~ m{^(/[A-Za-z0-9_.+/-]+)$}
        or die "unsafe directory\n";
}
use lib "$root/test/bench/lib", "$root/test/proxmox/lib", "$root/packages/proxmox/perl";

use POSIX ();
use Time::HiRes qw(time);
use LinstorHvHarness;
use ProxmoxBench qw(populate percentile fmt_ms write_results_section load_average);
use PVE::Storage;

my @numbers = map { /^(\d+)$/ ? $1 : () } @ARGV;
my ($SMALL, $LARGE, $SAMPLES) = @numbers ? @numbers : (10, 10000, 10);
my $PURE_ITERATIONS = 2000;
my $PARALLEL = 4;

# This benchmark measures the one-shot command; proxmox-bridge.bench.pl measures the bridge.
$ENV{LINSTOR_HV_PVE_TRANSPORT} = 'oneshot';
my $h = LinstorHvHarness->new();
local $SIG{__WARN__} = sub { warn @_ if $_[0] !~ /no bridge at/ };
my $load_before = load_average();
my $cfg = $h->cfg();
my $sid = $h->storeid();
my $scfg = $h->scfg();
my $plugin = 'PVE::Storage::Custom::LINSTORPlugin';
$h->on_node('pve1');

# Background volumes: other guests' disks, created the cheap way (no replicas placed).
my $existing = 0;
sub grow_to {
    my ($target) = @_;
    populate($h->url(), $existing, $target, $PARALLEL);
    $existing = $target if $target > $existing;
}

# Runs $code once, returning (milliseconds, /v1 requests).
sub measure {
    my ($code) = @_;
    $h->clear_requests();
    my $start = time();
    $code->();
    my $ms = (time() - $start) * 1000;
    return ($ms, $h->request_total());
}

my %results;    # method => size => { times => [], calls => {n => 1} }
sub record {
    my ($method, $size, $ms, $calls) = @_;
    push @{ $results{$method}{$size}{times} }, $ms;
    $results{$method}{$size}{calls}{$calls} = 1;
}

my $cache_file;
for my $size ($SMALL, $LARGE) {
    grow_to($size);
    print STDERR "measuring with $size existing volumes\n";
    for my $round (1 .. $SAMPLES) {
        my $volname;
        my ($ms, $calls) = measure(sub { $volname = $plugin->alloc_image($sid, $scfg, 200, 'raw', undef, 4096) });
        record('alloc_image', $size, $ms, $calls);
        my $volid = "$sid:$volname";
        ($ms, $calls) = measure(sub { $plugin->activate_volume($sid, $scfg, $volname, undef, {}) });
        record('activate_volume (replica on this node)', $size, $ms, $calls);
        $h->on_node('pve3');
        my %placed = map { $_->{node_name} => 1 } @{ $h->resources_of(($volname =~ /^(pm-[0-9a-f]{8})/)[0]) };
        ($ms, $calls) = measure(sub { $plugin->activate_volume($sid, $scfg, $volname, undef, {}) });
        record('activate_volume (' . ($placed{pve3} ? 'tie-breaker' : 'no resource') . ' on this node)', $size, $ms, $calls);
        # The deactivation below measures removing an attachment; the tie-breaker case leaves one.
        ($ms, $calls) = measure(sub { $plugin->deactivate_volume($sid, $scfg, $volname, undef, {}) });
        record('deactivate_volume (diskless attachment)', $size, $ms, $calls);
        # A volume without tie-breaker, as on clusters with more nodes than replicas + 1.
        my $bare_volume = sprintf('vm-%d-disk-%d', 30000 + $round, $size);
        $h->rest('POST', '/v1/resource-groups/linstor-hv/spawn', {
            resource_definition_name => $bare_volume, volume_sizes => [4096],
            resource_definition_props => { 'Aux/pm/vmid' => '' . (30000 + $round), 'DrbdOptions/auto-add-quorum-tiebreaker' => 'False' },
        });
        my %holding = map { $_->{node_name} => 1 } @{ $h->resources_of($bare_volume) };
        my ($bare) = grep { !$holding{$_} } qw(pve1 pve2 pve3);
        $h->on_node($bare);
        ($ms, $calls) = measure(sub { $plugin->activate_volume($sid, $scfg, $bare_volume, undef, {}) });
        record('activate_volume (no resource on this node)', $size, $ms, $calls);
        $plugin->deactivate_volume($sid, $scfg, $bare_volume, undef, {});
        $plugin->free_image($sid, $scfg, $bare_volume, 0, 'raw')->();
        $h->on_node('pve1');
        ($ms, $calls) = measure(sub { $plugin->volume_size_info($scfg, $sid, $volname, 5) });
        record('volume_size_info', $size, $ms, $calls);
        ($ms, $calls) = measure(sub { $plugin->volume_resize($scfg, $sid, $volname, 8 * 1024 * 1024, 0) });
        record('volume_resize', $size, $ms, $calls);
        ($ms, $calls) = measure(sub { $plugin->volume_snapshot($scfg, $sid, $volname, 'bench') });
        record('volume_snapshot', $size, $ms, $calls);
        ($ms, $calls) = measure(sub { $plugin->volume_snapshot_delete($scfg, $sid, $volname, 'bench', 0) });
        record('volume_snapshot_delete', $size, $ms, $calls);
        ($ms, $calls) = measure(sub { $plugin->list_images($sid, $scfg, 200, undef, {}) });
        record('list_images (one guest)', $size, $ms, $calls);
        ($ms, $calls) = measure(sub { $plugin->list_images($sid, $scfg, undef, undef, {}) });
        record('list_images (whole storage)', $size, $ms, $calls);
        ($cache_file) = PVE::Storage::Custom::LINSTORPlugin::status_cache_file($scfg) =~ m{^(/[A-Za-z0-9_.+/-]+)$};
        utime(time() - 3600, time() - 3600, $cache_file) if -f $cache_file;
        ($ms, $calls) = measure(sub { $plugin->status($sid, $scfg, {}) });
        record('status (cache older than statuscache)', $size, $ms, $calls);
        ($ms, $calls) = measure(sub { $plugin->status($sid, $scfg, {}) });
        record('status (warm cache)', $size, $ms, $calls);
        ($ms, $calls) = measure(sub { my $cleanup = $plugin->free_image($sid, $scfg, $volname, 0, 'raw'); $cleanup->() });
        record('free_image (with its cleanup)', $size, $ms, $calls);
    }
    my @pure = (
        ['parse_volname', sub { $plugin->parse_volname('pm-1a2b3c4d_100') }],
        ['path', sub { $plugin->path($scfg, 'pm-1a2b3c4d_100', $sid) }],
        ['volume_has_feature', sub { $plugin->volume_has_feature($scfg, 'snapshot', $sid, 'pm-1a2b3c4d_100', undef, 0) }],
        ['qemu_blockdev_options', sub { $plugin->qemu_blockdev_options($scfg, $sid, 'pm-1a2b3c4d_100', '10.0', {}) }],
    );
    for my $pure (@pure) {
        my ($name, $code) = @$pure;
        $h->clear_requests();
        for (1 .. $PURE_ITERATIONS) {
            my $start = time();
            $code->();
            push @{ $results{$name}{$size}{times} }, (time() - $start) * 1000;
        }
        $results{$name}{$size}{calls}{ $h->request_total() } = 1;
    }
}

# What linstor-proxmox 8.3 sends for the same method (reference proxmox.md §1.6/§1.8), not counting
# the GET /health probe it sends before every method; "view" is the unfiltered GET /v1/view/resources,
# whose size grows with every resource of the cluster.
my %linstor_proxmox = (
    'alloc_image' => '6 (1 view)',
    'activate_volume (replica on this node)' => '3',
    'activate_volume (tie-breaker on this node)' => '3',
    'activate_volume (no resource on this node)' => '3',
    'deactivate_volume (diskless attachment)' => '3 (2 views)',
    'volume_size_info' => '0 (qemu-img on a local device, created if missing)',
    'volume_resize' => '1',
    'volume_snapshot' => '1',
    'volume_snapshot_delete' => '3 (1 view)',
    'list_images (one guest)' => '2 (view + all definitions)',
    'list_images (whole storage)' => '2 (view + all definitions)',
    'status (cache older than statuscache)' => '1',
    'status (warm cache)' => '0',
    'free_image (with its cleanup)' => '3-12 (2-11 views)',
    'parse_volname' => '0',
    'path' => '0 (more when the device is not local)',
    'volume_has_feature' => '0 (sparseinit: 1 view)',
    'qemu_blockdev_options' => '0',
);

my @order = (
    'parse_volname', 'path', 'volume_has_feature', 'qemu_blockdev_options', 'status (warm cache)',
    'status (cache older than statuscache)', 'alloc_image', 'activate_volume (replica on this node)',
    'activate_volume (tie-breaker on this node)', 'activate_volume (no resource on this node)',
    'deactivate_volume (diskless attachment)', 'list_images (one guest)', 'list_images (whole storage)',
    'volume_size_info', 'volume_resize', 'volume_snapshot', 'volume_snapshot_delete', 'free_image (with its cleanup)',
);
my @rows;
for my $method (grep { $results{$_} } @order) {
    my @cells = ("`$method`");
    for my $size ($SMALL, $LARGE) {
        my $r = $results{$method}{$size} or do { push @cells, '-'; next };
        push @cells, join('/', sort { $a <=> $b } keys %{ $r->{calls} });
    }
    push @cells, $linstor_proxmox{$method} // '?';
    for my $size ($SMALL, $LARGE) {
        my $r = $results{$method}{$size};
        my @sorted = $r ? sort { $a <=> $b } @{ $r->{times} } : ();
        push @cells, @sorted ? (fmt_ms(percentile(\@sorted, 50)), fmt_ms(percentile(\@sorted, 95))) : ('-', '-');
    }
    push @rows, '| ' . join(' | ', @cells) . ' |';
}

my $cpus = () = `cat /proc/cpuinfo` =~ /^processor/mg;
my $node_version = `/usr/bin/node --version`;
chomp($node_version);
my $date = POSIX::strftime('%Y-%m-%d', gmtime());
my $load_after = load_average();
my $section = <<"MD";
## Proxmox

Measured $date with `perl -T test/bench/proxmox-methods.bench.pl` (the real Perl module under taint
mode, each non-pure method one `linstor-hv proxmox <method>` process of the built bundle, the
emulator as a separate process; $cpus CPU(s) shared with other jobs, load average $load_before at
the start and $load_after at the end, Node $node_version). $SAMPLES
samples per method and size on fresh 4 MiB volumes, $PURE_ITERATIONS for the pure-Perl methods. The
existing volumes are other guests' disks in the same resource group (with `Aux/pm/vmid`). REST
calls are the emulator's count of `/v1` requests during the call; linstor-proxmox's counts are
from its source (proxmox.md §1.8), without the `GET /health` it sends before every method.

| method | REST calls at $SMALL | REST calls at $LARGE | linstor-proxmox | p50 at $SMALL | p95 at $SMALL | p50 at $LARGE | p95 at $LARGE |
| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |
MD
$section .= join("\n", @rows) . "\n\n";
$section .= "Wall time of the non-pure methods is mostly the start of one Node.js process for the bundle;\n"
    . "`list_images (whole storage)` returns every volume, so its time grows with the volumes it lists.\n";
print $section;

write_results_section("$root/test/bench/RESULTS.md", 'Proxmox', $section) if !grep { $_ eq '--no-write' } @ARGV;
$h->cleanup();
