/**
 * The short soak of `pnpm test`: two minutes with a fixed seed (see soak.ts for the workload and the
 * invariants). `pnpm soak --minutes N --seed S` runs a longer one and prints the same table.
 */
import { describe, expect, it } from 'vitest';
import { formatSoakSummary, runSoak } from './soak';

const SEED = 20_261_202;
const MINUTES = 2;

describe('soak', () => {
  it(
    `holds every invariant for ${MINUTES} minutes of mixed work and random faults (seed ${SEED})`,
    async () => {
      // The minimum makes the run do the work the assertions below count, however loaded the machine.
      const summary = await runSoak({
        seed: SEED,
        durationMs: MINUTES * 60_000,
        minimum: { operations: 21, checksums: 6 },
      });
      console.log(formatSoakSummary(summary));
      expect(summary.violations, formatSoakSummary(summary)).toEqual([]);
      const total = Object.values(summary.operations).reduce((sum, f) => sum + f.ok + f.recovered, 0);
      expect(total).toBeGreaterThan(20);
      expect(summary.checksumsVerified).toBeGreaterThan(5);
    },
    15 * 60_000,
  );
});
