#!/usr/bin/env node
// `pnpm soak --minutes N --seed S`: runs soak/long.soak.ts through vitest (the workload is
// TypeScript) and prints its summary table. Exits non-zero when an invariant was violated.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { minutes: { type: 'string', default: '30' }, seed: { type: 'string', default: '1' } },
});
for (const [name, value] of Object.entries(values)) {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0 || (name === 'seed' && !/^\d+$/.test(value))) {
    console.error(
      `soak: --${name} must be a positive ${name === 'seed' ? 'whole ' : ''}number, not '${value}'`,
    );
    process.exit(2);
  }
}
const testDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const scratch = mkdtempSync(join(tmpdir(), 'soak-report-'));
const report = join(scratch, 'summary.txt');
const run = spawnSync('npx', ['vitest', 'run', '--config', 'soak/vitest.soak.config.ts'], {
  cwd: testDir,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, SOAK_MINUTES: values.minutes, SOAK_SEED: values.seed, SOAK_REPORT: report },
});
if (existsSync(report)) console.log(`\n${readFileSync(report, 'utf8')}`);
rmSync(scratch, { recursive: true, force: true });
process.exit(run.status ?? 1);
