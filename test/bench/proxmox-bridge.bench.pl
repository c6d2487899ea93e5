#!/usr/bin/perl -T
# The drbd plugin through the resident bridge and through the one-shot command, side by side: the
# real Perl module under taint mode, a `linstor-hv bridge --platform proxmox` process of the built
# bundle, the emulator as a separate process. Per PVE method: p50/p95 wall time and /v1 REST calls,
# at near-empty and at 1,000 resource definitions (other guests' disks, spawned definitions_only),
# each transport's samples in a block of their own, and how much of the bridge's time the emulator spent
# answering (the sum of its own per-request times). Also the bridge's round trip (`bridge.hello`, on one
# connection and with a connection per call as the module does) and its resident memory when idle.
# Prints the table and writes it to the "## Proxmox through the bridge" section of RESULTS.md.
#
#   perl -T test/bench/proxmox-bridge.bench.pl [small large samples] [--no-write]   (default 0 1000 11)
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

use IO::Socket::UNIX;
use JSON::PP;
use POSIX ();
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time sleep);
use LinstorHvHarness;
use ProxmoxBench qw(populate percentile fmt_ms write_results_section load_average);
use PVE::Storage;

my @numbers = map { /^(\d+)$/ ? $1 : () } @ARGV;
my ($SMALL, $LARGE, $SAMPLES) = @numbers ? @numbers : (0, 1000, 11);
my $HELLO_SAMPLES = 2000;
my $load_before = load_average();

$ENV{LINSTOR_HV_PVE_TRANSPORT} = 'bridge';
my $h = LinstorHvHarness->new();
my $sid = $h->storeid();
my $scfg = $h->scfg();
my $plugin = 'PVE::Storage::Custom::LINSTORPlugin';
my $socket = $h->bridge_socket();
my $no_socket = $h->scratch() . '/run/none.sock';

sub use_transport {
    my ($transport) = @_;
    no warnings 'once';
    $PVE::Storage::Custom::LINSTORPlugin::BRIDGE_SOCKET = $transport eq 'bridge' ? $socket : $no_socket;
}

sub rss_mib {
    my ($pid) = @_;
    open(my $fh, '<', "/proc/$pid/status") or return undef;
    my ($kib) = join('', <$fh>) =~ /^VmRSS:\s+(\d+) kB/m;
    return defined($kib) ? $kib / 1024 : undef;
}

# --- the bridge on its own: round trip and memory --------------------------------------------------
sleep(2);
my $rss_started = rss_mib($h->bridge_pid());
my $hello = JSON::PP->new->encode({ jsonrpc => '2.0', id => 1, method => 'bridge.hello' }) . "\n";
my (@kept, @fresh);
{
    my $conn = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $socket) or die "connect: $!\n";
    for (1 .. $HELLO_SAMPLES) {
        my $start = time();
        syswrite($conn, $hello);
        my $line = <$conn>;
        push @kept, (time() - $start) * 1000;
        die "no reply\n" if !defined($line);
    }
    for (1 .. $HELLO_SAMPLES / 4) {
        my $start = time();
        my $each = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $socket) or die "connect: $!\n";
        syswrite($each, $hello);
        my $line = <$each>;
        close($each);
        push @fresh, (time() - $start) * 1000;
    }
}

# --- per method -------------------------------------------------------------------------------------
my $existing = 0;
sub grow_to {
    my ($target) = @_;
    populate($h->url(), $existing, $target);
    $existing = $target if $target > $existing;
}

my %results;    # method => transport => size => { times => [], server => [], calls => {} }
# A round run before each block and not recorded: the bridge is resident, so its calls are measured
# with its code paths compiled, as they are on a node after the first few calls.
our $WARMING_UP = 0;
sub measure {
    my ($transport, $size, $method, $code) = @_;
    $h->clear_requests();
    my $start = time();
    $code->();
    my $ms = (time() - $start) * 1000;
    my $log = $h->request_log();
    return if $WARMING_UP;
    my $server = 0;
    $server += $_->{durationMs} for @$log;
    my $cell = $results{$method}{$transport}{$size} //= { times => [], server => [], ours => [], calls => {} };
    push @{ $cell->{times} }, $ms;
    push @{ $cell->{server} }, $server;
    push @{ $cell->{ours} }, $ms - $server;
    $cell->{calls}{ scalar(@$log) } = 1;
}

my @order;
sub one_round {
    my ($transport, $size, $round) = @_;
    use_transport($transport);
    $h->on_node('pve1');
    my $volname;
    my @steps = (
        ['alloc_image', sub { $volname = $plugin->alloc_image($sid, $scfg, 200, 'raw', undef, 4096) }],
        ['activate_volume (replica on this node)', sub { $plugin->activate_volume($sid, $scfg, $volname, undef, {}) }],
        ['activate_volume (diskless on pve3)', sub { $h->on_node('pve3'); $plugin->activate_volume($sid, $scfg, $volname, undef, {}) }],
        ['deactivate_volume (on pve3)', sub { $plugin->deactivate_volume($sid, $scfg, $volname, undef, {}); $h->on_node('pve1') }],
        ['volume_size_info', sub { $plugin->volume_size_info($scfg, $sid, $volname, 5) }],
        ['volume_resize', sub { $plugin->volume_resize($scfg, $sid, $volname, 8 * 1024 * 1024, 0) }],
        ['volume_snapshot', sub { $plugin->volume_snapshot($scfg, $sid, $volname, 'bench') }],
        ['volume_snapshot_info', sub { $plugin->volume_snapshot_info($scfg, $sid, $volname) }],
        ['volume_snapshot_delete', sub { $plugin->volume_snapshot_delete($scfg, $sid, $volname, 'bench', 0) }],
        ['list_images (one guest)', sub { $plugin->list_images($sid, $scfg, 200, undef, {}) }],
        # statuscache 0: the figures are read again (the bridge's memory and the file both too old).
        ['status (refresh)', sub { local $scfg->{statuscache} = 0; $plugin->status($sid, $scfg, {}) }],
        ['status (within statuscache)', sub { $plugin->status($sid, $scfg, {}) }],
        ['get_identity', sub { $plugin->get_identity($scfg, $sid) }],
        ['free_image (with its cleanup)', sub { $plugin->free_image($sid, $scfg, $volname, 0, 'raw')->() }],
    );
    @order = map { $_->[0] } @steps;
    measure($transport, $size, @$_) for @steps;
}

local $SIG{__WARN__} = sub { warn @_ if $_[0] !~ /no bridge at/ };
for my $size ($SMALL, $LARGE) {
    grow_to($size);
    print STDERR "measuring at $size existing volumes\n";
    # Each transport in a block of its own: a node runs one or the other, and a bridge call measured
    # right after a one-shot process (half a second of one core starting Node) finds the caches of
    # both cores cold, which no call on a node that runs the bridge would.
    for my $transport ('bridge', 'oneshot') {
        sleep(1);
        {
            local $WARMING_UP = 1;
            one_round($transport, $size, 0);
        }
        one_round($transport, $size, $_) for 1 .. $SAMPLES;
    }
}
sleep(5);
my $rss_idle = rss_mib($h->bridge_pid());

# --- what the emulator's changes cost on this machine -------------------------------------------
# Each change the emulator commits appends to its journal (flushed to disk later, as H2 does; an
# fsync per change with --flush-each-commit); a snapshot copies the volume file with
# `cp --sparse=always` where the file system has no reflink (ext4).
my (@fsync, @cp);
{
    my $dir = $h->scratch();
    open(my $journal, '>>', "$dir/fsync-probe") or die "$dir/fsync-probe: $!\n";
    for (1 .. 50) {
        my $start = time();
        print {$journal} ('x' x 300) . "\n";
        $journal->flush();
        $journal->sync() or die "fsync: $!\n";
        push @fsync, (time() - $start) * 1000;
    }
    close($journal);
    truncate("$dir/fsync-probe", 8 * 1024 * 1024) or die "truncate: $!\n";
    local $ENV{PATH} = '/bin:/usr/bin';
    delete @ENV{qw(IFS CDPATH ENV BASH_ENV)};
    for (1 .. 20) {
        my $start = time();
        system('cp', '--sparse=always', '--reflink=auto', '--', "$dir/fsync-probe", "$dir/cp-probe") == 0
            or die "cp failed\n";
        push @cp, (time() - $start) * 1000;
    }
    @fsync = sort { $a <=> $b } @fsync;
    @cp = sort { $a <=> $b } @cp;
}
my $load_after = load_average();

# --- the table -----------------------------------------------------------------------------------
my @rows;
for my $method (@order) {
    my @cells = ("`$method`");
    for my $size ($SMALL, $LARGE) {
        my %by = map { $_ => $results{$method}{$_}{$size} } ('bridge', 'oneshot');
        my $cell = sub {
            my @sorted = sort { $a <=> $b } @{ $_[0] };
            return fmt_ms(percentile(\@sorted, 50)) . ' / ' . fmt_ms(percentile(\@sorted, 95));
        };
        my @server = sort { $a <=> $b } @{ $by{bridge}{server} };
        my @ours = sort { $a <=> $b } @{ $by{bridge}{ours} };
        my ($bridge_calls, $oneshot_calls) = map { join(',', sort { $a <=> $b } keys %{ $by{$_}{calls} }) } ('bridge', 'oneshot');
        push @cells, $cell->($by{bridge}{times}), fmt_ms(percentile(\@server, 50)), fmt_ms(percentile(\@ours, 50)),
            $cell->($by{oneshot}{times}),
            $bridge_calls eq $oneshot_calls ? $bridge_calls : "$bridge_calls/$oneshot_calls";
    }
    push @rows, '| ' . join(' | ', @cells) . ' |';
}
my @kept_sorted = sort { $a <=> $b } @kept;
my @fresh_sorted = sort { $a <=> $b } @fresh;
my $cpus = () = `cat /proc/cpuinfo` =~ /^processor/mg;
my $node_version = `/usr/bin/node --version`;
chomp($node_version);
my $date = POSIX::strftime('%Y-%m-%d', gmtime());
my $section = <<"MD";
## Proxmox through the bridge

Measured $date with `perl -T test/bench/proxmox-bridge.bench.pl` (the real Perl module under taint
mode, one `linstor-hv bridge --platform proxmox` process of the built bundle, the emulator as a
separate process; $cpus CPU(s) shared with other jobs, load average $load_before at the start and
$load_after at the end, Node $node_version). $SAMPLES samples per
method, transport and size on fresh 4 MiB volumes after one round that is not recorded (the bridge
is resident: its calls are measured warm), the bridge's samples first, then the one-shot
command's (no bridge: one `linstor-hv proxmox <method>` process per call), each transport in a block
of its own, as a node runs one or the other (a bridge call measured right after a one-shot process
found the caches cold: alternating them per sample, as session 4 did, added 6–15 ms to the bridge's
`alloc_image`). "$LARGE RDs" means $LARGE other
guests' disks in the same resource group. Cells are p50 / p95; "emulator" is the p50 of the time the
emulator spent answering the bridge's requests of one call (the sum of its own per-request times);
"ours" is the p50 of each bridge call's wall time minus that sum (the Perl module, the socket, the
bridge, HTTP; requests sent in parallel make it smaller than the sequential share);
REST calls are the emulator's count of `/v1` requests during the call (bridge/one-shot where they
differ: the bridge keeps the group's placement and the status figures).

| method | bridge, $SMALL RDs | emulator | ours | one-shot, $SMALL RDs | REST calls | bridge, $LARGE RDs | emulator | ours | one-shot, $LARGE RDs | REST calls |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
MD
$section .= join("\n", @rows) . "\n\n";
my @figures = (
    (map { fmt_ms(percentile(\@kept_sorted, $_)) } 50, 95), (map { fmt_ms(percentile(\@fresh_sorted, $_)) } 50, 95),
    $rss_started, $rss_idle, (map { fmt_ms(percentile(\@fsync, $_)) } 50, 95), (map { fmt_ms(percentile(\@cp, $_)) } 50, 95),
);
$section .= sprintf(<<"MD", @figures);
The bridge itself: `bridge.hello` round trip from Perl %s p50 / %s p95 on one kept connection
($HELLO_SAMPLES calls), %s p50 / %s p95 with a new connection per call as the module makes
(@{[ $HELLO_SAMPLES / 4 ]} calls). Resident memory (VmRSS) of the idle bridge: %.0f MiB after start,
%.0f MiB after the runs above.

Where the time goes: the bridge's own part (answering from memory: `status` within statuscache)
is the round trip above plus the module's JSON. A call's REST requests go one after the other where
each needs the previous answer; the "emulator" column is the time spent inside them. Each change the
emulator commits is one journal append, flushed to disk within 500 ms as the controller's default H2
database does; an fsync, which `--flush-each-commit` would add to every change, costs %s p50 / %s p95
on this machine during the run
(`alloc_image` makes four changes, diskless `activate_volume` two, `free_image`, `volume_resize`,
`volume_snapshot`, `volume_snapshot_delete` and `deactivate_volume` one); a snapshot also copies the
volume file with `cp --sparse=always` (no reflink on ext4), %s p50 / %s p95 for an 8 MiB sparse
file. The rest (bridge minus emulator) is the HTTP round trips and, with a load average far above
the CPU count, waiting for a CPU.
MD
print $section;

write_results_section("$root/test/bench/RESULTS.md", 'Proxmox through the bridge', $section)
    if !grep { $_ eq '--no-write' } @ARGV;
$h->cleanup();
