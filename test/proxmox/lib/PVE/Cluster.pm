package PVE::Cluster;

# Test double of pve-cluster's cfs_lock_storage. Like pmxcfs locks it is a directory that only one
# holder can create. Acquiring waits up to $timeout seconds (10 by default) and then fails with
# "cfs-lock 'storage-<id>' error: got lock request timeout"; the locked code gets a hard 60 s alarm
# ("'storage-<id>'-locked command timed out - aborting"). Errors of the locked code itself pass
# through unchanged. The result is returned and errors are left in $@, as the real function does.

use strict;
use warnings;

use Time::HiRes qw(time);

# The harness points this at its own directory.
our $LOCK_DIR;
# PVE's fixed alarm for locked code; tests may lower it to exercise the abort.
our $LOCKED_COMMAND_TIMEOUT = 60;

sub cfs_lock_storage {
    my ($storeid, $timeout, $code, @param) = @_;
    die "PVE::Cluster::LOCK_DIR is not set\n" if !defined($LOCK_DIR);
    my $lockid = "storage-$storeid";
    my $lock = "$LOCK_DIR/$lockid";
    $timeout = 10 if !$timeout;

    my $previous_alarm = alarm(0);
    my ($result, $got_lock, $in_code);
    eval {
        my $deadline = time() + $timeout;
        while (!($got_lock = mkdir($lock))) {
            die "got lock request timeout\n" if time() >= $deadline;
            select(undef, undef, undef, 0.1);
        }
        local $SIG{ALRM} = sub { die "'$lockid'-locked command timed out - aborting\n" };
        alarm($LOCKED_COMMAND_TIMEOUT);
        $in_code = 1;
        $result = $code->(@param);
        alarm(0);
    };
    my $err = $@;
    alarm(0);
    rmdir($lock) if $got_lock;
    alarm($previous_alarm) if $previous_alarm;
    if ($err) {
        $@ = $in_code ? $err : "cfs-lock '$lockid' error: $err";
        return undef;
    }
    $@ = undef;
    return $result;
}

1;
