// Shared pieces of the benchmarks in this directory: where they live, percentiles and timing,
// bundling workspace sources with esbuild so a benchmark runs them in-process, and writing one
// section of RESULTS.md.
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..');

/** The nearest-rank `p`th percentile of an ascending array (NaN when it is empty). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

/** Count, p50, p95 and max of a list of samples. */
export function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) };
}

/** Milliseconds `fn` takes. */
export async function timed(fn) {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/**
 * Bundles the named exports of workspace packages (`{ startEmulator: 'emulator' }` exports
 * `startEmulator` of packages/emulator/src/index.ts; a value ending in `.ts` is a path from the
 * repository root) into one module in `scratch` and imports it.
 */
export async function importBundled(scratch, exports) {
  const entry = join(scratch, 'entry.ts');
  await writeFile(
    entry,
    Object.entries(exports)
      .map(
        ([name, pkg]) =>
          `export { ${name} } from ${JSON.stringify(pkg.endsWith('.ts') ? join(root, pkg) : join(root, 'packages', pkg, 'src/index.ts'))};\n`,
      )
      .join(''),
  );
  const bundle = join(scratch, 'bench.mjs');
  await build({
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
    // Bundled CommonJS dependencies (undici) need require() in an ES module.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  return import(pathToFileURL(bundle).href);
}

/** Puts `section` (which starts with `## <title>`) into RESULTS.md, in place of the old one if any. */
export async function writeResultsSection(title, section) {
  const resultsPath = join(here, 'RESULTS.md');
  let current = '';
  try {
    current = await readFile(resultsPath, 'utf8');
  } catch {
    current = '# Benchmark results\n\nLatest figures of the benchmarks in this directory.\n';
  }
  const start = current.indexOf(`## ${title}\n`);
  let updated;
  if (start >= 0) {
    const after = current.indexOf('\n## ', start + 1);
    updated = `${current.slice(0, start)}${section}${after >= 0 ? current.slice(after) : ''}`;
  } else updated = `${current.trimEnd()}\n\n${section}`;
  await writeFile(resultsPath, updated);
}
