#!/usr/bin/perl -T
# Values from a linstor-hv reply come from the controller and are not trusted: a device path used by
# volume_export/volume_import must lie below this node's device root after every link is resolved,
# and VM ids outside PVE's range 100-999999999 are refused before anything is asked. Runs against a
# stand-in for linstor-hv that answers what the test tells it.
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
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use JSON::PP;
use Test::More;
use PVE::INotify;
use PVE::Storage;

$ENV{PATH} = '/sbin:/bin:/usr/sbin:/usr/bin';
PVE::Storage::load_custom_plugins("$lib/../../packages/proxmox/perl");
my $plugin = 'PVE::Storage::Custom::LINSTORPlugin';
my ($dir) = tempdir(CLEANUP => 1, DIR => '/tmp') =~ m{^(/tmp/[A-Za-z0-9_]+)$};
copy("$lib/lib/fake/linstor-hv.pl", "$dir/linstor-hv.pl") or die $!;
my $root = "$dir/pve1/dev";
{
    no warnings 'once';
    $PVE::Storage::Custom::LINSTORPlugin::NODE_BINARY = '/usr/bin/perl';
    $PVE::Storage::Custom::LINSTORPlugin::LINSTOR_HV = "$dir/linstor-hv.pl";
    $PVE::Storage::Custom::LINSTORPlugin::SECRETS_DIR = "$dir/priv";
    $PVE::Storage::Custom::LINSTORPlugin::STATUS_CACHE_DIR = "$dir/cache";
    $PVE::Storage::Custom::LINSTORPlugin::LINSTOR_AUTH_FILE = "$dir/auth.json";
    $PVE::Storage::Custom::LINSTORPlugin::DEVICE_ROOT = "$dir/{node}/dev";
}
$PVE::INotify::NODENAME = 'pve1';
my $scfg = PVE::Storage::parse_config("drbd: drbdstorage\n\tresourcegroup rg1\n")->{ids}->{drbdstorage};

sub write_file {
    my ($path, $text) = @_;
    open(my $fh, '>', $path) or die "$path: $!";
    print {$fh} $text;
    close($fh);
}
sub read_file {
    my ($path) = @_;
    open(my $fh, '<', $path) or die "$path: $!";
    local $/;
    return scalar <$fh>;
}
sub reply { write_file("$dir/reply.txt", $_[0]); write_file("$dir/exit.txt", 0); write_file("$dir/stderr.txt", '') }
sub seen { return JSON::PP->new->decode(read_file("$dir/seen.json")) }
sub error_of(&) { my ($code) = @_; eval { $code->() }; return $@ }

# A device tree: by-res links into the tree (as udev makes them), a file outside it, and links out.
my $kib = 'x' x 1024;
make_path("$root/drbd/by-res/vm-100-disk-0", "$root/drbd/by-res/vm-100-disk-1", "$root/drbd/by-res/vm-100-disk-2",
    "$dir/outside");
write_file("$root/drbd1000", $kib);
symlink('../../../drbd1000', "$root/drbd/by-res/vm-100-disk-0/0") or die $!;
write_file("$dir/outside/secret", 'secret data that must not leave' . ('.' x 993));
symlink("$dir/outside/secret", "$root/drbd/by-res/vm-100-disk-1/0") or die $!;
symlink('../../../../../outside/secret', "$root/drbd/by-res/vm-100-disk-2/0") or die $!;

sub export_of {
    my ($path) = @_;
    reply(JSON::PP->new->encode({ ok => JSON::PP::true, result => { path => $path, size => 1024 } }));
    my $out = '';
    open(my $fh, '>', "$dir/export.bin") or die $!;
    my $err = error_of { $plugin->volume_export($scfg, 'drbdstorage', $fh, 'vm-100-disk-0', 'raw+size', undef, undef, 0) };
    close($fh);
    return ($err, read_file("$dir/export.bin"));
}

my ($err, $stream) = export_of("$root/drbd/by-res/vm-100-disk-0/0");
is($err, '', 'export from a by-res link that stays in the device tree');
is($stream, pack('Q<', 1024) . $kib, 'the stream holds the size and the device\'s bytes');

for my $case (
    ["$root/drbd/by-res/vm-100-disk-0/../../../../outside/secret", qr/which is not below the device root/, "'..' in the path"],
    ["$root/./drbd1000", qr/which is not below the device root/, "'.' in the path"],
    ["$dir/outside/secret", qr/which is not below the device root '\Q$root\E'/, 'a path outside the root'],
    ["${root}x/drbd1000", qr/which is not below the device root/, 'a sibling that only starts like the root'],
    ["$root/drbd/by-res/vm-100-disk-1/0", qr/which leads to '\Q$dir\E\/outside\/secret' outside the device root/,
        'an absolute link out of the tree'],
    ["$root/drbd/by-res/vm-100-disk-2/0", qr/which leads to '\Q$dir\E\/outside\/secret' outside the device root/,
        'a relative link out of the tree'],
    ["$root/drbd/by-res/vm-100-disk-9/0", qr/which does not exist/, 'a path that does not exist'],
    ["relative/drbd1000", qr/^linstor-hv returned an invalid device path$/m, 'a relative path'],
) {
    my ($path, $why, $what) = @$case;
    my ($error, $bytes) = export_of($path);
    like($error, $why, "export refuses $what");
    is($bytes, '', 'and writes nothing to the stream');
    unlike($error, qr/\n./, 'in one line');
    is(seen()->{argv}->[1], 'volume_export', 'and asks nothing more (the volume was not attached)');
}

{
    # A link into a configured target root is fine (the test harness's emulated devices).
    no warnings 'once';
    local @PVE::Storage::Custom::LINSTORPlugin::DEVICE_TARGET_ROOTS = ("$dir/outside");
    my ($error, $bytes) = export_of("$root/drbd/by-res/vm-100-disk-1/0");
    is($error, '', 'a link into a configured target root is followed');
    is(length($bytes), 8 + 1024, 'and exported');
}

# Import: the path is checked before anything is written, and the new volume is removed again.
sub import_to {
    my ($path) = @_;
    reply(JSON::PP->new->encode({ ok => JSON::PP::true, result => { volname => 'vm-100-disk-0', path => $path } }));
    write_file("$dir/import.bin", pack('Q<', 1024) . ('y' x 1024));
    open(my $fh, '<', "$dir/import.bin") or die $!;
    my $error = error_of {
        $plugin->volume_import($scfg, 'drbdstorage', $fh, 'vm-100-disk-0', 'raw+size', undef, undef, 0, 0)
    };
    close($fh);
    return $error;
}

like(import_to("$root/drbd/by-res/vm-100-disk-1/0"), qr/which leads to '\Q$dir\E\/outside\/secret' outside the device root/,
    'import refuses a link out of the tree');
like(read_file("$dir/outside/secret"), qr/^secret data/, 'the file behind it is untouched');
is(seen()->{argv}->[1], 'free_image', 'the half-made volume is removed');
like(import_to("$root/drbd/by-res/vm-100-disk-0/../../../../outside/secret"), qr/which is not below the device root/,
    "import refuses '..'");
like(read_file("$dir/outside/secret"), qr/^secret data/, 'still untouched');
is(import_to("$root/drbd/by-res/vm-100-disk-0/0"), '', 'import into a device of the tree');
is(read_file("$root/drbd1000"), 'y' x 1024, 'writes the stream\'s bytes');

# VM ids: PVE's range is 100 to 999999999; nothing is asked for an id outside it.
reply('{"ok":true,"result":{"volname":"vm-100-disk-0"}}');
write_file("$dir/seen.json", '{"argv":[]}');
for my $vmid (0, 1, 99, 1000000000, 9007199254740991, '100.0', '0100', '1e3', '') {
    is(error_of { $plugin->alloc_image('drbdstorage', $scfg, $vmid, 'raw', undef, 4096) },
        "invalid VM id '$vmid': expected a whole number from 100 to 999999999\n", "alloc_image refuses VM id '$vmid'");
}
like(error_of { $plugin->clone_image($scfg, 'drbdstorage', 'base-100-disk-0', 99, undef) }, qr/^invalid VM id '99'/,
    'clone_image too');
like(error_of { $plugin->rename_volume($scfg, 'drbdstorage', 'pm-0badc0de_100', 1000000000, undef) },
    qr/^invalid VM id '1000000000'/, 'rename_volume too');
like(error_of { $plugin->list_images('drbdstorage', $scfg, 0, undef, {}) }, qr/^invalid VM id '0'/, 'list_images too');
is_deeply(seen()->{argv}, [], 'none of them started linstor-hv');
like(error_of { $plugin->parse_volname('vm-99-disk-0') }, qr/^invalid volume name 'vm-99-disk-0'/,
    'a volume name with a VM id below 100 is not one of ours');
is(($plugin->parse_volname('vm-999999999-disk-0'))[2], 999999999, 'the highest VM id is');
is($plugin->alloc_image('drbdstorage', $scfg, 100, 'raw', undef, 4096), 'vm-100-disk-0', 'VM id 100 is fine');

done_testing();
