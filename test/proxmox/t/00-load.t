#!/usr/bin/perl -T
# The module loads through PVE's custom-plugin loader, reports the API version the way
# linstor-proxmox does, and its storage.cfg options parse with PVE's section rules.
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

use Test::More;
use PVE::Storage;
use PVE::Storage::Plugin;

my $perl_dir = "$lib/../../packages/proxmox/perl";
PVE::Storage::load_custom_plugins($perl_dir);
is_deeply(\@PVE::Storage::LOAD_WARNINGS, [], 'loads on PVE 9.1 (APIVER 15) without any warning');
my $plugin = PVE::Storage::plugin_for_type('drbd');
is($plugin, 'PVE::Storage::Custom::LINSTORPlugin', 'registers the drbd type under linstor-proxmox\'s package name');
ok($plugin->isa('PVE::Storage::Plugin'), 'is a PVE::Storage::Plugin');

# APIVER handling: PVE's own version while it is not newer than the tested 15, 15 while a newer
# PVE still accepts it (APIVER - APIAGE <= 15), else 3.
my @cases = (
    [15, 6, 15, 'PVE 9.1 (15/6)'],
    [12, 3, 12, 'older PVE (12/3) gets its own version'],
    [2, 0, 2, 'oldest accepted version'],
    [17, 4, 15, 'newer PVE whose APIAGE window includes 15'],
    [21, 6, 15, 'newer PVE whose window starts exactly at 15'],
    [22, 6, 3, 'far newer PVE: 3'],
);
for my $case (@cases) {
    my ($apiver, $apiage, $expected, $what) = @$case;
    local $PVE::Storage::APIVER_VALUE = $apiver;
    local $PVE::Storage::APIAGE_VALUE = $apiage;
    is($plugin->api(), $expected, "api(): $what");
}

my $cfg = PVE::Storage::parse_config(<<'CFG');
drbd: drbdstorage
	resourcegroup linstor-hv
	controller ctrl-a,https://ctrl-b:3371
	content images,rootdir
	statuscache 30
	preferlocal no
	clusterlocktimeout 40
	searchdomain example.org
CFG
my $scfg = $cfg->{ids}->{drbdstorage};
is($scfg->{shared}, 1, 'drbd sections are shared without a shared line');
is_deeply($scfg->{content}, { images => 1, rootdir => 1 }, 'content parsed');
is($scfg->{statuscache}, 30, 'statuscache is an integer');
is($scfg->{controller}, 'ctrl-a,https://ctrl-b:3371', 'controller list with a full URL is accepted');

my $defaults = PVE::Storage::parse_config("drbd: minimal\n\tresourcegroup rg1\n")->{ids}->{minimal};
is_deeply($defaults->{content}, { images => 1 }, 'default content is images');

eval { PVE::Storage::parse_config("drbd: x1\n\tcontroller c1\n") };
like($@, qr/missing value for required option 'resourcegroup'/, 'resourcegroup is required');
eval { PVE::Storage::parse_config("drbd: x1\n\tresourcegroup rg\n\tpreferlocal maybe\n") };
like($@, qr/preferlocal: value 'maybe' does not have a value in the enumeration 'yes, no'/,
    'preferlocal takes yes or no');
eval { PVE::Storage::parse_config("drbd: x1\n\tresourcegroup rg\n\tstatuscache 9000\n") };
like($@, qr/statuscache: value must have a maximum value of 7200/, 'statuscache is bounded like linstor-proxmox');
eval { PVE::Storage::parse_config("drbd: x1\n\tresourcegroup rg\n\tredundancy 2\n") };
like($@, qr/unexpected property 'redundancy'/, 'the removed redundancy option is refused');

my $properties = $plugin->properties();
my %defaults = map { $_ => $properties->{$_}->{default} } grep { defined $properties->{$_}->{default} } keys %$properties;
is_deeply(\%defaults, {
    controller => 'localhost', resourcegroup => 'drbdgrp', preferlocal => 'yes', statuscache => 60,
    exactsize => 'no', allowtwoprimaries => 'yes', clusterlocktimeout => 0,
}, 'defaults are linstor-proxmox\'s');
is_deeply($plugin->plugindata()->{'sensitive-properties'}, { apitoken => 1 }, 'the token is a sensitive property');

done_testing();
