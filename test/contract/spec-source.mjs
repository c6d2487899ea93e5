#!/usr/bin/env node
// Where the contract suite finds LINSTOR's official OpenAPI file, and the download `.ci/setup`
// uses to fill the cache. Plain JavaScript without dependencies: `.ci/setup` runs it before
// `pnpm install`. The file itself never enters the repository (it is GPLv3 upstream data).
//
// Lookup order: $LINSTOR_OPENAPI, else shared/linstor/rest_v1_openapi.yaml beside an ancestor of
// this directory (the layout the project is developed in), else the verified download in
// test/contract/.cache/. Run `node test/contract/spec-source.mjs fetch` to download.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The upstream file the contract is pinned to (same commit and digest as shared/linstor/SOURCE.md). */
export const SPEC_PIN = Object.freeze({
  repository: 'LINBIT/linstor-server',
  commit: 'c4ba920da9c8d533315725e8252fa806ca39153d',
  path: 'docs/rest_v1_openapi.yaml',
  sha256: '9e47ae60f837710a894af7d06b469e8aef35e8270fc2ef2c6671a13f9a39ff83',
});

export const SPEC_ENV = 'LINSTOR_OPENAPI';
export const SHARED_RELATIVE_PATH = join('shared', 'linstor', 'rest_v1_openapi.yaml');
export const CACHE_FILE = join(HERE, '.cache', 'rest_v1_openapi.yaml');

const HOW_TO_GET =
  `set ${SPEC_ENV}=/path/to/rest_v1_openapi.yaml (${SPEC_PIN.repository} ${SPEC_PIN.path} at ` +
  `${SPEC_PIN.commit.slice(0, 12)}) or run ./.ci/setup where github.com is reachable`;

/** The download URL of the pinned file. */
export function specUrl() {
  return `https://raw.githubusercontent.com/${SPEC_PIN.repository}/${SPEC_PIN.commit}/${SPEC_PIN.path}`;
}

function sha256Of(data) {
  return createHash('sha256').update(data).digest('hex');
}

function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function findShared(startDir) {
  let dir = resolve(startDir);
  for (;;) {
    const candidate = join(dir, SHARED_RELATIVE_PATH);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Finds the spec. Returns `{ found: true, path, origin }` or `{ found: false, reason }`, where the
 * reason is one line saying why and how to get the file.
 */
export function findSpec({ env = process.env, startDir = HERE, cacheFile = CACHE_FILE } = {}) {
  const fromEnv = env[SPEC_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    if (isFile(fromEnv)) return { found: true, path: resolve(fromEnv), origin: SPEC_ENV };
    return { found: false, reason: `${SPEC_ENV}=${fromEnv} is not a readable file; ${HOW_TO_GET}` };
  }
  const shared = findShared(startDir);
  if (shared) return { found: true, path: shared, origin: 'shared' };
  if (isFile(cacheFile)) {
    if (sha256Of(readFileSync(cacheFile)) === SPEC_PIN.sha256) {
      return { found: true, path: cacheFile, origin: 'cache' };
    }
    return {
      found: false,
      reason: `${cacheFile} does not have the pinned sha256 ${SPEC_PIN.sha256}; delete it and ${HOW_TO_GET}`,
    };
  }
  return {
    found: false,
    reason: `LINSTOR's rest_v1_openapi.yaml was not found (no ${SPEC_ENV}, no ${SHARED_RELATIVE_PATH} beside the repository, no download in ${cacheFile}); ${HOW_TO_GET}`,
  };
}

/**
 * Downloads the pinned file into `cacheFile` when no spec is found. Never throws: a refused network
 * or a wrong digest leaves no file and returns `{ ok: false, message }`.
 */
export async function fetchSpec({
  cacheFile = CACHE_FILE,
  timeoutMs = 20_000,
  fetchImpl = fetch,
  env = process.env,
  startDir = HERE,
} = {}) {
  const present = findSpec({ env, startDir, cacheFile });
  if (present.found) return { ok: true, message: `LINSTOR OpenAPI contract: ${present.path}` };
  const url = specUrl();
  let data;
  try {
    const response = await fetchImpl(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    data = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    const cause = error?.cause?.code ?? error?.cause?.message ?? error?.message ?? String(error);
    return {
      ok: false,
      message: `LINSTOR OpenAPI contract not downloaded (${url}: ${cause}); the contract tests will be skipped`,
    };
  }
  const digest = sha256Of(data);
  if (digest !== SPEC_PIN.sha256) {
    return {
      ok: false,
      message: `LINSTOR OpenAPI contract from ${url} has sha256 ${digest}, not the pinned ${SPEC_PIN.sha256}; not used`,
    };
  }
  mkdirSync(dirname(cacheFile), { recursive: true, mode: 0o700 });
  const temporary = `${cacheFile}.${randomBytes(8).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, data, { flag: 'wx', mode: 0o644 });
    renameSync(temporary, cacheFile);
  } finally {
    rmSync(temporary, { force: true });
  }
  return { ok: true, message: `LINSTOR OpenAPI contract downloaded to ${cacheFile} (sha256 verified)` };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === 'fetch') {
    const result = await fetchSpec();
    console.log(result.message);
  } else {
    const result = findSpec();
    console.log(result.found ? result.path : result.reason);
    process.exitCode = result.found ? 0 : 1;
  }
}
