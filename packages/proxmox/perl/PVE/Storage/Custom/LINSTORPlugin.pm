package PVE::Storage::Custom::LINSTORPlugin;

# The `drbd:` storage type of Proxmox VE, backed by LINSTOR through linstor-hv.
#
# Methods PVE calls all the time (parse_volname, path, volume_has_feature, get_formats,
# qemu_blockdev_options, volume_qemu_snapshot_method, status from a warm cache) are answered here in
# Perl without starting a process or touching the network. Every other method sends one JSON request
# to the resident bridge (`linstor-hv bridge --platform proxmox`, JSON-RPC on a Unix socket) or,
# when no bridge answers, to `linstor-hv proxmox <method>` on stdin, reading one JSON reply from
# stdout; see packages/proxmox/README.md for the protocol. pvedaemon runs under taint mode, so every value taken
# from a reply is checked against a strict pattern before PVE sees it.

use strict;
use warnings;

use Cwd ();
use Digest::SHA qw(sha256_hex);
use Errno qw(EINTR);
use Fcntl qw(:flock);
use IO::Select;
use IO::Socket::UNIX;
use JSON ();
use POSIX ();
use Socket qw(SOCK_STREAM);
use Time::HiRes ();

use PVE::INotify;
use PVE::Storage::Plugin;
use PVE::Tools qw(run_command);

use base qw(PVE::Storage::Plugin);

# Installation paths. Tests point them at their own tree from trusted harness code; they are never
# taken from the environment, which a taint-mode daemon must not trust.

# Node.js runs the bundled CLI; named absolutely because PVE's fixed PATH may not contain it.
our $NODE_BINARY = '/usr/bin/node';
# The linstor-hv command (one bundled file).
our $LINSTOR_HV = '/usr/bin/linstor-hv';
# Root of the device tree; DRBD's udev rules create drbd/by-res/<resource>/<volume> below it. A
# `{node}` in it stands for the LINSTOR node name: the test harness emulates several nodes on one
# machine, each with its own tree.
our $DEVICE_ROOT = '/dev';
# Where a device path may lead once its links are resolved, besides the device root itself: DRBD's
# by-res links point into /dev; the test harness's links point at the emulator's volume files.
our @DEVICE_TARGET_ROOTS = ();
# How linstor-hv reaches another node's devices when data must be copied there (a rollback to an
# older snapshot): 'ssh' (root ssh between the cluster's nodes, as PVE sets it up) or 'local' (every
# node's tree is on this machine: tests).
our $PEER_ACCESS = 'ssh';
# PVE keeps sensitive storage properties here (on pmxcfs, readable by root only).
our $SECRETS_DIR = '/etc/pve/priv/storage';
# The token file LINSTOR's own tools use; read when the storage has no token of its own.
our $LINSTOR_AUTH_FILE = '/var/lib/linstor.d/auth.json';
# Status figures and pool capabilities, written by linstor-hv, read here.
our $STATUS_CACHE_DIR = '/var/cache/linstor-hv';
# The resident bridge's socket (linstor-hv-proxmox.socket). When nothing answers there, every call
# goes to the one-shot command instead.
our $BRIDGE_SOCKET = '/run/linstor-hv/proxmox.sock';

# The PVE storage API version this module was written and tested against.
my $TESTED_APIVER = 15;

# pvedaemon's PATH; the CLI never needs more.
my $CLEAN_PATH = '/sbin:/bin:/usr/sbin:/usr/bin';

# PVE aborts a storage-locked command after 60 s. linstor-hv gets 45 s to finish (it stops itself
# and undoes its work at that deadline), and the process is killed 5 s later if it has not.
my $CLI_DEADLINE = 45;
my $CLI_KILL_GRACE = 5;
# The free_image cleanup runs in a worker outside the lock, so waiting for a guest to let go of the
# volume and deleting its snapshots may take longer.
my $FREE_DEADLINE = 300;
# pvestatd asks every 10 s; a refresh must not hold it up for long.
my $STATUS_DEADLINE = 10;
# How long status figures are reused when the storage does not say (`statuscache`).
my $STATUS_CACHE_SECONDS = 60;

my $REQUEST_PROTOCOL = 1;

# One encoder and one decoder for every call. JSON is the module PVE itself uses: JSON::XS behind
# it on a PVE node (PVE depends on it), JSON::PP where that is missing.
my $JSON_ENCODER = JSON->new->canonical;
my $JSON_DECODER = JSON->new;

# The bridge answers at the latest this long after a call's deadline: when the deadline passes it
# lets the method undo its work (up to 10 s) and then replies saying so.
my $BRIDGE_REPLY_GRACE = 12;
# Connecting to a local socket is immediate unless the bridge's backlog is full.
my $BRIDGE_CONNECT_TIMEOUT = 5;
# JSON-RPC: the bridge is shutting down and started nothing.
my $RPC_SHUTTING_DOWN = -32002;

# Methods repeated once when the bridge took the request and its reply was lost (the bridge was
# killed or its connection broke). Repeating them changes nothing the first run did: they only read
# (status, check_connection, get_identity, list_images, volume_size_info, volume_snapshot_info,
# volume_rollback_is_possible), or bring a volume to a state named in the request (activate_volume,
# deactivate_volume, volume_resize to an absolute size, free_image of a named volume). The others
# could create a second volume or snapshot, roll back twice, or report their own first success as
# a failure; for them the caller learns that the outcome is unknown.
# Seconds to wait before each repeat of such a method.
my @BRIDGE_REPEAT_PAUSES = (0.2, 1);
my %SAFE_TO_REPEAT = map { $_ => 1 } qw(
    status check_connection get_identity list_images volume_size_info volume_snapshot_info
    volume_rollback_is_possible activate_volume deactivate_volume volume_resize free_image
);

my $LINSTOR_NAME_MAX = 48;
my $HASH_HEX_LENGTH = 12;
my $HASH_MARK = '_h';

# Patterns for values PVE hands us and for values linstor-hv hands back.
# PVE's VM ids run from 100 to 999999999.
my $VMID_RE = qr/[1-9][0-9]{2,8}/;
my $NAME_TAIL_RE = qr/[A-Za-z0-9][A-Za-z0-9_.+-]{0,119}/;
my $SNAPNAME_RE = qr/[A-Za-z][A-Za-z0-9_-]{0,63}/;
my $STOREID_RE = qr/[a-z][a-z0-9\-\_\.]*[a-z0-9]/;
my $DEVICE_PATH_RE = qr{/[A-Za-z0-9_.+/-]{1,4095}};
my $INTEGER_RE = qr/[0-9]{1,19}/;

# Options passed to linstor-hv; everything else in the section (and every secret) stays here.
my @PUBLIC_OPTIONS = qw(
    controller resourcegroup preferlocal statuscache apicrt apikey apica exactsize
    allowtwoprimaries searchdomain
);

sub api {
    my $pve_apiver = PVE::Storage->can('APIVER') ? PVE::Storage::APIVER() : undef;
    my $pve_apiage = PVE::Storage->can('APIAGE') ? PVE::Storage::APIAGE() : 0;
    return $TESTED_APIVER if !defined($pve_apiver);
    # A PVE that is not newer than what we tested gets its own version: nothing to warn about.
    return $pve_apiver if $pve_apiver >= 2 && $pve_apiver <= $TESTED_APIVER;
    # A newer PVE still accepts our version while it lies within its APIAGE window.
    return $TESTED_APIVER if $pve_apiver - $pve_apiage <= $TESTED_APIVER;
    # Far newer: claim the oldest version anyone still loads, so PVE reports the mismatch clearly.
    return 3;
}

sub type {
    return 'drbd';
}

sub plugindata {
    return {
        content => [{ images => 1, rootdir => 1 }, { images => 1 }],
        format => [{ raw => 1 }, 'raw'],
        'sensitive-properties' => { apitoken => 1 },
    };
}

sub properties {
    return {
        controller => {
            description => "LINSTOR controllers: host names, host:port or full URLs, comma separated.",
            type => 'string',
            default => 'localhost',
        },
        resourcegroup => {
            description => "LINSTOR resource group that new volumes are spawned from.",
            type => 'string',
            default => 'drbdgrp',
        },
        preferlocal => {
            description => "Place one diskful replica on the node that creates the volume.",
            type => 'string',
            enum => ['yes', 'no'],
            default => 'yes',
        },
        statuscache => {
            description => "Seconds the storage status figures may be reused.",
            type => 'integer',
            minimum => 0,
            maximum => 2 * 60 * 60,
            default => $STATUS_CACHE_SECONDS,
        },
        apicrt => {
            description => "Client certificate (PEM file) for HTTPS to the controller.",
            type => 'string',
        },
        apikey => {
            description => "Private key (PEM file) of the client certificate.",
            type => 'string',
        },
        apica => {
            description => "CA certificate (PEM file) that signed the controller's certificate.",
            type => 'string',
        },
        exactsize => {
            description => "Make DRBD devices exactly the requested size (set while moving disks in).",
            type => 'string',
            enum => ['yes', 'no'],
            default => 'no',
        },
        allowtwoprimaries => {
            description => "Allow two primaries while a live migration overlaps ('no' disables live migration).",
            type => 'string',
            enum => ['yes', 'no'],
            default => 'yes',
        },
        clusterlocktimeout => {
            description => "Seconds to wait for the cluster-wide storage lock.",
            type => 'integer',
            minimum => 0,
            default => 0,
        },
        searchdomain => {
            description => "Domain appended to the PVE node name to form the LINSTOR node name.",
            type => 'string',
        },
        apitoken => {
            description => "LINSTOR bearer token (stored in /etc/pve/priv/storage/<storage>.token).",
            type => 'string',
        },
    };
}

sub options {
    return {
        controller => { optional => 1 },
        resourcegroup => { optional => 0 },
        preferlocal => { optional => 1 },
        statuscache => { optional => 1 },
        apicrt => { optional => 1 },
        apikey => { optional => 1 },
        apica => { optional => 1 },
        exactsize => { optional => 1 },
        allowtwoprimaries => { optional => 1 },
        clusterlocktimeout => { optional => 1 },
        searchdomain => { optional => 1 },
        apitoken => { optional => 1 },
        content => { optional => 1 },
        nodes => { optional => 1 },
        disable => { optional => 1 },
    };
}

# --- names -------------------------------------------------------------------------------------

sub is_valid_linstor_name {
    my ($name) = @_;
    return length($name) >= 2
        && length($name) <= $LINSTOR_NAME_MAX
        && $name =~ /^[A-Za-z_][A-Za-z0-9_-]*\z/
        && $name =~ /[A-Za-z]/;
}

# The LINSTOR name for a PVE name: the name itself when LINSTOR accepts it, otherwise a readable
# prefix plus a hash of the whole name. linstor-hv's core maps names by the same rule, so the device
# path can be computed here without asking anyone.
sub linstor_name {
    my ($name) = @_;
    return $name if is_valid_linstor_name($name);
    my $digest = substr(sha256_hex($name), 0, $HASH_HEX_LENGTH);
    (my $readable = $name) =~ s/[^A-Za-z0-9_-]/_/g;
    $readable = "_$readable" if $readable !~ /^[A-Za-z_]/;
    my $budget = $LINSTOR_NAME_MAX - $HASH_HEX_LENGTH - length($HASH_MARK);
    return substr($readable, 0, $budget) . $HASH_MARK . $digest;
}

# One volume name without a base part: what it belongs to and which resource definition holds it.
sub parse_own_name {
    my ($name) = @_;
    if ($name =~ /^(pm-[0-9a-f]{8})_($VMID_RE)\z/) {
        # linstor-proxmox's scheme: the resource is pm-xxxxxxxx, the owner lives in Aux/pm/vmid.
        return { resource => $1, vmid => $2, is_base => 0 };
    }
    if ($name =~ /^base-(pm-[0-9a-f]{8})_($VMID_RE)\z/) {
        return { resource => $1, vmid => $2, is_base => 1 };
    }
    if ($name =~ /^base-($VMID_RE)-($NAME_TAIL_RE)\z/) {
        # LINSTOR cannot rename: a template keeps the resource of the disk it was made from.
        return { resource => linstor_name("vm-$1-$2"), vmid => $1, is_base => 1 };
    }
    if ($name =~ /^vm-($VMID_RE)-($NAME_TAIL_RE)\z/) {
        return { resource => linstor_name($name), vmid => $1, is_base => 0 };
    }
    return undef;
}

# Parses a PVE volume name of this storage; dies with the reason when it is not one of ours.
sub volume_parts {
    my ($volname) = @_;
    die "no volume name given\n" if !defined($volname) || $volname eq '';
    my ($base_name, $own_name) = $volname =~ m{^(?:([^/]+)/)?([^/]+)\z}
        or die "invalid volume name '$volname': expected 'vm-<vmid>-<name>' or 'pm-<8 hex digits>_<vmid>'\n";
    my $own = parse_own_name($own_name)
        or die "invalid volume name '$volname': expected 'vm-<vmid>-<name>', 'base-<vmid>-<name>'"
        . " or 'pm-<8 hex digits>_<vmid>'\n";
    my $parts = { %$own, volname => $volname, name => $own_name };
    if (defined($base_name)) {
        my $base = parse_own_name($base_name);
        die "invalid volume name '$volname': '$base_name' is not a template volume\n"
            if !$base || !$base->{is_base} || $own->{is_base};
        $parts->{basename} = $base_name;
        $parts->{basevmid} = $base->{vmid};
    }
    return $parts;
}

# The temporary resource a snapshot is made readable through (LXC snapshot backups, clones).
sub snapshot_resource_name {
    my ($resource, $snapname) = @_;
    return linstor_name("snap_${resource}_${snapname}");
}

sub check_snapname {
    my ($snapname) = @_;
    die "invalid snapshot name '$snapname'\n" if $snapname !~ /^$SNAPNAME_RE\z/;
    return $snapname;
}

sub untaint_vmid {
    my ($vmid) = @_;
    die "invalid VM id '" . ($vmid // '') . "': expected a whole number from 100 to 999999999\n"
        if !defined($vmid) || "$vmid" !~ /^($VMID_RE)\z/;
    return $1 + 0;
}

sub device_root {
    my ($scfg) = @_;
    (my $root = $DEVICE_ROOT) =~ s/\{node\}/linstor_node_name($scfg)/ge;
    return $root;
}

# A device path from a linstor-hv reply (which took it from the controller), accepted only below this
# node's device root: no '.' or '..' component, and after resolving every link still below the root
# (or one of @DEVICE_TARGET_ROOTS). Anything else would let a controller make us read or overwrite
# an arbitrary file.
sub checked_device_path {
    my ($scfg, $value) = @_;
    my $path = untainted($value, $DEVICE_PATH_RE, 'device path');
    my $root = device_root($scfg);
    die "linstor-hv returned device path '$path', which is not below the device root '$root'\n"
        if index($path, "$root/") != 0 || $path =~ m{(?:^|/)\.\.?(?:/|\z)|//};
    my $resolved = Cwd::abs_path($path);
    die "linstor-hv returned device path '$path', which does not exist\n"
        if !defined($resolved) || !-e $resolved;
    for my $allowed ($root, @DEVICE_TARGET_ROOTS) {
        my $real = Cwd::abs_path($allowed);
        return $path if defined($real) && ($resolved eq $real || index($resolved, "$real/") == 0);
    }
    die "linstor-hv returned device path '$path', which leads to '$resolved' outside the device root '$root'\n";
}

sub device_path {
    my ($scfg, $resource) = @_;
    return device_root($scfg) . "/drbd/by-res/$resource/0";
}

sub parse_volname {
    my ($class, $volname) = @_;
    my $parts = volume_parts($volname);
    return (
        'images', $parts->{name}, $parts->{vmid}, $parts->{basename}, $parts->{basevmid},
        $parts->{is_base}, 'raw',
    );
}

sub filesystem_path {
    my ($class, $scfg, $volname, $snapname) = @_;
    my $parts = volume_parts($volname);
    my $resource = $parts->{resource};
    $resource = snapshot_resource_name($resource, check_snapname($snapname)) if defined($snapname);
    my $path = device_path($scfg, $resource);
    return wantarray ? ($path, $parts->{vmid}, 'images') : $path;
}

sub get_formats {
    my ($class, $scfg, $storeid) = @_;
    return { default => 'raw', valid => { raw => 1 } };
}

sub qemu_blockdev_options {
    my ($class, $scfg, $storeid, $volname, $machine_version, $options) = @_;
    my $path = $class->filesystem_path($scfg, $volname, $options->{'snapshot-name'});
    # A DRBD device is a block device; the test harness's file-backed devices are plain files.
    my $driver = -b $path ? 'host_device' : 'file';
    return { driver => $driver, filename => $path };
}

sub volume_qemu_snapshot_method {
    my ($class, $storeid, $scfg, $volname) = @_;
    return 'storage';
}

sub volume_snapshot_needs_fsfreeze {
    # A LINSTOR snapshot only suspends I/O; freezing the container's file system makes it consistent.
    return 1;
}

# What the resource group can do, as linstor-hv last saw it. Unknown (no cache yet) counts as
# capable, so a fresh node does not hide features that the first real call will confirm.
sub pool_capabilities {
    my ($storeid, $scfg) = @_;
    my $cached = read_status_cache($storeid, $scfg);
    my $caps = $cached ? $cached->{capabilities} : undef;
    return {
        snapshots => !$caps || $caps->{snapshots} ? 1 : 0,
        thin => $caps && $caps->{thin} ? 1 : 0,
    };
}

sub volume_has_feature {
    my ($class, $scfg, $feature, $storeid, $volname, $snapname, $running, $opts) = @_;
    my $parts = eval { volume_parts($volname) } or return undef;
    my $caps = pool_capabilities($storeid, $scfg);
    my $features = {
        copy => { base => 1, current => 1, snap => 1 },
        rename => { current => 1 },
    };
    if ($caps->{snapshots}) {
        $features->{snapshot} = { current => 1, snap => 1 };
        $features->{clone} = { base => 1, snap => 1 };
        $features->{template} = { current => 1 };
    }
    $features->{sparseinit} = { base => 1, current => 1 } if $caps->{thin};
    # Only linstor-proxmox's pm- names carry the owner outside the resource name.
    delete $features->{rename} if $parts->{name} !~ /^pm-[0-9a-f]{8}_/;

    my $key = defined($snapname) ? 'snap' : $parts->{is_base} ? 'base' : 'current';
    return $features->{$feature} && $features->{$feature}->{$key} ? 1 : undef;
}

# --- talking to linstor-hv ---------------------------------------------------------------------

sub linstor_node_name {
    my ($scfg) = @_;
    my $node = PVE::INotify::nodename();
    $node .= ".$scfg->{searchdomain}" if defined($scfg->{searchdomain}) && $scfg->{searchdomain} ne '';
    return $node;
}

sub untaint_storeid {
    my ($storeid) = @_;
    die "invalid storage id\n" if !defined($storeid) || $storeid !~ /^($STOREID_RE)\z/;
    return $1;
}

sub token_file {
    my ($storeid) = @_;
    return "$SECRETS_DIR/" . untaint_storeid($storeid) . ".token";
}

sub read_file_if_present {
    my ($path) = @_;
    open(my $fh, '<', $path) or return undef;
    local $/;
    my $text = <$fh>;
    close($fh);
    return $text;
}

# The bearer token: the storage's own sensitive property, else the LINSTOR tools' auth.json.
sub read_token {
    my ($storeid) = @_;
    my $token = read_file_if_present(token_file($storeid));
    if (defined($token)) {
        chomp($token);
        return $token if $token ne '';
    }
    my $auth = read_file_if_present($LINSTOR_AUTH_FILE);
    return undef if !defined($auth);
    my $decoded = eval { $JSON_DECODER->decode($auth) };
    return ref($decoded) eq 'HASH' && defined($decoded->{token}) ? "$decoded->{token}" : undef;
}

sub public_config {
    my ($scfg) = @_;
    my $public = {};
    for my $option (@PUBLIC_OPTIONS) {
        $public->{$option} = "$scfg->{$option}" if defined($scfg->{$option});
    }
    return $public;
}

sub status_cache_file {
    my ($scfg) = @_;
    # Keyed by controller list and resource group: storages that point at the same group share
    # the figures, storages on different clusters never do.
    my $key = join("\n", $scfg->{controller} // 'localhost', $scfg->{resourcegroup} // 'drbdgrp');
    return "$STATUS_CACHE_DIR/status-" . substr(sha256_hex($key), 0, 16) . ".json";
}

# Collapses a message to the one line a PVE task log shows.
sub one_line {
    my ($text) = @_;
    $text = "$text";
    $text =~ s/\s*\n\s*/ /g;
    # PVE's task log is plain text; keep the ellipsis of shortened excerpts readable.
    $text =~ s/\x{2026}/.../g;
    $text =~ s/[^\x20-\x7e]/?/g;
    $text =~ s/^\s+|\s+$//g;
    $text = substr($text, 0, 1997) . '...' if length($text) > 2000;
    return $text;
}

# Runs one PVE method in linstor-hv with one JSON request and returns the reply's result: through
# the bridge when one answers, else through `linstor-hv proxmox <method>`. Dies with one line on
# any failure.
sub run_cli {
    my ($method, $storeid, $scfg, $args, %opts) = @_;
    my $deadline = $opts{deadline} // $CLI_DEADLINE;
    my $request = cli_request($method, $storeid, $scfg, $args, $deadline);

    my $reply = call_bridge($method, $request, $deadline);
    # A bridge that was killed may still hold its listening socket for a moment while it exits, so
    # the repeats wait a little first; then a new bridge or the one-shot command answers.
    for my $pause (@BRIDGE_REPEAT_PAUSES) {
        last if !$reply->{lost} || !$SAFE_TO_REPEAT{$method};
        Time::HiRes::sleep($pause);
        $reply = call_bridge($method, $request, $deadline);
    }
    if ($reply->{lost}) {
        die "linstor-hv $method: the bridge took the request and its reply was lost ($reply->{lost});"
            . " the outcome is unknown, check the volume before repeating\n";
    }
    my $result = $reply->{fallback} ? run_oneshot($method, $request, $deadline) : $reply->{result};
    return passing_warnings($result);
}

# The result of a reply as a hash, after passing its warnings on to PVE's task log.
sub passing_warnings {
    my ($result) = @_;
    $result = {} if ref($result) ne 'HASH';
    if (ref($result->{warnings}) eq 'ARRAY') {
        warn one_line($_) . "\n" for grep { defined($_) && !ref($_) } @{ $result->{warnings} };
    }
    return $result;
}

# The request object of one call (the one-shot command's stdin, the bridge call's params).
sub cli_request {
    my ($method, $storeid, $scfg, $args, $deadline) = @_;
    my $request = {
        protocol => $REQUEST_PROTOCOL,
        method => $method,
        storeid => "$storeid",
        scfg => public_config($scfg),
        node => linstor_node_name($scfg),
        deviceRoot => $DEVICE_ROOT,
        peerAccess => $PEER_ACCESS,
        statusCacheFile => status_cache_file($scfg),
        deadlineMs => $deadline * 1000,
        args => $args // {},
    };
    my $token = read_token($storeid);
    $request->{token} = $token if defined($token);
    return $request;
}

# Whether the last fallback to the one-shot command was logged (reset when the bridge answers), so
# a node without a bridge says so once, not on every call.
my $FALLBACK_LOGGED = 0;
my $BRIDGE_REQUEST_ID = 0;

sub bridge_unavailable {
    my ($why) = @_;
    if (!$FALLBACK_LOGGED) {
        $FALLBACK_LOGGED = 1;
        warn "linstor-hv: no bridge at $BRIDGE_SOCKET ($why); using the one-shot command, which is"
            . " slower (start linstor-hv-proxmox.socket)\n";
    }
    return { fallback => 1 };
}

# Sends the request to the bridge. Returns { result => ... }, { fallback => 1 } when the bridge
# cannot have started anything (no socket, refused, shutting down), or { lost => reason } when the
# bridge took the request and no reply came. Dies with the bridge's one-line error.
sub call_bridge {
    my ($method, $request, $deadline) = @_;
    return bridge_unavailable('no socket') if !-S $BRIDGE_SOCKET;
    my $socket = IO::Socket::UNIX->new(
        Type => SOCK_STREAM,
        Peer => $BRIDGE_SOCKET,
        Timeout => $BRIDGE_CONNECT_TIMEOUT,
    ) or return bridge_unavailable("connecting failed: $!");
    local $SIG{PIPE} = 'IGNORE';
    my $id = ++$BRIDGE_REQUEST_ID;
    my $line = $JSON_ENCODER->encode({
        jsonrpc => '2.0',
        id => $id,
        method => $method,
        params => $request,
        deadlineMs => $deadline * 1000,
    }) . "\n";
    my $offset = 0;
    while ($offset < length($line)) {
        my $written = syswrite($socket, $line, length($line) - $offset, $offset);
        next if !defined($written) && $! == EINTR;
        # The bridge never acts on a line it has not read to its end.
        return bridge_unavailable("sending failed: $!") if !defined($written);
        $offset += $written;
    }

    my $wait = $deadline + $BRIDGE_REPLY_GRACE;
    my $give_up = Time::HiRes::time() + $wait;
    my $select = IO::Select->new($socket);
    my $buffer = '';
    while (index($buffer, "\n") < 0) {
        my $left = $give_up - Time::HiRes::time();
        if ($left <= 0) {
            close($socket); # the bridge sees the caller leave and stops the work
            die "linstor-hv $method did not finish within $wait s\n";
        }
        next if !$select->can_read($left);
        my $read = sysread($socket, $buffer, 65536, length($buffer));
        next if !defined($read) && $! == EINTR;
        return { lost => "reading failed: $!" } if !defined($read);
        return { lost => 'the bridge closed the connection' } if $read == 0;
    }
    close($socket);
    $FALLBACK_LOGGED = 0;
    my $reply = eval { $JSON_DECODER->decode(substr($buffer, 0, index($buffer, "\n"))) };
    die "linstor-hv $method: the bridge sent a reply that is not JSON\n" if ref($reply) ne 'HASH';
    if (ref($reply->{error}) eq 'HASH') {
        my $error = $reply->{error};
        return { fallback => 1 } if defined($error->{code}) && $error->{code} == $RPC_SHUTTING_DOWN;
        my $message = defined($error->{message}) && !ref($error->{message}) ? $error->{message} : 'unknown error';
        die one_line($message) . "\n";
    }
    die "linstor-hv $method: the bridge's reply has no result\n" if !exists($reply->{result});
    return { result => $reply->{result} };
}

# Runs `linstor-hv proxmox <method>` with the request on stdin and returns the reply's result.
sub run_oneshot {
    my ($method, $request, $deadline) = @_;
    my $input = $JSON_ENCODER->encode($request);
    my $stdout = '';
    my $stderr = '';
    my $exit = eval {
        local %ENV = (PATH => $CLEAN_PATH, LC_ALL => 'C');
        run_command(
            [$NODE_BINARY, $LINSTOR_HV, 'proxmox', $method],
            input => $input,
            outfunc => sub { $stdout .= "$_[0]\n" },
            errfunc => sub { $stderr .= "$_[0]\n" },
            timeout => $deadline + $CLI_KILL_GRACE,
            noerr => 1,
        );
    };
    if (my $err = $@) {
        die "linstor-hv $method did not finish within " . ($deadline + $CLI_KILL_GRACE) . " s\n"
            if $err =~ /got timeout/;
        die "linstor-hv $method could not be run: " . one_line($err) . "\n";
    }
    my $reply = eval { $JSON_DECODER->decode($stdout) };
    if (ref($reply) ne 'HASH' || !exists($reply->{ok})) {
        my $detail = $stderr ne '' ? one_line($stderr) : "exit code $exit, no reply";
        die "linstor-hv $method failed: $detail\n";
    }
    if (!$reply->{ok}) {
        my $error = defined($reply->{error}) && !ref($reply->{error}) ? $reply->{error} : 'unknown error';
        die one_line($error) . "\n";
    }
    return $reply->{result};
}

sub untainted {
    my ($value, $re, $what) = @_;
    die "linstor-hv returned an invalid $what\n"
        if !defined($value) || ref($value) || "$value" !~ /^($re)\z/;
    return $1;
}

sub untainted_volname {
    my ($value) = @_;
    my $volname = untainted($value, qr{[A-Za-z0-9_.+/-]{1,250}}, 'volume name');
    eval { volume_parts($volname) } or die "linstor-hv returned an invalid volume name\n";
    return $volname;
}

sub untainted_size {
    my ($value, $what) = @_;
    return untainted($value, $INTEGER_RE, $what) + 0;
}

# --- storage -----------------------------------------------------------------------------------

sub on_add_hook {
    my ($class, $storeid, $scfg, %sensitive) = @_;
    store_token($storeid, $sensitive{apitoken}) if defined($sensitive{apitoken});
    return;
}

sub on_update_hook {
    my ($class, $storeid, $scfg, %sensitive) = @_;
    return if !exists($sensitive{apitoken});
    if (defined($sensitive{apitoken})) {
        store_token($storeid, $sensitive{apitoken});
    } else {
        remove_token($storeid);
    }
    return;
}

sub on_delete_hook {
    my ($class, $storeid, $scfg) = @_;
    remove_token($storeid);
    return;
}

sub store_token {
    my ($storeid, $token) = @_;
    die "the LINSTOR token must be one line of printable characters\n" if $token !~ /^([\x21-\x7e]{1,4096})\z/;
    my $clean = $1;
    my $file = token_file($storeid);
    mkdir($SECRETS_DIR, 0700) if !-d $SECRETS_DIR;
    PVE::Tools::file_set_contents($file, "$clean\n", 0600);
    return;
}

sub remove_token {
    my ($storeid) = @_;
    my $file = token_file($storeid);
    unlink($file) or $!{ENOENT} or die "removing '$file' failed: $!\n";
    return;
}

sub cluster_lock_storage {
    my ($class, $storeid, $shared, $timeout, $func, @param) = @_;
    # Creating LINSTOR resources can keep the lock for seconds; let parallel callers queue longer.
    my $scfg = eval { PVE::Storage::config()->{ids}->{$storeid} } // {};
    my $wanted = $scfg->{clusterlocktimeout} // 0;
    $timeout = $wanted if $wanted && (!$timeout || $wanted > $timeout);
    return $class->SUPER::cluster_lock_storage($storeid, $shared, $timeout, $func, @param);
}

sub activate_storage {
    my ($class, $storeid, $scfg, $cache) = @_;
    return 1;
}

sub deactivate_storage {
    my ($class, $storeid, $scfg, $cache) = @_;
    return 1;
}

# The cached status, or undef when there is none. Returns the decoded figures plus the file's age.
sub read_status_cache {
    my ($storeid, $scfg) = @_;
    my $file = status_cache_file($scfg);
    my @stat = stat($file) or return undef;
    my $text = read_file_if_present($file) // return undef;
    my $data = eval { $JSON_DECODER->decode($text) };
    return undef if ref($data) ne 'HASH';
    my $status = {};
    for my $key (qw(total avail used)) {
        return undef if !defined($data->{$key}) || "$data->{$key}" !~ /^($INTEGER_RE)\z/;
        $status->{$key} = $1 + 0;
    }
    my $caps = ref($data->{capabilities}) eq 'HASH' ? $data->{capabilities} : {};
    $status->{capabilities} = { snapshots => $caps->{snapshots} ? 1 : 0, thin => $caps->{thin} ? 1 : 0 };
    $status->{age} = time() - $stat[9];
    return $status;
}

# Seconds the cached figures may be reused (the `statuscache` option, default 60).
sub status_max_age {
    my ($scfg) = @_;
    return $scfg->{statuscache} // $STATUS_CACHE_SECONDS;
}

sub status_figures {
    my ($result) = @_;
    return {
        total => untainted_size($result->{total}, 'total size'),
        avail => untainted_size($result->{avail}, 'free size'),
        used => untainted_size($result->{used}, 'used size'),
    };
}

sub status_from_cli {
    my ($storeid, $scfg, $method) = @_;
    return status_figures(run_cli($method, $storeid, $scfg, {}, deadline => $STATUS_DEADLINE));
}

# With a bridge the figures live in its memory: it answers from there while they are younger than
# `statuscache` and otherwise reads them (and rewrites the file, which the one-shot path and
# volume_has_feature read). Returns undef when no bridge answered; dies with the bridge's error.
sub status_from_bridge {
    my ($storeid, $scfg, $method) = @_;
    return undef if !-S $BRIDGE_SOCKET;
    my $request = cli_request($method, $storeid, $scfg, {}, $STATUS_DEADLINE);
    my $reply = call_bridge($method, $request, $STATUS_DEADLINE);
    return undef if !exists($reply->{result});
    return status_figures(passing_warnings($reply->{result}));
}

sub status {
    my ($class, $storeid, $scfg, $cache) = @_;
    my $memo_key = "linstor-hv-status:" . status_cache_file($scfg);
    my $figures = $cache->{$memo_key};
    # A bridge that fails (it has no figures yet and no controller answers) leaves it to the file.
    $figures //= eval { status_from_bridge($storeid, $scfg, 'status') };
    if (!$figures) {
        my $cached = read_status_cache($storeid, $scfg);
        if ($cached && $cached->{age} < status_max_age($scfg)) {
            $figures = $cached;
        } else {
            $figures = eval { status_from_cli($storeid, $scfg, 'status') };
            if (my $err = $@) {
                die $err if !$cached;
                # The controller being away does not make the storage go away: the volumes that
                # exist keep working, so report what was true last.
                warn "storage '$storeid': showing status from " . int($cached->{age})
                    . " s ago, refresh failed: $err";
                $figures = $cached;
            }
        }
        $cache->{$memo_key} = $figures if ref($cache) eq 'HASH';
    }
    return ($figures->{total}, $figures->{avail}, $figures->{used}, 1);
}

sub check_connection {
    my ($class, $storeid, $scfg) = @_;
    return 1 if eval { status_from_bridge($storeid, $scfg, 'check_connection') };
    my $cached = read_status_cache($storeid, $scfg);
    # Fresh figures prove the controller answered recently; no need to ask again.
    return 1 if $cached && $cached->{age} < status_max_age($scfg);
    my $online = eval { status_from_cli($storeid, $scfg, 'check_connection'); 1 };
    return 1 if $online;
    my $err = $@;
    return 0 if !$cached;
    warn "storage '$storeid': LINSTOR controller unreachable, using figures from "
        . int($cached->{age}) . " s ago: $err";
    return 1;
}

sub get_identity {
    my ($class, $scfg, $storeid) = @_;
    my $result = run_cli('get_identity', $storeid, $scfg, {});
    return untainted($result->{identity}, qr/[A-Za-z0-9_.:\/-]{1,200}/, 'storage identity');
}

# --- volumes -----------------------------------------------------------------------------------

sub check_size_kib {
    my ($size) = @_;
    die "invalid size '" . ($size // '') . "': expected a whole number of KiB greater than 0\n"
        if !defined($size) || "$size" !~ /^([0-9]{1,15})\z/ || $1 == 0;
    return $1 + 0;
}

sub alloc_image {
    my ($class, $storeid, $scfg, $vmid, $fmt, $name, $size) = @_;
    die "unsupported format '$fmt': drbd storage holds raw volumes only\n" if $fmt ne 'raw';
    my $owner = untaint_vmid($vmid);
    my $size_kib = check_size_kib($size);
    my $wanted;
    if (defined($name) && $name ne '') {
        my $parts = volume_parts($name);
        die "illegal name '$name' - should be 'vm-$owner-*' or 'pm-<8 hex digits>_$owner'\n"
            if $parts->{vmid} != $owner || defined($parts->{basename}) || $parts->{is_base};
        $wanted = $name;
    }
    my $result = run_cli('alloc_image', $storeid, $scfg, {
        vmid => $owner,
        name => $wanted,
        sizeKib => $size_kib,
    });
    return untainted_volname($result->{volname});
}

sub free_image {
    my ($class, $storeid, $scfg, $volname, $isBase, $format) = @_;
    volume_parts($volname);
    # Waiting for the last user to let go and deleting snapshots can take long: PVE runs this in a
    # worker after releasing the storage lock.
    return sub {
        run_cli('free_image', $storeid, $scfg, { volname => $volname }, deadline => $FREE_DEADLINE);
        return;
    };
}

sub list_images {
    my ($class, $storeid, $scfg, $vmid, $vollist, $cache) = @_;
    my $memo_key = "linstor-hv-images:$storeid:" . ($vmid // '');
    my $images = $cache ? $cache->{$memo_key} : undef;
    if (!$images) {
        my $filter_vmid;
        $filter_vmid = untaint_vmid($vmid) if defined($vmid);
        my $result = run_cli('list_images', $storeid, $scfg, { vmid => $filter_vmid });
        my $list = ref($result->{images}) eq 'ARRAY' ? $result->{images} : [];
        $images = [];
        for my $image (@$list) {
            next if ref($image) ne 'HASH';
            my $volname = untainted_volname($image->{volname});
            my $parts = volume_parts($volname);
            my $info = {
                volid => "$storeid:$volname",
                format => 'raw',
                size => untainted_size($image->{size}, 'volume size'),
                vmid => $parts->{vmid},
            };
            $info->{used} = untainted_size($image->{used}, 'used size') if defined($image->{used});
            $info->{ctime} = untainted_size($image->{ctime}, 'creation time') if defined($image->{ctime});
            $info->{parent} = "$storeid:$parts->{basename}" if defined($parts->{basename});
            push @$images, $info;
        }
        $cache->{$memo_key} = $images if ref($cache) eq 'HASH';
    }
    return $images if !$vollist;
    my %wanted = map { $_ => 1 } @$vollist;
    return [grep { $wanted{ $_->{volid} } } @$images];
}

sub activate_volume {
    my ($class, $storeid, $scfg, $volname, $snapname, $cache, $hints) = @_;
    volume_parts($volname);
    check_snapname($snapname) if defined($snapname);
    my $result = run_cli('activate_volume', $storeid, $scfg, {
        volname => $volname,
        snapname => $snapname,
        hints => ref($hints) eq 'HASH' ? $hints : {},
    });
    my $path = untainted($result->{path}, $DEVICE_PATH_RE, 'device path');
    my $expected = $class->filesystem_path($scfg, $volname, $snapname);
    die "linstor-hv activated '$volname' at '$path', expected '$expected'\n" if $path ne $expected;
    return 1;
}

sub deactivate_volume {
    my ($class, $storeid, $scfg, $volname, $snapname, $cache) = @_;
    volume_parts($volname);
    check_snapname($snapname) if defined($snapname);
    run_cli('deactivate_volume', $storeid, $scfg, { volname => $volname, snapname => $snapname });
    return 1;
}

sub map_volume {
    my ($class, $storeid, $scfg, $volname, $snapname, $hints) = @_;
    my $path = $class->filesystem_path($scfg, $volname, $snapname);
    # PVE activates before it maps; a missing device means the activation did not happen here.
    die "volume '$volname' is not active on this node (no device at '$path')\n" if !-e $path;
    return $path;
}

sub unmap_volume {
    my ($class, $storeid, $scfg, $volname, $snapname) = @_;
    return 1;
}

sub volume_size_info {
    my ($class, $scfg, $storeid, $volname, $timeout) = @_;
    volume_parts($volname);
    my $result = run_cli('volume_size_info', $storeid, $scfg, { volname => $volname });
    my $size = untainted_size($result->{size}, 'volume size');
    return $size if !wantarray;
    my $used = defined($result->{used}) ? untainted_size($result->{used}, 'used size') : undef;
    my $ctime = defined($result->{ctime}) ? untainted_size($result->{ctime}, 'creation time') : undef;
    return ($size, 'raw', $used, undef, $ctime);
}

sub volume_resize {
    my ($class, $scfg, $storeid, $volname, $size, $running, $snapname) = @_;
    die "resizing a snapshot is not supported on drbd storage\n" if defined($snapname);
    volume_parts($volname);
    die "invalid size '" . ($size // '') . "': expected a whole number of bytes\n"
        if !defined($size) || "$size" !~ /^([0-9]{1,19})\z/ || $1 == 0;
    my $bytes = $1 + 0;
    run_cli('volume_resize', $storeid, $scfg, {
        volname => $volname,
        sizeBytes => $bytes,
        running => $running ? JSON::true : JSON::false,
    });
    return 1;
}

sub rename_volume {
    my ($class, $scfg, $storeid, $source_volname, $target_vmid, $target_volname) = @_;
    volume_parts($source_volname);
    my $target = untaint_vmid($target_vmid);
    volume_parts($target_volname) if defined($target_volname);
    my $result = run_cli('rename_volume', $storeid, $scfg, {
        volname => $source_volname,
        targetVmid => $target,
        targetVolname => $target_volname,
    });
    return "$storeid:" . untainted_volname($result->{volname});
}

# --- snapshots, templates, clones --------------------------------------------------------------

sub volume_snapshot {
    my ($class, $scfg, $storeid, $volname, $snap) = @_;
    volume_parts($volname);
    run_cli('volume_snapshot', $storeid, $scfg, { volname => $volname, snapname => check_snapname($snap) });
    return 1;
}

sub volume_snapshot_delete {
    my ($class, $scfg, $storeid, $volname, $snap, $running) = @_;
    volume_parts($volname);
    run_cli('volume_snapshot_delete', $storeid, $scfg, {
        volname => $volname,
        snapname => check_snapname($snap),
    });
    return 1;
}

sub volume_rollback_is_possible {
    my ($class, $scfg, $storeid, $volname, $snap, $blockers) = @_;
    volume_parts($volname);
    my $result = run_cli('volume_rollback_is_possible', $storeid, $scfg, {
        volname => $volname,
        snapname => check_snapname($snap),
    });
    return 1 if $result->{possible};
    my @names = ref($result->{blockers}) eq 'ARRAY' ? @{ $result->{blockers} } : ();
    push @$blockers, map { untainted($_, $SNAPNAME_RE, 'snapshot name') } @names
        if ref($blockers) eq 'ARRAY';
    my $reason = defined($result->{reason}) ? one_line($result->{reason}) : "rollback to '$snap' is not possible";
    die "$reason\n";
}

sub volume_snapshot_rollback {
    my ($class, $scfg, $storeid, $volname, $snap) = @_;
    volume_parts($volname);
    run_cli('volume_snapshot_rollback', $storeid, $scfg, {
        volname => $volname,
        snapname => check_snapname($snap),
    });
    return 1;
}

sub volume_snapshot_info {
    my ($class, $scfg, $storeid, $volname) = @_;
    volume_parts($volname);
    my $result = run_cli('volume_snapshot_info', $storeid, $scfg, { volname => $volname });
    my $list = ref($result->{snapshots}) eq 'ARRAY' ? $result->{snapshots} : [];
    my $info = {};
    for my $snapshot (@$list) {
        next if ref($snapshot) ne 'HASH';
        my $name = untainted($snapshot->{name}, $SNAPNAME_RE, 'snapshot name');
        $info->{$name} = {
            id => untainted($snapshot->{id}, qr/[A-Za-z0-9_.:-]{1,100}/, 'snapshot id'),
            timestamp => untainted_size($snapshot->{timestamp}, 'snapshot time'),
        };
    }
    return $info;
}

sub create_base {
    my ($class, $storeid, $scfg, $volname) = @_;
    my $parts = volume_parts($volname);
    die "create_base not possible with base image\n" if $parts->{is_base};
    die "create_base not possible with a linked clone\n" if defined($parts->{basename});
    my $result = run_cli('create_base', $storeid, $scfg, { volname => $volname });
    my $base = untainted_volname($result->{volname});
    my $base_parts = volume_parts($base);
    die "linstor-hv returned '$base' as template of '$volname'\n"
        if !$base_parts->{is_base} || $base_parts->{resource} ne $parts->{resource};
    return $base;
}

sub clone_image {
    my ($class, $scfg, $storeid, $volname, $vmid, $snap) = @_;
    volume_parts($volname);
    my $owner = untaint_vmid($vmid);
    check_snapname($snap) if defined($snap);
    my $result = run_cli('clone_image', $storeid, $scfg, {
        volname => $volname,
        vmid => $owner,
        snapname => $snap,
    });
    my $clone = untainted_volname($result->{volname});
    die "linstor-hv returned '$clone' as clone for VM $owner\n" if volume_parts($clone)->{vmid} != $owner;
    return $clone;
}

# --- export and import (raw+size) --------------------------------------------------------------

sub volume_export_formats {
    my ($class, $scfg, $storeid, $volname, $snapshot, $base_snapshot, $with_snapshots) = @_;
    return () if defined($base_snapshot) || (ref($with_snapshots) ? @$with_snapshots : $with_snapshots);
    return ('raw+size');
}

sub volume_import_formats {
    my ($class, $scfg, $storeid, $volname, $snapshot, $base_snapshot, $with_snapshots) = @_;
    return $class->volume_export_formats($scfg, $storeid, $volname, $snapshot, $base_snapshot, $with_snapshots);
}

sub check_raw_size_format {
    my ($format, $base_snapshot, $with_snapshots) = @_;
    die "volume export/import format '$format' is not available on drbd storage (use raw+size)\n"
        if $format ne 'raw+size';
    die "incremental export/import is not available on drbd storage\n" if defined($base_snapshot);
    die "export/import with snapshots is not available on drbd storage\n"
        if ref($with_snapshots) ? @$with_snapshots : $with_snapshots;
    return;
}

# linstor-hv makes the volume (or its snapshot) available on this node and says where; the bytes
# are then moved with dd, as PVE's own LVM plugin does.
sub volume_export {
    my ($class, $scfg, $storeid, $fh, $volname, $format, $snapshot, $base_snapshot, $with_snapshots) = @_;
    check_raw_size_format($format, $base_snapshot, $with_snapshots);
    volume_parts($volname);
    check_snapname($snapshot) if defined($snapshot);
    my $result = run_cli('volume_export', $storeid, $scfg, { volname => $volname, snapname => $snapshot });
    my $attached = $result->{attached} ? 1 : 0;
    eval {
        my $path = checked_device_path($scfg, $result->{path});
        my $size = untainted_size($result->{size}, 'volume size');
        write_all($fh, pack('Q<', $size));
        run_command(
            ['dd', "if=$path", 'bs=64k', "count=$size", 'iflag=count_bytes', 'status=none'],
            output => '>&' . fileno($fh),
        );
    };
    my $err = $@;
    if ($attached) {
        eval {
            run_cli('deactivate_volume', $storeid, $scfg, { volname => $volname, snapname => $snapshot });
        };
        warn $@ if $@;
    }
    die $err if $err;
    return;
}

sub volume_import {
    my ($class, $scfg, $storeid, $fh, $volname, $format, $snapshot, $base_snapshot, $with_snapshots,
        $allow_rename) = @_;
    check_raw_size_format($format, $base_snapshot, $with_snapshots);
    volume_parts($volname);
    my $header = read_exactly($fh, 8);
    my ($size) = unpack('Q<', $header) =~ /^([0-9]{1,19})\z/
        or die "import: the raw+size stream has no valid size header\n";
    die "import: the raw+size stream announces $size bytes, not a whole number of KiB\n"
        if $size == 0 || $size % 1024;

    my $result = run_cli('volume_import', $storeid, $scfg, {
        volname => $volname,
        sizeBytes => $size,
        allowRename => $allow_rename ? JSON::true : JSON::false,
    });
    my $imported = untainted_volname($result->{volname});
    eval {
        my $path = checked_device_path($scfg, $result->{path});
        run_command(
            ['dd', "of=$path", 'bs=64k', "count=$size", 'iflag=fullblock,count_bytes', 'conv=notrunc',
                'status=none'],
            input => '<&' . fileno($fh),
        );
        run_cli('deactivate_volume', $storeid, $scfg, { volname => $imported }) if $result->{attached};
    };
    if (my $err = $@) {
        # A half-imported volume is worth nothing; remove it and report why.
        eval { run_cli('free_image', $storeid, $scfg, { volname => $imported }, deadline => $FREE_DEADLINE) };
        warn "removing '$imported' after the failed import failed: $@" if $@;
        die $err;
    }
    return "$storeid:$imported";
}

sub write_all {
    my ($fh, $data) = @_;
    my $offset = 0;
    while ($offset < length($data)) {
        my $written = syswrite($fh, $data, length($data) - $offset, $offset);
        die "export: writing the stream failed: $!\n" if !defined($written);
        $offset += $written;
    }
    return;
}

sub read_exactly {
    my ($fh, $count) = @_;
    my $data = '';
    while (length($data) < $count) {
        my $read = sysread($fh, $data, $count - length($data), length($data));
        die "import: reading the stream failed: $!\n" if !defined($read);
        die "import: the stream ended before its raw+size header\n" if $read == 0;
    }
    return $data;
}

1;
