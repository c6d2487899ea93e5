#!/usr/bin/perl -T
# The protocol as the plugin speaks it, against a stand-in for linstor-hv: the command line holds
# only the method, the environment is PVE's clean one, the token and the node name travel in the
# JSON request, and every value of a reply is checked and untainted before PVE sees it.
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
use JSON::PP;
use Scalar::Util qw(tainted);
use Test::More;
use PVE::INotify;
use PVE::Storage;

$ENV{PATH} = '/sbin:/bin:/usr/sbin:/usr/bin';
$ENV{SECRET_OF_THE_CALLER} = 'must not reach linstor-hv';
PVE::Storage::load_custom_plugins("$lib/../../packages/proxmox/perl");
my $plugin = 'PVE::Storage::Custom::LINSTORPlugin';
my ($dir) = tempdir(CLEANUP => 1, DIR => '/tmp') =~ m{^(/tmp/[A-Za-z0-9_]+)$};
copy("$lib/lib/fake/linstor-hv.pl", "$dir/linstor-hv.pl") or die $!;
{
    no warnings 'once';
    $PVE::Storage::Custom::LINSTORPlugin::NODE_BINARY = '/usr/bin/perl';
    $PVE::Storage::Custom::LINSTORPlugin::LINSTOR_HV = "$dir/linstor-hv.pl";
    $PVE::Storage::Custom::LINSTORPlugin::SECRETS_DIR = "$dir/priv";
    $PVE::Storage::Custom::LINSTORPlugin::STATUS_CACHE_DIR = "$dir/cache";
    $PVE::Storage::Custom::LINSTORPlugin::LINSTOR_AUTH_FILE = "$dir/auth.json";
    $PVE::Storage::Custom::LINSTORPlugin::DEVICE_ROOT = "$dir/{node}/dev";
    # No bridge here: every call takes the one-shot path (t/03-bridge-protocol.t has the bridge).
    $PVE::Storage::Custom::LINSTORPlugin::BRIDGE_SOCKET = "$dir/no-bridge.sock";
}
$PVE::INotify::NODENAME = 'pve1';
my $scfg = PVE::Storage::parse_config(
    "drbd: drbdstorage\n\tresourcegroup rg1\n\tcontroller ctrl-a,ctrl-b\n\tsearchdomain example.org\n"
)->{ids}->{drbdstorage};

sub reply {
    my ($text, %opts) = @_;
    for my $file (['reply.txt', $text], ['exit.txt', $opts{exit} // 0], ['stderr.txt', $opts{stderr} // '']) {
        open(my $fh, '>', "$dir/$file->[0]") or die $!;
        print {$fh} $file->[1];
        close($fh);
    }
}
sub seen {
    open(my $fh, '<', "$dir/seen.json") or die $!;
    local $/;
    return JSON::PP->new->decode(<$fh>);
}
sub error_of(&) { my ($code) = @_; eval { $code->() }; return $@ }

$plugin->on_add_hook('drbdstorage', $scfg, apitoken => 'bearer-123');
reply('{"ok":true,"result":{"volname":"pm-0badc0de_100"}}');
my $volname = $plugin->alloc_image('drbdstorage', $scfg, 100, 'raw', undef, 4096);
is($volname, 'pm-0badc0de_100', 'alloc_image returns the volume name of the reply');
ok(!tainted($volname), 'untainted, so PVE may use it in commands');
my $seen = seen();
is_deeply($seen->{argv}, ['proxmox', 'alloc_image'], 'the command line holds only the method');
is_deeply($seen->{env}, { PATH => '/sbin:/bin:/usr/sbin:/usr/bin', LC_ALL => 'C' }, 'the environment is PVE\'s clean one');
my $request = JSON::PP->new->decode($seen->{stdin});
is($request->{token}, 'bearer-123', 'the token travels in the request');
is($request->{node}, 'pve1.example.org', 'the LINSTOR node name includes the search domain');
is_deeply($request->{args}, { vmid => 100, name => undef, sizeKib => 4096 }, 'the arguments');
is_deeply($request->{scfg}, { resourcegroup => 'rg1', controller => 'ctrl-a,ctrl-b', searchdomain => 'example.org' },
    'the public storage options, without the token');
is($request->{deadlineMs}, 45000, 'a deadline below PVE\'s 60 s lock alarm');
is($request->{protocol}, 1, 'protocol version 1');
is($request->{deviceRoot}, "$dir/{node}/dev", 'the device root');
like($request->{statusCacheFile}, qr{^\Q$dir\E/cache/status-[0-9a-f]{16}\.json$}, 'the status cache file');

reply('{"ok":true,"result":{"volname":"../../etc/passwd"}}');
like(error_of { $plugin->alloc_image('drbdstorage', $scfg, 100, 'raw', undef, 4096) },
    qr/^linstor-hv returned an invalid volume name$/m, 'a volume name outside the storage\'s scheme is refused');
reply('{"ok":true,"result":{"volname":"vm-101-disk-0/../x"}}');
like(error_of { $plugin->alloc_image('drbdstorage', $scfg, 100, 'raw', undef, 4096) },
    qr/^linstor-hv returned an invalid volume name$/m, 'and one with a path in it');
reply("{\"ok\":false,\"error\":\"Creating volume failed:\\nnot enough nodes\"}", exit => 1);
is(error_of { $plugin->alloc_image('drbdstorage', $scfg, 100, 'raw', undef, 4096) },
    "Creating volume failed: not enough nodes\n", 'an error reply becomes one line');
reply('Segmentation fault', exit => 139, stderr => "node: something broke\nbadly\n");
is(error_of { $plugin->alloc_image('drbdstorage', $scfg, 100, 'raw', undef, 4096) },
    "linstor-hv alloc_image failed: node: something broke badly\n", 'no reply: stderr in one line');

reply('{"ok":true,"result":{"path":"/tmp/elsewhere/drbd/by-res/vm-100-disk-1/0"}}');
like(error_of { $plugin->activate_volume('drbdstorage', $scfg, 'vm-100-disk-1', undef, {}) },
    qr/^linstor-hv activated 'vm-100-disk-1' at '.*', expected '\Q$dir\E\/pve1\.example\.org\/dev\/drbd\/by-res\/vm-100-disk-1\/0'$/m,
    'a device path other than the one path() gives is refused');
reply(qq({"ok":true,"result":{"path":"$dir/pve1.example.org/dev/drbd/by-res/vm-100-disk-1/0","warnings":["controller unreachable"]}}));
my @warnings;
{
    local $SIG{__WARN__} = sub { push @warnings, grep { !/no bridge at/ } @_ };
    ok($plugin->activate_volume('drbdstorage', $scfg, 'vm-100-disk-1', undef, {}), 'activation with the expected path');
}
is_deeply(\@warnings, ["controller unreachable\n"], 'warnings of a reply reach the task log');

reply('{"ok":true,"result":{"images":[{"volname":"vm-100-disk-1","size":4194304},{"volname":"bad name","size":1}]}}');
like(error_of { $plugin->list_images('drbdstorage', $scfg, undef, undef, {}) }, qr/^linstor-hv returned an invalid volume name/,
    'list_images refuses a reply with a bad entry');
reply('{"ok":true,"result":{"images":[{"volname":"vm-100-disk-1","size":4194304},{"volname":"pm-1a2b3c4d_101","size":"9e9"}]}}');
like(error_of { $plugin->list_images('drbdstorage', $scfg, undef, undef, {}) }, qr/^linstor-hv returned an invalid volume size/,
    'and sizes that are not integers');
reply('{"ok":true,"result":{"images":[{"volname":"vm-100-disk-1","size":4194304},{"volname":"base-100-disk-2/pm-1a2b3c4d_101","size":8192}]}}');
my $images = $plugin->list_images('drbdstorage', $scfg, undef, undef, {});
is_deeply($images, [
    { volid => 'drbdstorage:vm-100-disk-1', format => 'raw', size => 4194304, vmid => 100 },
    { volid => 'drbdstorage:base-100-disk-2/pm-1a2b3c4d_101', format => 'raw', size => 8192, vmid => 101,
        parent => 'drbdstorage:base-100-disk-2' },
], 'list_images builds PVE\'s entries');
ok(!grep({ tainted($_->{volid}) || tainted($_->{size}) } @$images), 'with untainted values');

reply('{"ok":true,"result":{"possible":false,"blockers":["newer","newest"],"reason":"newer snapshots exist"}}');
my $blockers = [];
is(error_of { $plugin->volume_rollback_is_possible($scfg, 'drbdstorage', 'vm-100-disk-1', 'old', $blockers) },
    "newer snapshots exist\n", 'a rollback that cannot work dies with the reason');
is_deeply($blockers, ['newer', 'newest'], 'and names the blocking snapshots');

$plugin->on_delete_hook('drbdstorage', $scfg);
open(my $auth, '>', "$dir/auth.json") or die $!;
print {$auth} '{"token":"from-linstor-tools"}';
close($auth);
reply('{"ok":true,"result":{}}');
$plugin->volume_snapshot($scfg, 'drbdstorage', 'vm-100-disk-1', 'snap1');
is(JSON::PP->new->decode(seen()->{stdin})->{token}, 'from-linstor-tools',
    'without a token of its own the storage uses LINSTOR\'s auth.json');

done_testing();
