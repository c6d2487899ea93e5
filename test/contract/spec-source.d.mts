/** Types of spec-source.mjs (plain JavaScript so that `.ci/setup` can run it before `pnpm install`). */

export declare const SPEC_PIN: Readonly<{ repository: string; commit: string; path: string; sha256: string }>;
export declare const SPEC_ENV: string;
export declare const SHARED_RELATIVE_PATH: string;
export declare const CACHE_FILE: string;

export type SpecLookup =
  | { found: true; path: string; origin: 'LINSTOR_OPENAPI' | 'shared' | 'cache' }
  | { found: false; reason: string };

export declare function specUrl(): string;
export declare function findSpec(options?: {
  env?: Record<string, string | undefined>;
  startDir?: string;
  cacheFile?: string;
}): SpecLookup;
export declare function fetchSpec(options?: {
  cacheFile?: string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
  env?: Record<string, string | undefined>;
  startDir?: string;
}): Promise<{ ok: boolean; message: string }>;
