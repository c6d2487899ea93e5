package LinstorHvHarness;

# Runs the drbd plugin the way a Proxmox node does, against the LINSTOR emulator running as a
# separate process: loads the real module through the PVE::Storage double's plugin loader, points
# it at the built linstor-hv bundle, a node's device tree and private directories, and offers the
# emulator's control API (acting as QEMU and as the network) plus the REST API for tests that
# create volumes the way another tool would.
#
# The plugin reaches linstor-hv one of two ways, chosen by LINSTOR_HV_PVE_TRANSPORT: `bridge` (the
# default: a `linstor-hv bridge --platform proxmox` process per test file, on a socket in the
# scratch tree) or `oneshot` (no bridge: the plugin falls back to one process per call). The suite
# runs both ways (test/run-all.mjs).
#
# Everything here runs under `perl -T`: paths are computed from this file's location and
# untainted, never taken from the environment.

use strict;
use warnings;

use Cwd qw(abs_path);
use Digest::SHA;
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::UNIX;
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(time sleep);

use PVE::Cluster;
use PVE::INotify;
use PVE::Storage;
use PVE::Storage::Plugin;

our @EXPORT_OK = qw($MiB error_of sha256_of_file write_pattern);

our $MiB = 1024 * 1024;

my $SAFE_PATH = qr{/[A-Za-z0-9_.+/-]+};
my $CLEAN_PATH = '/sbin:/bin:/usr/sbin:/usr/bin';

sub untaint_path {
    my ($path) = @_;
    die "unsafe path '$path'\n" if $path !~ m{^($SAFE_PATH)$} || $path =~ m{/\.\./};
    return $1;
}

# Repository root: test/proxmox/lib/ is three levels below it.
my $ROOT = untaint_path(abs_path(dirname(__FILE__) . '/../../..'));

sub root { return $ROOT }

sub node_binary {
    for my $candidate ('/usr/bin/node', '/usr/local/bin/node') {
        return $candidate if -x $candidate;
    }
    die "node (>= 20) is needed at /usr/bin/node or /usr/local/bin/node\n";
}

sub cli_bundle { return "$ROOT/apps/linstor-hv/dist/linstor-hv.mjs" }

# 'bridge' or 'oneshot'; compared, never used as data, so the tainted environment is harmless.
sub transport {
    my $wanted = $ENV{LINSTOR_HV_PVE_TRANSPORT} // 'bridge';
    return $wanted eq 'oneshot' ? 'oneshot' : 'bridge';
}
sub emulator_bundle { return "$ROOT/packages/emulator/dist/emulator.mjs" }

my @RUNNING;

# Starts an emulator process (three-node cluster) and a private scratch tree for one test file;
# the plugin then runs as node pve1 (see on_node).
# Options: blackhole => 1 adds a black-holed port; storage => {...} extra storage.cfg options;
# external => { url => ..., data_dir => ..., bridge_socket => ... } uses an emulator (and a
# bridge) someone else runs (the demo).
sub new {
    my ($class, %opts) = @_;
    $ENV{PATH} = $CLEAN_PATH;
    delete @ENV{qw(IFS CDPATH ENV BASH_ENV)};
    for my $bundle (cli_bundle(), $opts{external} ? () : emulator_bundle()) {
        die "missing $bundle: build first (pnpm build)\n" if !-f $bundle;
    }
    my $scratch = untaint_path(tempdir('linstor-hv-pve-XXXXXX', DIR => '/tmp', CLEANUP => 0));
    my $self = bless { scratch => $scratch, storeid => $opts{storeid} // 'drbdstorage' }, $class;
    make_path("$scratch/locks", "$scratch/local-locks", "$scratch/priv/storage", "$scratch/cache");
    if (my $external = $opts{external}) {
        my ($url) = ($external->{url} // '') =~ m{^(http://127\.0\.0\.1:\d+)$} or die "external emulator needs an http://127.0.0.1 URL\n";
        $self->{emulator} = { url => $url, external => 1 };
        $self->{data_dir} = untaint_path($external->{data_dir});
    } else {
        $self->start_emulator(blackhole => $opts{blackhole});
    }
    push @RUNNING, $self;

    $PVE::Cluster::LOCK_DIR = "$scratch/locks";
    $PVE::Storage::Plugin::LOCAL_LOCK_DIR = "$scratch/local-locks";
    if (!PVE::Storage::Custom::LINSTORPlugin->can('api')) {
        PVE::Storage::load_custom_plugins("$ROOT/packages/proxmox/perl");
        die join("\n", @PVE::Storage::LOAD_WARNINGS) . "\n" if !PVE::Storage::Custom::LINSTORPlugin->can('api');
    }
    no warnings 'once';
    $PVE::Storage::Custom::LINSTORPlugin::NODE_BINARY = node_binary();
    $PVE::Storage::Custom::LINSTORPlugin::LINSTOR_HV = cli_bundle();
    $PVE::Storage::Custom::LINSTORPlugin::SECRETS_DIR = "$scratch/priv/storage";
    $PVE::Storage::Custom::LINSTORPlugin::STATUS_CACHE_DIR = "$scratch/cache";
    $PVE::Storage::Custom::LINSTORPlugin::LINSTOR_AUTH_FILE = "$scratch/no-auth.json";
    # Every emulated node's device tree is on this machine.
    $PVE::Storage::Custom::LINSTORPlugin::PEER_ACCESS = 'local';
    if (my $socket = $opts{external} && $opts{external}->{bridge_socket}) {
        $PVE::Storage::Custom::LINSTORPlugin::BRIDGE_SOCKET = untaint_path($socket);
    } elsif (transport() eq 'bridge') {
        $self->start_bridge();
    } else {
        $PVE::Storage::Custom::LINSTORPlugin::BRIDGE_SOCKET = "$scratch/run/no-bridge.sock";
    }
    $self->configure(%{ $opts{storage} // {} });
    $self->on_node('pve1');
    return $self;
}

sub start_emulator {
    my ($self, %opts) = @_;
    my $data = "$self->{scratch}/emulator";
    my @args = (emulator_bundle(), 'serve', '--data-dir', $data, '--listen', 'http://127.0.0.1:0');
    push @args, '--blackhole', '127.0.0.1:0' if $opts{blackhole};
    my $log = "$self->{scratch}/emulator.log";
    my $pid = open(my $out, '-|') // die "fork failed: $!\n";
    if (!$pid) {
        open(STDERR, '>>', $log) or POSIX::_exit(1);
        open(STDIN, '<', '/dev/null') or POSIX::_exit(1);
        exec(node_binary(), @args) or POSIX::_exit(1);
    }
    my $line = eval {
        local $SIG{ALRM} = sub { die "timeout\n" };
        alarm(30);
        my $l = <$out>;
        alarm(0);
        $l;
    };
    die "the emulator did not start: " . (-f $log ? `cat $log` : 'no output') . "\n" if !defined($line);
    my $startup = JSON::PP->new->decode($line);
    my ($url) = ($startup->{urls}->[0] // '') =~ m{^(http://127\.0\.0\.1:\d+)$}
        or die "unexpected emulator startup line: $line";
    $self->{emulator} = { pid => $pid, out => $out, url => $url };
    # The data directory outlives the process: device trees stay while the controller is down.
    $self->{data_dir} = untaint_path($startup->{dataDir});
    if ($opts{blackhole}) {
        ($self->{blackhole_url}) = ($startup->{blackholeUrls}->[0] // '') =~ m{^(http://127\.0\.0\.1:\d+)$}
            or die "no black-holed port in: $line";
    }
    return;
}

sub stop_emulator {
    my ($self) = @_;
    my $emulator = delete($self->{emulator}) or return;
    return if $emulator->{external};
    kill('TERM', $emulator->{pid});
    my $deadline = time() + 10;
    while (waitpid($emulator->{pid}, WNOHANG) == 0) {
        if (time() > $deadline) {
            kill('KILL', $emulator->{pid});
            waitpid($emulator->{pid}, 0);
            last;
        }
        sleep(0.05);
    }
    close($emulator->{out});
    return;
}

# Restarts the emulator on its data directory (state survives, the port changes).
sub restart_emulator {
    my ($self) = @_;
    $self->stop_emulator();
    $self->start_emulator(blackhole => defined($self->{blackhole_url}));
    $self->configure(%{ $self->{storage_options} });
    return;
}

# --- the bridge --------------------------------------------------------------------------------

sub bridge_socket { return "$_[0]->{scratch}/run/proxmox.sock" }
sub bridge_log { return "$_[0]->{scratch}/bridge.log" }
sub bridge_pid { return $_[0]->{bridge} ? $_[0]->{bridge}->{pid} : undef }

# Starts `linstor-hv bridge --platform proxmox` on the scratch socket and points the plugin at it;
# returns once the bridge answers.
sub start_bridge {
    my ($self) = @_;
    my $socket = $self->bridge_socket();
    my $log = $self->bridge_log();
    my $pid = fork() // die "fork failed: $!\n";
    if (!$pid) {
        open(STDERR, '>>', $log) or POSIX::_exit(1);
        open(STDOUT, '>>', $log) or POSIX::_exit(1);
        open(STDIN, '<', '/dev/null') or POSIX::_exit(1);
        exec(node_binary(), cli_bundle(), 'bridge', '--platform', 'proxmox', '--socket', $socket)
            or POSIX::_exit(1);
    }
    $self->{bridge} = { pid => $pid };
    no warnings 'once';
    $PVE::Storage::Custom::LINSTORPlugin::BRIDGE_SOCKET = $socket;
    my $deadline = time() + 30;
    until (-S $socket && IO::Socket::UNIX->new(Peer => $socket)) {
        die "the bridge did not start: " . (-f $log ? `cat $log` : 'no output') . "\n"
            if time() > $deadline || waitpid($pid, WNOHANG) == $pid;
        sleep(0.02);
    }
    return $pid;
}

# Stops the bridge with $signal (TERM: graceful; KILL: a crash) and waits for it to exit.
sub stop_bridge {
    my ($self, $signal) = @_;
    my $bridge = delete($self->{bridge}) or return;
    kill($signal // 'TERM', $bridge->{pid});
    my $deadline = time() + 60;
    while (waitpid($bridge->{pid}, WNOHANG) == 0) {
        if (time() > $deadline) {
            kill('KILL', $bridge->{pid});
            waitpid($bridge->{pid}, 0);
            last;
        }
        sleep(0.02);
    }
    return $? >> 8;
}

sub url {
    my ($self) = @_;
    die "the emulator is not running\n" if !$self->{emulator};
    return $self->{emulator}->{url};
}
sub blackhole_url { return $_[0]->{blackhole_url} }
sub data_dir { return $_[0]->{data_dir} }
sub scratch { return $_[0]->{scratch} }
sub storeid { return $_[0]->{storeid} }

# Writes the storage.cfg section for our storage and makes it PVE's configuration.
sub configure {
    my ($self, %options) = @_;
    $self->{storage_options} = {%options};
    my %all = (
        controller => $self->url(),
        resourcegroup => 'linstor-hv',
        content => 'images,rootdir',
        %options,
    );
    my $text = "drbd: $self->{storeid}\n";
    for my $key (sort keys %all) {
        next if !defined($all{$key});
        $text .= "\t$key $all{$key}\n";
    }
    $self->{storage_cfg} = $text;
    $PVE::Storage::CONFIG = PVE::Storage::parse_config($text);
    return $text;
}

sub cfg { return PVE::Storage::config() }
sub scfg { my ($self) = @_; return PVE::Storage::config()->{ids}->{ $self->{storeid} } }

# Acts as another cluster node: PVE's node name and that node's device tree.
sub on_node {
    my ($self, $node) = @_;
    $PVE::INotify::NODENAME = $node;
    no warnings 'once';
    $PVE::Storage::Custom::LINSTORPlugin::DEVICE_ROOT = $self->data_dir() . '/nodes/{node}/dev';
    # The emulator's by-res links lead to its volume files, as udev's lead into /dev on a real node.
    @PVE::Storage::Custom::LINSTORPlugin::DEVICE_TARGET_ROOTS = ($self->data_dir());
    return;
}

sub device_root {
    my ($self, $node) = @_;
    return $self->data_dir() . "/nodes/$node/dev";
}

sub device_of {
    my ($self, $node, $resource) = @_;
    return $self->device_root($node) . "/drbd/by-res/$resource/0";
}

# --- HTTP: REST API and the emulator's control API ---------------------------------------------

my $HTTP = HTTP::Tiny->new(timeout => 30);

sub http {
    my ($self, $method, $path, $body) = @_;
    my %request = (headers => { 'Content-Type' => 'application/json' });
    $request{content} = JSON::PP->new->encode($body) if defined($body);
    my $response = $HTTP->request($method, $self->url() . $path, \%request);
    my $decoded = eval { JSON::PP->new->allow_nonref->decode($response->{content}) };
    return { status => $response->{status}, body => $decoded // $response->{content} };
}

sub rest {
    my ($self, $method, $path, $body) = @_;
    my $reply = $self->http($method, $path, $body);
    die "$method $path answered $reply->{status}: " . JSON::PP->new->canonical->encode($reply->{body}) . "\n"
        if $reply->{status} < 200 || $reply->{status} > 299;
    return $reply->{body};
}

sub open_device {
    my ($self, $node, $resource, $mode) = @_;
    return $self->http('POST', "/emulator/devices/$node/$resource/open", { mode => $mode // 'rw' });
}

sub close_device {
    my ($self, $node, $resource) = @_;
    return $self->http('POST', "/emulator/devices/$node/$resource/close");
}

sub node_offline { my ($self, $node) = @_; $self->rest('POST', "/emulator/nodes/$node/offline"); }
sub node_online { my ($self, $node) = @_; $self->rest('POST', "/emulator/nodes/$node/online"); }
sub add_fault { my ($self, $rule) = @_; return $self->rest('POST', '/emulator/faults', $rule)->{id}; }
sub clear_faults { my ($self) = @_; $self->rest('DELETE', '/emulator/faults'); }
sub clear_requests { my ($self) = @_; $self->rest('DELETE', '/emulator/requests'); }

# Number of /v1 requests since the last clear, in total.
sub request_total {
    my ($self) = @_;
    my $counts = $self->rest('GET', '/emulator/requests/counts');
    my $total = 0;
    $total += $_ for values %$counts;
    return $total;
}

# The /v1 requests since the last clear: [{ method, template, path, status, durationMs }], in order.
sub request_log {
    my ($self) = @_;
    return [grep { $_->{path} =~ m{^/v1/} } @{ $self->rest('GET', '/emulator/requests') }];
}

sub resource_definition {
    my ($self, $name) = @_;
    my $reply = $self->http('GET', "/v1/resource-definitions/$name");
    return $reply->{status} == 200 ? $reply->{body} : undef;
}

sub resource_definition_names {
    my ($self) = @_;
    return [sort map { $_->{name} } @{ $self->rest('GET', '/v1/resource-definitions') }];
}

sub snapshot_names {
    my ($self, $resource) = @_;
    return [sort map { $_->{name} } @{ $self->rest('GET', "/v1/resource-definitions/$resource/snapshots") }];
}

sub resources_of {
    my ($self, $resource) = @_;
    return $self->rest('GET', "/v1/view/resources?resources=$resource");
}

# --- test helpers ------------------------------------------------------------------------------

# The error the block dies with ('' when it does not die).
sub error_of(&) {
    my ($code) = @_;
    eval { $code->() };
    return $@;
}

# --- data --------------------------------------------------------------------------------------

# sha256 of the first $length bytes of a file or device.
sub sha256_of_file {
    my ($path, $length) = @_;
    open(my $fh, '<:raw', $path) or die "cannot read $path: $!\n";
    my $sha = Digest::SHA->new(256);
    my $left = $length;
    while ($left > 0) {
        my $read = read($fh, my $buffer, $left > 65536 ? 65536 : $left);
        die "reading $path failed: $!\n" if !defined($read);
        last if $read == 0;
        $sha->add($buffer);
        $left -= $read;
    }
    close($fh);
    die "$path is shorter than $length bytes\n" if $left > 0;
    return $sha->hexdigest();
}

# Writes $length bytes of a pattern derived from $seed at $offset, as a guest would: in place,
# never truncating the device.
sub write_pattern {
    my ($path, $seed, $offset, $length) = @_;
    open(my $fh, '+<:raw', $path) or die "cannot open $path for writing: $!\n";
    seek($fh, $offset, 0) or die "seek in $path failed: $!\n";
    my $block = '';
    my $counter = 0;
    while (length($block) < $length) {
        $block .= Digest::SHA::sha256("$seed:" . $counter++);
    }
    print {$fh} substr($block, 0, $length) or die "writing $path failed: $!\n";
    close($fh) or die "closing $path failed: $!\n";
    return;
}

sub cleanup {
    my ($self) = @_;
    $self->stop_bridge('TERM');
    $self->stop_emulator();
    remove_tree($self->{scratch}) if $self->{scratch} && -d $self->{scratch};
    @RUNNING = grep { $_ != $self } @RUNNING;
    return;
}

END {
    my $status = $?;
    $_->cleanup() for @RUNNING;
    $? = $status;
}

1;
