package PVE::Tools;

# Test double of pve-common's PVE::Tools: only what the drbd plugin imports. run_command keeps the
# behaviour callers depend on: an argv array is exec'd without a shell (so taint checks apply),
# `input` is written to stdin (or `<&N` hands over a file descriptor), `output => '>&N'` sends
# stdout to a descriptor, `outfunc`/`errfunc` get one line at a time without the newline, `timeout`
# kills the command and dies "command '...' failed: got timeout", a non-zero exit dies
# "command '...' failed: exit code N" unless `noerr`, and the exit code is returned.

use strict;
use warnings;

use Exporter qw(import);
use Fcntl qw(O_WRONLY O_CREAT O_TRUNC);
use IO::Select;
use IPC::Open3 qw(open3);
use POSIX ();
use Symbol qw(gensym);

our @EXPORT_OK = qw(run_command file_set_contents file_get_contents);

my %KNOWN_PARAM = map { $_ => 1 } qw(timeout input output outfunc errfunc noerr errmsg quiet keeplocale);

sub command_string {
    my ($cmd) = @_;
    return join(' ', map { /^[A-Za-z0-9_=+:,.\/-]+$/ ? $_ : "'$_'" } @$cmd);
}

# Hands complete lines to $func and keeps the unfinished rest in $$pending.
sub deliver_lines {
    my ($pending, $chunk, $func) = @_;
    $$pending .= $chunk;
    while ($$pending =~ s/^([^\n]*)\n//) {
        $func->($1);
    }
    return;
}

sub run_command {
    my ($cmd, %param) = @_;
    for my $key (keys %param) {
        die "got unknown parameter '$key' for run_command\n" if !$KNOWN_PARAM{$key};
    }
    $cmd = [$cmd] if !ref($cmd);
    my $cmdstr = command_string($cmd);
    my ($timeout, $input, $output) = @param{qw(timeout input output)};

    my $pid;
    my $exitcode = -1;
    my $previous_alarm = alarm(0);
    my $result = eval {
        my $stdin = defined($input) && $input =~ /^<&/ ? $input : gensym();
        my $stdout = defined($output) && $output =~ /^>&/ ? $output : gensym();
        my $stderr = gensym();
        {
            local $ENV{LC_ALL} = 'C' if !$param{keeplocale};
            $pid = open3($stdin, $stdout, $stderr, @$cmd);
        }
        local $SIG{ALRM} = sub { die "got timeout\n" };
        alarm($timeout) if $timeout;

        if (ref($stdin)) {
            local $SIG{PIPE} = 'IGNORE';
            print {$stdin} $input if defined($input);
            close($stdin);
        }

        my $select = IO::Select->new();
        $select->add($stdout) if ref($stdout);
        $select->add($stderr);
        my ($out_pending, $err_pending) = ('', '');
        while ($select->count()) {
            for my $handle ($select->can_read(1)) {
                my $count = sysread($handle, my $buffer, 65536);
                die "reading command output failed: $!\n" if !defined($count);
                if ($count == 0) {
                    $select->remove($handle);
                    next;
                }
                my $is_stdout = ref($stdout) && $handle == $stdout;
                my $func = $is_stdout ? $param{outfunc} : $param{errfunc};
                if ($func) {
                    deliver_lines($is_stdout ? \$out_pending : \$err_pending, $buffer, $func);
                } elsif (!$param{quiet}) {
                    print {$is_stdout ? \*STDOUT : \*STDERR} $buffer;
                }
            }
        }
        $param{outfunc}->($out_pending) if $param{outfunc} && $out_pending ne '';
        $param{errfunc}->($err_pending) if $param{errfunc} && $err_pending ne '';

        waitpid($pid, 0);
        alarm(0);
        die "got signal " . ($? & 127) . "\n" if $? & 127;
        $exitcode = $? >> 8;
        die "exit code $exitcode\n" if $exitcode;
        1;
    };
    my $err = $@;
    alarm(0);
    if (!$result && $pid && $err eq "got timeout\n") {
        kill('KILL', $pid);
        waitpid($pid, 0);
        alarm($previous_alarm) if $previous_alarm;
        die "command '$cmdstr' failed: $err";
    }
    alarm($previous_alarm) if $previous_alarm;
    if (!$result) {
        die "$param{errmsg}: $err" if $param{errmsg};
        die "command '$cmdstr' failed: $err" if !$param{noerr};
    }
    return $exitcode;
}

# Writes a file atomically (temporary file + rename), as pve-common does.
sub file_set_contents {
    my ($filename, $data, $perm) = @_;
    $perm //= 0644;
    my $tmp = "$filename.tmp.$$";
    sysopen(my $fh, $tmp, O_WRONLY | O_CREAT | O_TRUNC, $perm) or die "unable to open file '$tmp' - $!\n";
    print {$fh} $data or die "unable to write '$tmp' - $!\n";
    close($fh) or die "unable to close '$tmp' - $!\n";
    chmod($perm, $tmp);
    rename($tmp, $filename) or die "unable to rename '$tmp' to '$filename' - $!\n";
    return;
}

sub file_get_contents {
    my ($filename) = @_;
    open(my $fh, '<', $filename) or die "unable to open file '$filename' - $!\n";
    local $/;
    my $content = <$fh>;
    close($fh);
    return $content;
}

1;
