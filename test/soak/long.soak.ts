/** The long soak, run by `pnpm soak --minutes N --seed S` (soak/run.mjs); not part of `pnpm test`. */
import { writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { formatSoakSummary, runSoak } from './soak';

const minutes = Number(process.env.SOAK_MINUTES ?? '30');
const seed = Number(process.env.SOAK_SEED ?? '1');

it(
  `soak: ${minutes} min, seed ${seed}`,
  async () => {
    const summary = await runSoak({ seed, durationMs: minutes * 60_000, log: (line) => console.log(line) });
    const table = formatSoakSummary(summary);
    if (process.env.SOAK_REPORT) writeFileSync(process.env.SOAK_REPORT, `${table}\n`);
    expect(summary.violations, table).toEqual([]);
  },
  (minutes + 15) * 60_000,
);
