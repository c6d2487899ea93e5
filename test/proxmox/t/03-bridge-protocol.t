#!/usr/bin/perl -T
# The plugin's side of the bridge, against a scripted stand-in on a Unix socket: the JSON-RPC
# request (the one-shot request as params, the deadline), error replies in one line, the fallback
# to the one-shot command when no bridge answers or it is shutting down (logged once), and a lost
# reply: repeated for methods that are safe to repeat, reported as an unknown outcome for the rest.
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

use File::Copy qw(copy);
use File::Temp qw(tempdir);
use IO::Socket::UNIX;
use JSON::PP;
use POSIX ();
use Scalar::Util qw(tainted);
use Socket qw(SOCK_STREAM);
use Test::More;
use PVE::INotify;
use PVE::Storage;

$ENV{PATH} = '/sbin:/bin:/usr/sbin:/usr/bin';
delete @ENV{qw(IFS CDPATH ENV BASH_ENV)};
PVE::Storage::load_custom_plugins("$lib/../../packages/proxmox/perl");
my $plugin = 'PVE::Storage::Custom::LINSTORPlugin';
my ($dir) = tempdir(CLEANUP => 1, DIR => '/tmp') =~ m{^(/tmp/[A-Za-z0-9_]+)$};
copy("$lib/lib/fake/linstor-hv.pl", "$dir/linstor-hv.pl") or die $!;
my $socket_path = "$dir/proxmox.sock";
{
    no warnings 'once';
    $PVE::Storage::Custom::LINSTORPlugin::NODE_BINARY = '/usr/bin/perl';
    $PVE::Storage::Custom::LINSTORPlugin::LINSTOR_HV = "$dir/linstor-hv.pl";
    $PVE::Storage::Custom::LINSTORPlugin::SECRETS_DIR = "$dir/priv";
    $PVE::Storage::Custom::LINSTORPlugin::STATUS_CACHE_DIR = "$dir/cache";
    $PVE::Storage::Custom::LINSTORPlugin::LINSTOR_AUTH_FILE = "$dir/auth.json";
    $PVE::Storage::Custom::LINSTORPlugin::DEVICE_ROOT = "$dir/{node}/dev";
    $PVE::Storage::Custom::LINSTORPlugin::BRIDGE_SOCKET = $socket_path;
}
$PVE::INotify::NODENAME = 'pve1';
my $scfg = PVE::Storage::parse_config("drbd: drbdstorage\n\tresourcegroup rg1\n\tcontroller ctrl-a\n")
    ->{ids}->{drbdstorage};
$plugin->on_add_hook('drbdstorage', $scfg, apitoken => 'bearer-123');

sub write_file {
    my ($name, $text) = @_;
    open(my $fh, '>', "$dir/$name") or die $!;
    print {$fh} $text;
    close($fh);
}
sub read_lines {
    my ($name) = @_;
    open(my $fh, '<', "$dir/$name") or return [];
    return [map { JSON::PP->new->decode($_) } <$fh>];
}

# The stand-in bridge: for each connection it reads one request line, appends it to requests.jsonl
# and does what the next line of script.txt says: `result <json>`, `error <code> <message>`, or
# `close` (read the request, answer nothing: a lost reply).
my $bridge_pid;
sub start_bridge {
    unlink($socket_path);
    my $server = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $socket_path, Listen => 8) or die $!;
    $bridge_pid = fork() // die $!;
    return close($server) if $bridge_pid;
    while (my $conn = $server->accept()) {
        my $line = <$conn>;
        open(my $log, '>>', "$dir/requests.jsonl") or POSIX::_exit(1);
        print {$log} $line;
        close($log);
        open(my $in, '<', "$dir/script.txt") or POSIX::_exit(1);
        my ($action, @rest) = <$in>;
        close($in);
        write_file('script.txt', join('', @rest));
        my $id = JSON::PP->new->decode($line)->{id};
        if ($action =~ /^result (.*)$/) {
            print {$conn} qq({"jsonrpc":"2.0","id":$id,"result":$1}\n);
        } elsif ($action =~ /^error (-?\d+) (.*)$/) {
            print {$conn} JSON::PP->new->encode({ jsonrpc => '2.0', id => $id, error => { code => $1 + 0,
                message => $2, data => { code => 'X', kind => 'linstor', outcome => 'failed' } } }) . "\n";
        }
        close($conn);
    }
    POSIX::_exit(0);
}
sub stop_bridge {
    return if !$bridge_pid;
    kill('KILL', $bridge_pid);
    waitpid($bridge_pid, 0);
    $bridge_pid = undef;
    unlink($socket_path);
}
END { stop_bridge() }

sub script { write_file('script.txt', join('', map { "$_\n" } @_)); unlink("$dir/requests.jsonl", "$dir/seen.json"); }
sub cli_ran { return -f "$dir/seen.json" }
sub error_of(&) { my ($code) = @_; eval { $code->() }; return $@ }
sub warnings_of(&) {
    my ($code) = @_;
    my @warnings;
    local $SIG{__WARN__} = sub { push @warnings, @_ };
    eval { $code->() };
    return [@warnings];
}
sub cli_reply { write_file('reply.txt', $_[0]); write_file('exit.txt', 0); write_file('stderr.txt', '') }

start_bridge();

# --- the request ----------------------------------------------------------------------------------
script('result {"volname":"pm-0badc0de_100"}');
my $volname = $plugin->alloc_image('drbdstorage', $scfg, 100, 'raw', undef, 4096);
is($volname, 'pm-0badc0de_100', 'alloc_image answered by the bridge');
ok(!tainted($volname), 'untainted, so PVE may use it in commands');
ok(!cli_ran(), 'no one-shot process was started');
my ($sent) = @{ read_lines('requests.jsonl') };
is($sent->{jsonrpc}, '2.0', 'a JSON-RPC 2.0 request');
is($sent->{method}, 'alloc_image', 'named after the PVE method');
is($sent->{deadlineMs}, 45000, 'with the deadline the bridge enforces');
is($sent->{params}->{method}, 'alloc_image', 'its params are the one-shot request');
is($sent->{params}->{token}, 'bearer-123', 'token included (the socket is root-only)');
is_deeply($sent->{params}->{args}, { vmid => 100, name => undef, sizeKib => 4096 }, 'with the arguments');
is($sent->{params}->{deadlineMs}, 45000, 'and the same deadline');

# --- errors ---------------------------------------------------------------------------------------
script('error -32000 Creating volume failed: not enough nodes');
is(error_of { $plugin->alloc_image('drbdstorage', $scfg, 100, 'raw', undef, 4096) },
    "Creating volume failed: not enough nodes\n", 'an error reply dies with its one-line message');
ok(!cli_ran(), 'and is not tried again through the one-shot command');

# --- the bridge is shutting down: it started nothing, the one-shot command answers ---------------
script('error -32002 the bridge is shutting down and started nothing; repeat the call');
cli_reply('{"ok":true,"result":{"snapshots":[]}}');
is_deeply($plugin->volume_snapshot_info($scfg, 'drbdstorage', 'vm-100-disk-1'), {},
    'a bridge that is shutting down hands the call to the one-shot command');
ok(cli_ran(), 'which ran');

# --- a lost reply --------------------------------------------------------------------------------
script('close', 'result {"size":4194304}');
is(scalar($plugin->volume_size_info($scfg, 'drbdstorage', 'vm-100-disk-1')), 4194304,
    'volume_size_info whose reply was lost is repeated and answers');
is(scalar(@{ read_lines('requests.jsonl') }), 2, 'the bridge saw it twice');
for my $unsafe (
    ['volume_snapshot', sub { $plugin->volume_snapshot($scfg, 'drbdstorage', 'vm-100-disk-1', 'snap1') }],
    ['alloc_image', sub { $plugin->alloc_image('drbdstorage', $scfg, 100, 'raw', undef, 4096) }],
    ['clone_image', sub { $plugin->clone_image($scfg, 'drbdstorage', 'base-100-disk-1', 101) }],
) {
    my ($method, $call) = @$unsafe;
    script('close', 'result {}');
    like(error_of { $call->() },
        qr/^linstor-hv $method: the bridge took the request and its reply was lost \(the bridge closed the connection\); the outcome is unknown, check the volume before repeating$/,
        "$method whose reply was lost is not repeated: the outcome is unknown");
    is(scalar(@{ read_lines('requests.jsonl') }), 1, "the bridge saw $method once");
    ok(!cli_ran(), 'and no one-shot process ran it');
}

# --- no bridge: the one-shot command, logged once per outage -------------------------------------
stop_bridge();
cli_reply('{"ok":true,"result":{"size":8192}}');
my $warned = warnings_of {
    is(scalar($plugin->volume_size_info($scfg, 'drbdstorage', 'vm-100-disk-1')), 8192, 'without a socket the one-shot command answers');
    is(scalar($plugin->volume_size_info($scfg, 'drbdstorage', 'vm-100-disk-1')), 8192, 'again');
};
is_deeply($warned, ["linstor-hv: no bridge at $socket_path (no socket); using the one-shot command, which is slower (start linstor-hv-proxmox.socket)\n"],
    'the fallback is logged once');
# A socket file nobody answers on (a crashed bridge) is the same.
IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $socket_path, Listen => 1) or die $!;
$warned = warnings_of { $plugin->volume_size_info($scfg, 'drbdstorage', 'vm-100-disk-1') };
is_deeply($warned, [], 'still the same outage: not logged again');
unlink($socket_path);
start_bridge();
script('result {"size":4096}', 'close');
is(scalar($plugin->volume_size_info($scfg, 'drbdstorage', 'vm-100-disk-1')), 4096, 'the bridge is back');
$warned = warnings_of {
    stop_bridge();
    is(scalar($plugin->volume_size_info($scfg, 'drbdstorage', 'vm-100-disk-1')), 8192, 'and gone again');
};
is(scalar(@$warned), 1, 'a new outage is logged once more');

# A lost reply of a safe method while the bridge goes away: the repeat takes the one-shot path.
start_bridge();
script('close');
{
    # The stand-in closes without answering; remove its socket so the repeat finds none.
    no warnings 'redefine';
    my $original = \&PVE::Storage::Custom::LINSTORPlugin::call_bridge;
    my $calls = 0;
    local *PVE::Storage::Custom::LINSTORPlugin::call_bridge = sub {
        my $reply = $original->(@_);
        stop_bridge() if ++$calls == 1;
        return $reply;
    };
    local $SIG{__WARN__} = sub {};
    is(scalar($plugin->volume_size_info($scfg, 'drbdstorage', 'vm-100-disk-1')), 8192,
        'a lost reply of a safe method, bridge gone: the repeat runs the one-shot command');
}

done_testing();
