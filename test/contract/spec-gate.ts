/**
 * Suites that need LINSTOR's OpenAPI file run only when `findSpec()` finds it; otherwise vitest
 * reports them skipped, and `spec-notice.ts` prints the one line saying why and how to get the file.
 */
import { describe, it } from 'vitest';
import { findSpec } from './spec-source.mjs';

export const specLookup = findSpec();

/** `describe` for a suite that validates against the spec. */
export const describeWithSpec = describe.skipIf(!specLookup.found);

/** `it` for a single test that validates against the spec in a suite that otherwise does not. */
export const itWithSpec = it.skipIf(!specLookup.found);
