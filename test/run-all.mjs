#!/usr/bin/env node
// Runs every test runner of the monorepo (vitest per package through turbo, prove for the Perl
// plugin, Python unittest for the Cinder driver) and ends with one honest line:
//   tests: N passed, N failed, N skipped
// Exits non-zero when anything failed or a runner could not run.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const totals = { passed: 0, failed: 0, skipped: 0 };
const problems = [];
// Failing tests by name, repeated at the end so that the tail of a long CI log says what failed.
const failures = [];

function run(cmd, args, opts = {}) {
  console.log(`\n==> ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
    env: { ...process.env, ...opts.env },
  });
  if (opts.capture && r.stdout) process.stdout.write(r.stdout);
  return r;
}

function firstLine(text) {
  const line =
    String(text ?? 'no message')
      .split('\n')
      .find((l) => l.trim() !== '') ?? 'no message';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function reportFiles() {
  const files = [];
  for (const top of ['packages', 'apps']) {
    const base = join(root, top);
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base)) files.push(join(base, d, '.reports', 'vitest.json'));
  }
  files.push(join(root, 'test', '.reports', 'vitest.json'));
  return files;
}

for (const f of reportFiles()) rmSync(dirname(f), { recursive: true, force: true });

const build = run('pnpm', ['exec', 'turbo', 'run', 'build']);
if (build.status !== 0) problems.push('build failed');

if (build.status === 0) {
  const vt = run('pnpm', ['exec', 'turbo', 'run', 'test', '--continue']);
  if (vt.status !== 0) problems.push('a vitest run failed');
  for (const f of reportFiles()) {
    if (!existsSync(f) || statSync(f).size === 0) continue;
    const rep = JSON.parse(readFileSync(f, 'utf8'));
    totals.passed += rep.numPassedTests ?? 0;
    totals.failed += (rep.numFailedTests ?? 0) + (rep.numRuntimeErrorTestSuites ?? 0);
    totals.skipped += (rep.numPendingTests ?? 0) + (rep.numTodoTests ?? 0);
    // A test file that failed to load has no failed test but a failed suite: count it.
    const brokenFiles = (rep.testResults ?? []).filter(
      (t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0,
    ).length;
    totals.failed += brokenFiles;
    for (const file of rep.testResults ?? []) {
      const where = file.name.startsWith(root) ? file.name.slice(root.length + 1) : file.name;
      const failed = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
      for (const a of failed) failures.push(`${where}: ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
      if (file.status === 'failed' && failed.length === 0)
        failures.push(`${where}: ${firstLine(file.message)}`);
    }
  }

  // The Proxmox suite runs twice: the plugin through a bridge, and through the one-shot command
  // (no bridge), which is its fallback. Both runs count.
  const proveDir = join(root, 'test', 'proxmox', 't');
  for (const transport of existsSync(proveDir) ? ['bridge', 'oneshot'] : []) {
    console.log(`\n(the Proxmox plugin through: ${transport})`);
    const pr = run('prove', ['-r', '--merge', proveDir], {
      capture: true,
      env: { LINSTOR_HV_PVE_TRANSPORT: transport },
    });
    const out = pr.stdout ?? '';
    const m = out.match(/Files=\d+, Tests=(\d+)/);
    const failedSub = [...out.matchAll(/Failed (\d+)\/\d+ subtests/g)].reduce((a, x) => a + Number(x[1]), 0);
    const skippedSub = [...out.matchAll(/skipped: (\d+)/gi)].reduce((a, x) => a + Number(x[1]), 0);
    if (m) {
      const total = Number(m[1]);
      totals.failed += failedSub;
      totals.skipped += skippedSub;
      totals.passed += total - failedSub - skippedSub;
    }
    for (const x of out.matchAll(/^not ok .*$/gm)) failures.push(`prove (${transport}): ${x[0]}`);
    if (pr.status !== 0) {
      problems.push(`prove (${transport}) failed`);
      if (failedSub === 0) totals.failed += 1;
    }
  }

  // LINSTOR's own clients (python-linstor, the linstor CLI) against the emulator; every test is
  // reported skipped, with one line saying why, when LINSTOR_PY_CLIENTS does not name them.
  const clientsSuite = join(root, 'test', 'linstor-clients', 'run_tests.py');
  if (existsSync(clientsSuite)) {
    const lc = run('python3', [clientsSuite], { capture: true });
    const out = lc.stdout ?? '';
    const m = out.match(/python-linstor-clients: (\d+) passed, (\d+) failed, (\d+) skipped/);
    if (m) {
      totals.passed += Number(m[1]);
      totals.failed += Number(m[2]);
      totals.skipped += Number(m[3]);
    }
    if (lc.status !== 0) {
      problems.push('linstor-clients suite failed');
      if (!m || Number(m[2]) === 0) totals.failed += 1;
    }
  }

  const pyDir = join(root, 'test', 'cinder');
  if (existsSync(join(pyDir, 'run_tests.py'))) {
    const py = run('python3', [join(pyDir, 'run_tests.py')], { capture: true });
    const out = py.stdout ?? '';
    const m = out.match(/python-unittest: (\d+) passed, (\d+) failed, (\d+) skipped/);
    if (m) {
      totals.passed += Number(m[1]);
      totals.failed += Number(m[2]);
      totals.skipped += Number(m[3]);
    }
    if (py.status !== 0) {
      problems.push('python unittest failed');
      if (!m || Number(m[2]) === 0) totals.failed += 1;
    }
  }
}

if (failures.length) console.log(`\nfailed:\n${failures.map((f) => `  ${f}`).join('\n')}`);
if (problems.length) console.log(`\nproblems: ${problems.join('; ')}`);
const ok = problems.length === 0 && totals.failed === 0;
console.log(`tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok ? 0 : 1);
