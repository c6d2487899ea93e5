/**
 * vitest global setup: says once, before any test file runs, why the contract suites are skipped
 * (each file would otherwise have to repeat it).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findSpec } from './spec-source.mjs';

export default function announceMissingSpec(): void {
  const lookup = findSpec();
  if (!lookup.found) {
    console.log(`contract tests skipped: ${lookup.reason}`);
  } else if (!existsSync(referenceDir(lookup.path))) {
    console.log(
      `contract deviations quote check skipped: no shared/reference/ beside ${lookup.path} (it quotes linstor-api.md)`,
    );
  }
}

/** `shared/reference/` when the spec came from `shared/linstor/` (any other origin has none). */
export function referenceDir(specPath: string): string {
  return join(dirname(dirname(specPath)), 'reference');
}
