import { defineConfig } from 'vitest/config';

/** Only the long soak (soak/run.mjs); `pnpm test` uses ../vitest.config.ts, which does not match it. */
export default defineConfig({
  test: { include: ['soak/long.soak.ts'], pool: 'forks', testTimeout: 24 * 3_600_000, hookTimeout: 60_000 },
});
