# Licensed under the Apache License, Version 2.0.
"""A small client of the linstor-hv bridge: JSON-RPC 2.0, one JSON object per line, on a Unix socket.

Standard library only, so it runs inside cinder-volume's eventlet-patched interpreter (the socket
module is green there). Every call opens its own connection, sends one line and reads one line,
which keeps concurrent green threads apart without locks and survives a bridge restart.

When no bridge answers (no socket, connection refused, the bridge is stopping) nothing has started,
so the call runs once through the one-shot command (`linstor-hv cinder`, the same request and reply
lines on stdin/stdout); the log says so once per outage. A call whose reply was lost may have done
its work: it is sent again only when the method is safe to repeat (core's verbs reconcile a repeat);
otherwise the caller is told to check the volume.
"""

import errno
import itertools
import json
import os
import socket
import subprocess
import time

PROTOCOL = 1
# JSON-RPC codes of the bridge contract.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
OPERATION_FAILED = -32000
DEADLINE_EXCEEDED = -32001
SHUTTING_DOWN = -32002

# Errors of connect(): no bridge listens, nothing was sent.
_NO_BRIDGE_ERRNOS = (errno.ENOENT, errno.ECONNREFUSED, errno.EAGAIN)
_MAX_LINE = 64 * 1024 * 1024

# Errors after the request went out: the reply is lost, the call may have run.
_LOST_ERRNOS = (errno.ECONNRESET, errno.EPIPE)
# Methods whose repeat after a lost reply is not the same as one call: a second rollback would
# throw away what was written after the first.
NOT_SAFE_TO_REPEAT = frozenset(['revert_to_snapshot'])


class BridgeError(Exception):
    """The bridge answered with a JSON-RPC error; `data` carries code, kind and LINSTOR's ids."""

    def __init__(self, method, rpc_code, message, data=None):
        super().__init__(message)
        self.method = method
        self.rpc_code = rpc_code
        self.message = message
        self.data = data or {}

    @property
    def code(self):
        """The stable string code (`VOLUME_…`, `LINSTOR_…`, `CINDER_…`), when the bridge sent one."""
        return self.data.get('code')

    @property
    def kind(self):
        """Core's error kind (`in-use`, `not-found`, …), when the bridge sent one."""
        return self.data.get('kind')


class BridgeUnavailable(Exception):
    """No bridge answered on the socket within the call's time."""


class BridgeClient(object):
    """Calls methods of `linstor-hv bridge --platform cinder` on `socket_path`, falling back to
    `<command> cinder` (one process per call) while no bridge answers."""

    _ids = itertools.count(1)

    def __init__(self, socket_path, timeout_s=60.0, reconnect_s=30.0, command=None, log=None):
        self.socket_path = socket_path
        self.timeout_s = float(timeout_s)
        self.reconnect_s = float(reconnect_s)
        self.command = command
        self.log = log
        self._outage = False

    def call(self, method, params, timeout_s=None):
        """Sends one call and returns its result, or raises BridgeError / BridgeUnavailable."""
        budget = self.timeout_s if timeout_s is None else float(timeout_s)
        give_up = time.monotonic() + max(budget, self.reconnect_s)
        delay = 0.05
        while True:
            remaining = give_up - time.monotonic()
            timeout = max(1.0, min(budget, remaining))
            try:
                result = self._exchange(method, params, timeout)
                self._bridge_back()
                return result
            except BridgeError as error:
                # Refused before anything started: the bridge is stopping.
                if error.rpc_code != SHUTTING_DOWN:
                    raise
                if self._can_run_here(method):
                    return self._one_shot(method, params, timeout, 'it is shutting down')
                if remaining <= delay:
                    raise
            except _NotConnected as error:
                if self._can_run_here(method):
                    return self._one_shot(method, params, timeout, _describe(error.cause))
                if remaining <= delay:
                    raise BridgeUnavailable(
                        'The linstor-hv bridge on %s did not answer %s: %s'
                        % (self.socket_path, method, _describe(error.cause))) from error.cause
            except (OSError, _ConnectionLost) as error:
                lost = isinstance(error, _ConnectionLost) or getattr(error, 'errno', None) in _LOST_ERRNOS
                if not lost or method in NOT_SAFE_TO_REPEAT or remaining <= delay:
                    raise BridgeUnavailable(
                        'The linstor-hv bridge on %s lost the reply to %s (%s); it may have run, and '
                        '%s is not repeated on its own: check the volume before trying again'
                        % (self.socket_path, method, _describe(error), method)
                        if method in NOT_SAFE_TO_REPEAT else
                        'The linstor-hv bridge on %s did not answer %s: %s'
                        % (self.socket_path, method, _describe(error))) from error
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def _can_run_here(self, method):
        return bool(self.command) and not method.startswith('bridge.')

    def _bridge_back(self):
        if self._outage:
            self._outage = False
            self._say('The linstor-hv bridge on %s answers again; calls go to it.' % self.socket_path)

    def _say(self, text):
        if self.log is not None:
            self.log(text)

    def _one_shot(self, method, params, timeout_s, why):
        """Runs the call in a process of its own (`<command> cinder`): same request, same reply."""
        if not self._outage:
            self._outage = True
            self._say('The linstor-hv bridge on %s does not answer (%s); running calls one at a time '
                      'with %s cinder until it is back.' % (self.socket_path, why, self.command))
        request_id = next(self._ids)
        line = _request_line(request_id, method, params, timeout_s)
        try:
            done = subprocess.run([self.command, 'cinder'], input=line, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, timeout=timeout_s + 10.0, close_fds=True)
        except (OSError, subprocess.SubprocessError) as error:
            raise BridgeUnavailable('Neither the linstor-hv bridge on %s nor %s cinder could run %s: %s'
                                    % (self.socket_path, self.command, method, _describe(error))) from error
        reply = done.stdout.strip().split(b'\n')[-1] if done.stdout.strip() else b''
        if not reply:
            raise BridgeUnavailable('%s cinder answered %s with nothing (exit %s): %s'
                                    % (self.command, method, done.returncode,
                                       done.stderr.decode('utf-8', 'replace').strip()[-500:]))
        return _parse_reply(method, request_id, reply)

    def _exchange(self, method, params, timeout_s):
        request_id = next(self._ids)
        line = _request_line(request_id, method, params, timeout_s)
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            # A little more than the bridge's own deadline, so its deadline reply arrives first.
            conn.settimeout(timeout_s + 5.0)
            try:
                conn.connect(self.socket_path)
            except OSError as error:
                if getattr(error, 'errno', None) in _NO_BRIDGE_ERRNOS:
                    raise _NotConnected(error)
                raise
            conn.sendall(line)
            reply = _read_line(conn)
        finally:
            conn.close()
        return _parse_reply(method, request_id, reply)

    def hello(self, timeout_s=5.0):
        """`bridge.hello`: name, version, platform, protocol and methods of the running bridge."""
        return self.call('bridge.hello', {}, timeout_s=timeout_s)


def _request_line(request_id, method, params, timeout_s):
    return json.dumps({
        'jsonrpc': '2.0', 'id': request_id, 'method': method,
        'params': params, 'deadlineMs': int(timeout_s * 1000),
    }, separators=(',', ':')).encode('utf-8') + b'\n'


def _parse_reply(method, request_id, reply):
    try:
        message = json.loads(reply.decode('utf-8'))
    except ValueError as error:
        raise BridgeError(method, PARSE_ERROR, 'The bridge sent a reply that is not JSON: %s' % error)
    if message.get('id') != request_id:
        raise BridgeError(method, INVALID_REQUEST, 'The bridge answered another request (id %r).'
                          % message.get('id'))
    if 'error' in message:
        error = message['error'] or {}
        raise BridgeError(method, error.get('code', INTERNAL_ERROR),
                          error.get('message') or 'the bridge reported an error without a message',
                          error.get('data'))
    return message.get('result')


class _NotConnected(Exception):
    """connect() found no bridge: nothing was sent."""

    def __init__(self, cause):
        super().__init__(str(cause))
        self.cause = cause


class _ConnectionLost(Exception):
    pass


def _read_line(conn):
    chunks = []
    size = 0
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            raise _ConnectionLost('the bridge closed the connection before it replied')
        newline = chunk.find(b'\n')
        if newline >= 0:
            chunks.append(chunk[:newline])
            return b''.join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > _MAX_LINE:
            raise BridgeError('', INVALID_REQUEST, 'The bridge reply is larger than %d bytes.' % _MAX_LINE)


def _describe(error):
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or error.__class__.__name__


def start_bridge(command, socket_path, log_path=None):
    """Starts `<command> bridge --platform cinder --socket <path>` as this process's user, detached.

    The bridge keeps running after cinder-volume exits (systemd units are the usual way to run it;
    this is for operators who asked the driver to start it)."""
    directory = os.path.dirname(socket_path)
    if directory:
        os.makedirs(directory, mode=0o700, exist_ok=True)
    out = open(log_path or os.devnull, 'ab')
    try:
        return subprocess.Popen(
            [command, 'bridge', '--platform', 'cinder', '--socket', socket_path],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, close_fds=True,
            start_new_session=True)
    finally:
        out.close()
