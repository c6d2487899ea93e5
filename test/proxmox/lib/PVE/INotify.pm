package PVE::INotify;

# Test double of pve-common's PVE::INotify: the node name. The harness switches it to act as
# another cluster node (PVE reads it from /etc/hostname once per process).

use strict;
use warnings;

our $NODENAME = 'pve1';

sub nodename {
    return $NODENAME;
}

1;
