"""The systemd units shipped for the cinder bridge agree with the driver's defaults and the install
steps in packages/cinder/README.md."""

import configparser
import os
import shlex
import unittest

import harness
from linstor_hv_cinder import linstordrv

SYSTEMD = os.path.join(harness.ROOT, 'packages', 'cinder', 'systemd')


def unit(name):
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive in systemd
    with open(os.path.join(SYSTEMD, name)) as f:
        parser.read_file(f)
    return parser


def default(option):
    return next(o.default for o in linstordrv.linstor_opts if o.name == option)


class Units(unittest.TestCase):
    def setUp(self):
        self.socket = unit('linstor-hv-cinder.socket')
        self.service = unit('linstor-hv-cinder.service')

    def test_socket_path_is_the_drivers_default(self):
        self.assertEqual(linstordrv.DEFAULT_SOCKET, self.socket['Socket']['ListenStream'])
        self.assertEqual(default('linstor_hv_socket'), self.socket['Socket']['ListenStream'])
        self.assertEqual('/run/linstor-hv-cinder/cinder.sock', self.socket['Socket']['ListenStream'])

    def test_the_cinder_user_runs_the_bridge_and_alone_may_connect(self):
        self.assertEqual('cinder', self.service['Service']['User'])
        self.assertEqual('cinder', self.socket['Socket']['SocketUser'])
        self.assertEqual('0600', self.socket['Socket']['SocketMode'])
        # The bridge's rules (issue 9): the socket in a 0700 directory owned by the service user,
        # made so before systemd binds the socket in it.
        directory = os.path.dirname(self.socket['Socket']['ListenStream'])
        self.assertEqual('0700', self.socket['Socket']['DirectoryMode'])
        self.assertEqual(['/usr/bin/install', '-d', '-m', '0700', '-o', 'cinder', '-g', 'cinder', directory],
                         shlex.split(self.socket['Socket']['ExecStartPre']))

    def test_no_other_bridge_shares_the_socket_directory(self):
        # A PVE node can be a Cinder volume node too: the Proxmox bridge's directory is root's
        # (0700), so cinder-volume could not reach a socket in it, and each bridge needs its own.
        directory = os.path.dirname(self.socket['Socket']['ListenStream'])
        packages = os.path.join(harness.ROOT, 'packages')
        others = [os.path.join(packages, p, 'systemd', f) for p in sorted(os.listdir(packages)) if p != 'cinder'
                  if os.path.isdir(os.path.join(packages, p, 'systemd'))
                  for f in sorted(os.listdir(os.path.join(packages, p, 'systemd'))) if f.endswith('.socket')]
        self.assertTrue(any('proxmox' in path for path in others), others)
        for path in others:
            parser = configparser.ConfigParser(interpolation=None, strict=False)
            parser.optionxform = str
            with open(path) as f:
                parser.read_file(f)
            theirs = os.path.dirname(parser['Socket']['ListenStream'])
            self.assertFalse(theirs == directory or theirs.startswith(directory + '/')
                             or directory.startswith(theirs + '/'), '%s shares %s' % (path, directory))

    def test_the_service_runs_the_drivers_command_as_a_cinder_bridge(self):
        argv = shlex.split(self.service['Service']['ExecStart'])
        self.assertIn(default('linstor_hv_command'), argv)
        at = argv.index(default('linstor_hv_command'))
        # Socket-activated: no --socket, the platform the driver checks at do_setup.
        self.assertEqual(['bridge', '--platform', 'cinder'], argv[at + 1:])
        self.assertEqual('linstor-hv-cinder.socket', self.service['Unit']['Requires'])
        # Image files the driver downloads into its temporary directory must be visible to the bridge.
        self.assertNotEqual('yes', self.service['Service'].get('PrivateTmp', 'no'))

    def test_the_readme_installs_and_enables_both_units(self):
        with open(os.path.join(harness.ROOT, 'packages', 'cinder', 'README.md')) as f:
            readme = f.read()
        for name in ('systemd/linstor-hv-cinder.socket', 'systemd/linstor-hv-cinder.service',
                     'systemctl enable --now linstor-hv-cinder.socket', linstordrv.DEFAULT_SOCKET):
            self.assertIn(name, readme)


if __name__ == '__main__':
    unittest.main()


class ExceptionMap(unittest.TestCase):
    """The names packages/cinder/test/parity.test.ts compares are real Cinder exceptions that carry
    LINSTOR's message."""

    def test_every_mapped_exception_exists_and_keeps_the_message(self):
        from cinder import exception
        from linstor_hv_cinder import bridge
        cases = [(code, None) for code in linstordrv.EXCEPTION_BY_CODE] + \
                [(None, kind) for kind in linstordrv.EXCEPTION_BY_KIND] + [(None, 'linstor')]
        for code, kind in cases:
            error = bridge.BridgeError('create_volume', bridge.OPERATION_FAILED, 'LINSTOR said no.',
                                       {'code': code, 'kind': kind})
            raised = linstordrv._cinder_exception(error)
            expected = linstordrv.EXCEPTION_BY_CODE.get(code) or linstordrv.EXCEPTION_BY_KIND.get(
                kind, 'VolumeBackendAPIException')
            self.assertIs(getattr(exception, expected), type(raised))
            self.assertIn('LINSTOR said no.', str(raised))
