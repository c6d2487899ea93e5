package PVE::Storage::Plugin;

# Test double of pve-storage's base class, reduced to what a block-storage plugin inherits and PVE
# calls: the storage lock, path() delegating to filesystem_path(), list_volumes() built on
# list_images(), and the defaults the drbd plugin does not override. Written from the method
# contracts in pve-storage 9.1 (APIVER 15).

use strict;
use warnings;

use Fcntl qw(:flock);

use PVE::Cluster;

# Where non-shared storages take their node-local lock (PVE: /var/lock/pve-manager).
our $LOCAL_LOCK_DIR;

sub cluster_lock_storage {
    my ($class, $storeid, $shared, $timeout, $func, @param) = @_;
    if ($shared) {
        my $result = PVE::Cluster::cfs_lock_storage($storeid, $timeout, $func, @param);
        die $@ if $@;
        return $result;
    }
    die "PVE::Storage::Plugin::LOCAL_LOCK_DIR is not set\n" if !defined($LOCAL_LOCK_DIR);
    open(my $lock, '>>', "$LOCAL_LOCK_DIR/pve-storage-$storeid") or die "can't open lock - $!\n";
    flock($lock, LOCK_EX) or die "can't lock - $!\n";
    my $result = eval { $func->(@param) };
    my $err = $@;
    close($lock);
    die $err if $err;
    return $result;
}

sub path {
    my ($class, $scfg, $volname, $storeid, $snapname) = @_;
    return $class->filesystem_path($scfg, $volname, $snapname);
}

sub list_volumes {
    my ($class, $storeid, $scfg, $vmid, $content_types) = @_;
    my %wanted = map { $_ => 1 } @$content_types;
    return [] if !$wanted{images} && !$wanted{rootdir};
    my $images = $class->list_images($storeid, $scfg, $vmid);
    return [map { { %$_, content => 'images' } } @$images];
}

sub volume_snapshot_needs_fsfreeze {
    return 0;
}

sub get_volume_attribute {
    return undef;
}

sub update_volume_attribute {
    my ($class, $scfg, $storeid, $volname, $attribute, $value) = @_;
    die "attribute '$attribute' is not supported for storage type '$scfg->{type}'\n";
}

1;
