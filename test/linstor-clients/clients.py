"""Shared helpers of the LINSTOR-clients suite: where the clients are, the emulator process, and
calls of the `linstor` command-line client and of the emulator's test control API.

LINSTOR_PY_CLIENTS names a directory holding two checkouts, never part of this repository:
  linstor-api-py/   LINBIT/linstor-api-py with its generated linstor/sharedconsts.py
                    (`make -C linstor-common python` after copying LINBIT/linstor-common there)
  linstor-client/   LINBIT/linstor-client
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.request

CLIENTS_ENV = "LINSTOR_PY_CLIENTS"
HOW_TO_GET = (
    "set {} to a directory with checkouts of LINBIT/linstor-api-py (with linstor/sharedconsts.py "
    "generated from LINBIT/linstor-common) and LINBIT/linstor-client; see test/linstor-clients/README.md"
).format(CLIENTS_ENV)

_state = {"url": None}


def _paths():
    base = os.environ.get(CLIENTS_ENV, "")
    return os.path.join(base, "linstor-api-py"), os.path.join(base, "linstor-client")


def unavailable_reason():
    """Why the suite cannot run here, or None when it can."""
    if not os.environ.get(CLIENTS_ENV):
        return "{} is not set: {}".format(CLIENTS_ENV, HOW_TO_GET)
    api, cli = _paths()
    if not os.path.isfile(os.path.join(api, "linstor", "sharedconsts.py")):
        return "no {}/linstor/sharedconsts.py: {}".format(api, HOW_TO_GET)
    if not os.path.isfile(os.path.join(cli, "scripts", "linstor")):
        return "no {}/scripts/linstor: {}".format(cli, HOW_TO_GET)
    return None


def needs_clients(cls):
    """Class decorator: skip the tests (counted as skipped) when the clients are not there."""
    why = unavailable_reason()
    if why:
        return unittest.skip(why)(cls)
    api, cli = _paths()
    for path in (api, cli):
        if path not in sys.path:
            sys.path.insert(0, path)
    return cls


class Emulator:
    def __init__(self, proc, url, data_dir):
        self.proc = proc
        self.url = url
        self.data_dir = data_dir

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.data_dir, ignore_errors=True)


def start_emulator(root):
    """Starts the bundled emulator on an ephemeral port with the three-node cluster."""
    bundle = os.path.join(root, "packages", "emulator", "dist", "emulator.mjs")
    if not os.path.isfile(bundle):
        raise RuntimeError("emulator bundle {} is missing: run `pnpm build` first".format(bundle))
    data_dir = tempfile.mkdtemp(prefix="linstor-clients-")
    proc = subprocess.Popen(
        ["node", bundle, "serve", "--cluster", "three-node", "--listen", "http://127.0.0.1:0",
         "--data-dir", data_dir],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise RuntimeError("the emulator did not start")
    url = json.loads(line)["urls"][0]
    _state["url"] = url
    return Emulator(proc, url, data_dir)


def url():
    """The emulator's URL (http://127.0.0.1:PORT)."""
    return _state["url"]


def control(method, path):
    """Calls the emulator's test control API (acting as the network or the hypervisor)."""
    req = urllib.request.Request(url() + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read() or b"null")


def rest(method, path, body=None):
    """A raw REST call, to check what the clients leave out (status, JSON)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url() + path, method=method, data=data,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def cli(*args, check=True):
    """Runs the `linstor` command-line client (machine-readable output) and returns (rc, parsed JSON or text)."""
    api, cli_dir = _paths()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([cli_dir, api])
    env.pop("LS_CONTROLLERS", None)
    cmd = [sys.executable, os.path.join(cli_dir, "scripts", "linstor"), "--disable-config",
           "--controllers", url(), "-m", "--output-version", "v1"] + list(args)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    out = proc.stdout.strip()
    try:
        parsed = json.loads(out) if out else None
    except ValueError:
        parsed = out
    if check and proc.returncode != 0:
        raise AssertionError("linstor {} exited {}: {}{}".format(" ".join(args), proc.returncode, out, proc.stderr))
    return proc.returncode, parsed
