#!/usr/bin/env python3
"""LINSTOR's own clients against the emulator.

Starts the emulator (three nodes) and drives it with LINBIT's python-linstor library and the
`linstor` command-line client, unmodified, through their public interfaces. Neither is packaged
by Debian or reachable from here; the suite finds checkouts through LINSTOR_PY_CLIENTS (see
README.md). Without them every test is reported skipped, with one line saying why.

Prints a last line `python-linstor-clients: N passed, N failed, N skipped` that
test/run-all.mjs adds to the monorepo's total.
"""
import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import clients  # noqa: E402  (test-local helper module)


def main():
    why = clients.unavailable_reason()
    if why:
        print("linstor-clients: skipped: " + why)
    loader = unittest.TestLoader()
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    emulator = None
    try:
        if not why:
            emulator = clients.start_emulator(ROOT)
        runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2)
        result = runner.run(suite)
    finally:
        if emulator:
            emulator.stop()
    skipped = len(result.skipped)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - skipped - failed
    print("python-linstor-clients: {} passed, {} failed, {} skipped".format(passed, failed, skipped))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
