import { defineConfig } from 'vitest/config';

/** Shared vitest settings: every package writes a JSON report that test/run-all.mjs adds up. */
export function packageVitestConfig(overrides: { testTimeout?: number; include?: string[] } = {}) {
  return defineConfig({
    test: {
      include: overrides.include ?? ['test/**/*.test.ts', 'src/**/*.test.ts'],
      testTimeout: overrides.testTimeout ?? 30_000,
      hookTimeout: 60_000,
      reporters: ['default', 'json'],
      outputFile: { json: '.reports/vitest.json' },
      pool: 'forks',
      // Packages tested only from test/ (e.g. by prove) have no vitest files of their own.
      passWithNoTests: true,
    },
  });
}
