package PVE::Storage;

# Test double of pve-storage's PVE::Storage: the entry points pvesm, qemu-server and pve-container
# call, with the arguments, locking and return shapes of pve-storage 9.1 (APIVER 15, APIAGE 6), and
# the custom-plugin loader's rules (module must be a PVE::Storage::Plugin, implement api(), and
# report a version in [APIVER - APIAGE, APIVER]). Storage configuration is parsed from storage.cfg
# text with the section rules PVE applies (unknown options refused, enums and integers checked,
# `shared` forced on for type drbd).

use strict;
use warnings;

use PVE::Storage::Plugin;

# Version constants; a test may change them to see how the plugin answers another PVE.
our $APIVER_VALUE = 15;
our $APIAGE_VALUE = 6;
sub APIVER { return $APIVER_VALUE }
sub APIAGE { return $APIAGE_VALUE }

# Types PVE treats as shared without a `shared 1` line.
my %SHARED_TYPES = map { $_ => 1 } qw(iscsi nfs cifs rbd cephfs iscsidirect zfs drbd pbs);

my %PLUGINS;       # type => class
our @LOAD_WARNINGS; # what PVE would have warned while loading plugins
our $CONFIG = { ids => {} };

# Loads every PVE/Storage/Custom/*.pm below $dir the way PVE::Storage does at startup.
sub load_custom_plugins {
    my ($dir) = @_;
    @LOAD_WARNINGS = ();
    opendir(my $dh, "$dir/PVE/Storage/Custom") or die "cannot read $dir/PVE/Storage/Custom: $!\n";
    for my $file (sort readdir($dh)) {
        next if $file !~ /^([A-Za-z0-9_]+)\.pm$/;
        my $module = "PVE::Storage::Custom::$1";
        eval {
            require "PVE/Storage/Custom/$1.pm";
            die "not derived from PVE::Storage::Plugin\n" if !$module->isa('PVE::Storage::Plugin');
            die "does not provide an api() method\n" if !$module->can('api');
            my $version = $module->api();
            if ($version > APIVER() || $version < APIVER() - APIAGE()) {
                die "incompatible - plugin API version $version, storage API version " . APIVER() . "\n";
            }
            if ($version != APIVER()) {
                push @LOAD_WARNINGS, "Plugin \"$module\" is implementing an older storage API, an upgrade is recommended";
            }
            my $type = $module->type();
            die "duplicate plugin registration (type = $type)\n" if $PLUGINS{$type};
            $PLUGINS{$type} = $module;
        };
        push @LOAD_WARNINGS, "Error loading storage plugin \"$module\": $@" if $@;
    }
    closedir($dh);
    return;
}

sub plugin_for_type {
    my ($type) = @_;
    return $PLUGINS{$type} // die "unknown storage type '$type'\n";
}

sub check_option_value {
    my ($storeid, $key, $value, $schema) = @_;
    my $type = $schema->{type} // 'string';
    if ($type eq 'integer') {
        die "storage '$storeid': $key: type check ('integer') failed - got '$value'\n" if $value !~ /^-?\d+$/;
        die "storage '$storeid': $key: value must have a minimum value of $schema->{minimum}\n"
            if defined($schema->{minimum}) && $value < $schema->{minimum};
        die "storage '$storeid': $key: value must have a maximum value of $schema->{maximum}\n"
            if defined($schema->{maximum}) && $value > $schema->{maximum};
        return $value + 0;
    }
    if ($schema->{enum} && !grep { $_ eq $value } @{ $schema->{enum} }) {
        die "storage '$storeid': $key: value '$value' does not have a value in the enumeration '"
            . join(', ', @{ $schema->{enum} }) . "'\n";
    }
    return $value;
}

# Parses storage.cfg text into { ids => { storeid => scfg } }.
sub parse_config {
    my ($text) = @_;
    my $ids = {};
    for my $section (split(/\n\s*\n/, $text)) {
        my @lines = grep { /\S/ && !/^\s*#/ } split(/\n/, $section);
        next if !@lines;
        my ($type, $storeid) = shift(@lines) =~ /^(\S+):\s*(\S+)\s*$/
            or die "invalid section header\n";
        my $class = plugin_for_type($type);
        my $properties = $class->properties();
        my $options = $class->options();
        my $scfg = { type => $type };
        for my $line (@lines) {
            my ($key, $value) = $line =~ /^\s+(\S+)(?:\s+(.*?))?\s*$/ or die "invalid line '$line'\n";
            die "storage '$storeid': unexpected property '$key'\n" if !$options->{$key};
            if ($key eq 'content') {
                $scfg->{content} = { map { $_ => 1 } split(/,/, $value) };
            } elsif ($key eq 'nodes') {
                $scfg->{nodes} = { map { $_ => 1 } split(/,/, $value) };
            } elsif ($key eq 'disable') {
                $scfg->{disable} = 1;
            } else {
                my $schema = $properties->{$key} or die "storage '$storeid': unknown property '$key'\n";
                $scfg->{$key} = check_option_value($storeid, $key, $value // '', $schema);
            }
        }
        for my $key (sort keys %$options) {
            next if $options->{$key}->{optional};
            die "storage '$storeid': missing value for required option '$key'\n" if !defined($scfg->{$key});
        }
        $scfg->{content} //= $class->plugindata()->{content}->[1];
        $scfg->{shared} = 1 if $SHARED_TYPES{$type};
        $ids->{$storeid} = $scfg;
    }
    return { ids => $ids };
}

sub config {
    return $CONFIG;
}

sub storage_config {
    my ($cfg, $storeid) = @_;
    return $cfg->{ids}->{$storeid} // die "storage '$storeid' does not exist\n";
}

sub parse_volume_id {
    my ($volid) = @_;
    return ($1, $2) if $volid =~ m/^([a-z][a-z0-9\-\_\.]*[a-z0-9]):(.+)$/i;
    die "unable to parse volume ID '$volid'\n";
}

sub plugin_of {
    my ($cfg, $storeid) = @_;
    my $scfg = storage_config($cfg, $storeid);
    return ($scfg, plugin_for_type($scfg->{type}));
}

sub activate_storage {
    my ($cfg, $storeid, $cache) = @_;
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    return if $cache && $cache->{activated}->{$storeid};
    die "storage '$storeid' is not online\n" if !$plugin->check_connection($storeid, $scfg);
    $plugin->activate_storage($storeid, $scfg, $cache);
    $cache->{activated}->{$storeid} = 1 if $cache;
    return;
}

# `pvesm status`, pvestatd: every storage's check_connection, activate_storage and status in one
# round sharing $cache. Failures are warned and the storage is reported inactive.
sub storage_info {
    my ($cfg) = @_;
    my $cache = {};
    my $info = {};
    for my $storeid (sort keys %{ $cfg->{ids} }) {
        my ($scfg, $plugin) = plugin_of($cfg, $storeid);
        $info->{$storeid} = { type => $scfg->{type}, active => 0, total => 0, avail => 0, used => 0 };
        eval { activate_storage($cfg, $storeid, $cache) };
        if ($@) {
            warn $@;
            next;
        }
        my ($total, $avail, $used, $active) = eval { $plugin->status($storeid, $scfg, $cache) };
        if ($@) {
            warn $@;
            next;
        }
        next if !$active;
        @{ $info->{$storeid} }{qw(total avail used active)} = ($total, $avail, $used, 1);
    }
    return $info;
}

sub path {
    my ($cfg, $volid, $snapname) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    return $plugin->path($scfg, $volname, $storeid, $snapname);
}

sub vdisk_alloc {
    my ($cfg, $storeid, $vmid, $fmt, $name, $size) = @_;
    die "no storage ID specified\n" if !$storeid;
    die "no VMID specified\n" if !$vmid;
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    $fmt ||= 'raw';
    activate_storage($cfg, $storeid);
    return $plugin->cluster_lock_storage($storeid, $scfg->{shared}, undef, sub {
        my $volname = $plugin->alloc_image($storeid, $scfg, $vmid, $fmt, $name, $size);
        return "$storeid:$volname";
    });
}

# Frees a volume the way PVE does: the plugin's quick part under the storage lock, the cleanup
# code it may return afterwards (PVE forks it as an 'imgdel' worker; here it runs inline).
sub vdisk_free {
    my ($cfg, $volid) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    activate_storage($cfg, $storeid);
    my $cleanup = $plugin->cluster_lock_storage($storeid, $scfg->{shared}, undef, sub {
        my (undef, $name, $vmid, undef, undef, $isBase, $format) = $plugin->parse_volname($volname);
        if ($isBase) {
            for my $info (@{ $plugin->list_images($storeid, $scfg) }) {
                my (undef, $other) = parse_volume_id($info->{volid});
                my (undef, undef, undef, $basename, $basevmid) = eval { $plugin->parse_volname($other) };
                die "base volume '$volname' is still in use by linked cloned\n"
                    if $basename && defined($basevmid) && $basevmid == $vmid && $basename eq $name;
            }
        }
        return $plugin->free_image($storeid, $scfg, $volname, $isBase, $format);
    });
    $cleanup->() if ref($cleanup) eq 'CODE';
    return;
}

sub vdisk_list {
    my ($cfg, $storeid, $vmid, $vollist) = @_;
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    activate_storage($cfg, $storeid);
    return { $storeid => $plugin->list_images($storeid, $scfg, $vmid, $vollist, {}) };
}

sub volume_list {
    my ($cfg, $storeid, $vmid, $content) = @_;
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    activate_storage($cfg, $storeid);
    return $plugin->list_volumes($storeid, $scfg, $vmid, [$content // 'images']);
}

sub activate_volumes {
    my ($cfg, $vollist, $snapname, $hints) = @_;
    my $cache = {};
    for my $volid (@$vollist) {
        my ($storeid, $volname) = parse_volume_id($volid);
        my ($scfg, $plugin) = plugin_of($cfg, $storeid);
        activate_storage($cfg, $storeid, $cache);
        $plugin->activate_volume($storeid, $scfg, $volname, $snapname, $cache, $hints);
    }
    return;
}

sub deactivate_volumes {
    my ($cfg, $vollist, $snapname) = @_;
    my $cache = {};
    my @errors;
    for my $volid (@$vollist) {
        my ($storeid, $volname) = parse_volume_id($volid);
        my ($scfg, $plugin) = plugin_of($cfg, $storeid);
        eval { $plugin->deactivate_volume($storeid, $scfg, $volname, $snapname, $cache) };
        push @errors, $@ if $@;
    }
    die "volume deactivation failed: " . join(' ', @errors) if @errors;
    return;
}

sub map_volume {
    my ($cfg, $volid, $snapname) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    return $plugin->map_volume($storeid, $scfg, $volname, $snapname);
}

sub unmap_volume {
    my ($cfg, $volid, $snapname) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    return $plugin->unmap_volume($storeid, $scfg, $volname, $snapname);
}

sub volume_size_info {
    my ($cfg, $volid, $timeout) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    return $plugin->volume_size_info($scfg, $storeid, $volname, $timeout);
}

sub volume_resize {
    my ($cfg, $volid, $size, $running, $snapname) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    return $plugin->volume_resize($scfg, $storeid, $volname, $size, $running, $snapname);
}

sub volume_has_feature {
    my ($cfg, $feature, $volid, $snap, $running, $opts) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    return $plugin->volume_has_feature($scfg, $feature, $storeid, $volname, $snap, $running, $opts);
}

sub volume_snapshot {
    my ($cfg, $volid, $snap) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    return $plugin->volume_snapshot($scfg, $storeid, $volname, $snap);
}

sub volume_rollback_is_possible {
    my ($cfg, $volid, $snap, $blockers) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    return $plugin->volume_rollback_is_possible($scfg, $storeid, $volname, $snap, $blockers);
}

sub volume_snapshot_rollback {
    my ($cfg, $volid, $snap) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    $plugin->volume_rollback_is_possible($scfg, $storeid, $volname, $snap);
    return $plugin->volume_snapshot_rollback($scfg, $storeid, $volname, $snap);
}

sub volume_snapshot_delete {
    my ($cfg, $volid, $snap, $running) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    return $plugin->volume_snapshot_delete($scfg, $storeid, $volname, $snap, $running);
}

sub volume_snapshot_info {
    my ($cfg, $volid) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    return $plugin->volume_snapshot_info($scfg, $storeid, $volname);
}

sub vdisk_create_base {
    my ($cfg, $volid) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    activate_storage($cfg, $storeid);
    return $plugin->cluster_lock_storage($storeid, $scfg->{shared}, undef, sub {
        return "$storeid:" . $plugin->create_base($storeid, $scfg, $volname);
    });
}

sub vdisk_clone {
    my ($cfg, $volid, $vmid, $snap) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    activate_storage($cfg, $storeid);
    return $plugin->cluster_lock_storage($storeid, $scfg->{shared}, undef, sub {
        return "$storeid:" . $plugin->clone_image($scfg, $storeid, $volname, $vmid, $snap);
    });
}

sub rename_volume {
    my ($cfg, $source_volid, $target_vmid, $target_volname) = @_;
    my ($storeid, $source_volname) = parse_volume_id($source_volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    activate_storage($cfg, $storeid);
    return $plugin->cluster_lock_storage($storeid, $scfg->{shared}, undef, sub {
        return $plugin->rename_volume($scfg, $storeid, $source_volname, $target_vmid, $target_volname);
    });
}

sub volume_export {
    my ($cfg, $fh, $volid, $format, $snapshot, $base_snapshot, $with_snapshots) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    return $plugin->volume_export($scfg, $storeid, $fh, $volname, $format, $snapshot, $base_snapshot,
        $with_snapshots);
}

sub volume_import {
    my ($cfg, $fh, $volid, $format, $snapshot, $base_snapshot, $with_snapshots, $allow_rename) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    return $plugin->volume_import($scfg, $storeid, $fh, $volname, $format, $snapshot, $base_snapshot,
        $with_snapshots, $allow_rename);
}

sub volume_export_formats {
    my ($cfg, $volid, $snapshot, $base_snapshot, $with_snapshots) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    return $plugin->volume_export_formats($scfg, $storeid, $volname, $snapshot, $base_snapshot,
        $with_snapshots);
}

sub qemu_blockdev_options {
    my ($cfg, $volid, $machine_version, $options) = @_;
    my ($storeid, $volname) = parse_volume_id($volid);
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    return $plugin->qemu_blockdev_options($scfg, $storeid, $volname, $machine_version, $options // {});
}

sub get_identity {
    my ($cfg, $storeid) = @_;
    my ($scfg, $plugin) = plugin_of($cfg, $storeid);
    return $plugin->get_identity($scfg, $storeid);
}

1;
