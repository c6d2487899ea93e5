package ProxmoxBench;

# What the Proxmox benchmarks (proxmox-methods.bench.pl, proxmox-bridge.bench.pl) share: other
# guests' disks to measure against, percentiles, millisecond formatting, and writing one section of
# test/bench/RESULTS.md.

use strict;
use warnings;

use Exporter qw(import);
use HTTP::Tiny;
use JSON::PP;
use POSIX ();

our @EXPORT_OK = qw(populate percentile fmt_ms write_results_section load_average);

# Spawns resource definitions vm-<10000+n>-disk-0 for n in $from .. $to - 1 (other guests' disks:
# definitions only, with Aux/pm/vmid, as on a large PVE cluster), from $parallel processes.
sub populate {
    my ($url, $from, $to, $parallel) = @_;
    return if $to <= $from;
    $parallel //= 4;
    my $per_child = POSIX::ceil(($to - $from) / $parallel);
    my @children;
    for my $child (0 .. $parallel - 1) {
        my $first = $from + $child * $per_child;
        my $last = $first + $per_child - 1;
        $last = $to - 1 if $last > $to - 1;
        next if $first > $last;
        my $pid = fork() // die "fork: $!\n";
        if (!$pid) {
            my $http = HTTP::Tiny->new(keep_alive => 1, timeout => 120);
            for my $n ($first .. $last) {
                my $body = JSON::PP->new->encode({
                    resource_definition_name => sprintf('vm-%d-disk-0', 10000 + $n),
                    volume_sizes => [1024],
                    definitions_only => JSON::PP::true,
                    resource_definition_props => { 'Aux/pm/vmid' => '' . (10000 + $n) },
                });
                my $r = $http->post("$url/v1/resource-groups/linstor-hv/spawn",
                    { content => $body, headers => { 'Content-Type' => 'application/json' } });
                POSIX::_exit(1) if !$r->{success};
            }
            POSIX::_exit(0);
        }
        push @children, $pid;
    }
    for my $pid (@children) {
        waitpid($pid, 0);
        die "populating failed\n" if $?;
    }
    return;
}

# The $p-th percentile (nearest rank) of an ascending list.
sub percentile {
    my ($sorted, $p) = @_;
    my $index = POSIX::ceil($p / 100 * @$sorted) - 1;
    return $sorted->[$index < 0 ? 0 : $index];
}

sub fmt_ms {
    my ($ms) = @_;
    return $ms >= 100 ? sprintf('%.0f ms', $ms) : $ms >= 1 ? sprintf('%.1f ms', $ms) : sprintf('%.3f ms', $ms);
}

# The 1-minute load average, to print beside every figure (the machine is shared).
sub load_average {
    open(my $fh, '<', '/proc/loadavg') or return '?';
    my ($one) = split(/\s+/, scalar(<$fh>) // '');
    return $one // '?';
}

# Replaces the section headed "## $heading" of $file with $section (appends it when absent).
sub write_results_section {
    my ($file, $heading, $section) = @_;
    open(my $in, '<', $file) or die "$file: $!\n";
    my $text = do { local $/; <$in> };
    close($in);
    if ($text =~ /^## \Q$heading\E\n/m) {
        $text =~ s/^## \Q$heading\E\n.*?(?=^## |\z)/$section\n/ms;
    } else {
        $text =~ s/\n*\z/\n\n$section/;
    }
    $text =~ s/\n+\z/\n/;
    open(my $out, '>', $file) or die "$file: $!\n";
    print {$out} $text;
    close($out);
    return;
}

1;
