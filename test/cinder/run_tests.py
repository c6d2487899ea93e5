#!/usr/bin/env python3
"""Runs the Cinder driver suite inside Debian's python3-cinder and prints one summary line:
    python-unittest: N passed, N failed, N skipped
test/run-all.mjs adds it to the monorepo's total. Cinder is installed for the system interpreter
(/usr/bin/python3), which may not be the first python3 on PATH; this script re-runs itself there."""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, '..', '..'))
SYSTEM_PYTHON = '/usr/bin/python3'


def main():
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    try:
        import cinder  # noqa: F401
    except ImportError:
        if os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and os.path.exists(SYSTEM_PYTHON):
            os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, '-B'] + sys.argv)
        print('python3-cinder is not installed (apt-get install python3-cinder; .ci/setup does it)')
        print('python-unittest: 0 passed, 1 failed, 0 skipped')
        return 1
    sys.path[:0] = [os.path.join(ROOT, 'packages', 'cinder', 'python'), HERE]
    suite = unittest.defaultTestLoader.discover(HERE, pattern='test_*.py', top_level_dir=HERE)
    total = suite.countTestCases()
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    # Failures of module or class fixtures are reported on a placeholder, not on a test; the tests
    # they kept from running count as failed (fixture error) or skipped (fixture skip).
    ran = [t for t, _ in result.errors + result.failures if isinstance(t, unittest.TestCase)]
    fixture_errors = len(result.errors) + len(result.failures) - len(ran)
    skipped_ran = sum(1 for t, _ in result.skipped if isinstance(t, unittest.TestCase))
    not_run = total - result.testsRun
    failed = len(ran) + len(result.unexpectedSuccesses) + (not_run if fixture_errors else 0) + fixture_errors
    skipped = skipped_ran + len(result.expectedFailures) + (0 if fixture_errors else not_run)
    passed = result.testsRun - len(ran) - len(result.unexpectedSuccesses) - skipped_ran - len(result.expectedFailures)
    print('python-unittest: %d passed, %d failed, %d skipped' % (passed, failed, skipped))
    return 0 if failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
