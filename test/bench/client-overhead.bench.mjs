#!/usr/bin/env node
// Benchmark of @linstor-hv/client: (1) per-request overhead of the client over a bare undici request
// to the same emulator endpoint (GET /v1/nodes/{node} on a keep-alive connection), p50 and p95;
// (2) the time a call loses to a black-holed first controller, for a fresh client, for the next
// call of the same client, and for a new client that starts from the state file (a new CLI
// process). The client and the emulator are bundled with esbuild into a temporary directory.
// Prints the figures and writes them to the "## Client" section of test/bench/RESULTS.md.
//
//   node test/bench/client-overhead.bench.mjs [--samples 3000] [--failover-runs 3] [--no-write]
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { Pool } from 'undici';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '3000' },
    'failover-runs': { type: 'string', default: '3' },
    'no-write': { type: 'boolean', default: false },
  },
});
const SAMPLES = Number(values.samples);
const FAILOVER_RUNS = Number(values['failover-runs']);
const PATH = '/v1/nodes/pve1';

function percentile(sorted, p) {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}
function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95) };
}
const fmt = (ms) => (ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(3)} ms`);

async function timed(fn) {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

const scratch = await mkdtemp(join(os.tmpdir(), 'linstor-hv-client-bench-'));
const entry = join(scratch, 'entry.ts');
await writeFile(
  entry,
  `export { createLinstorClient } from ${JSON.stringify(join(root, 'packages/client/src/index.ts'))};\n` +
    `export { startEmulator } from ${JSON.stringify(join(root, 'packages/emulator/src/index.ts'))};\n`,
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
const { createLinstorClient, startEmulator } = await import(pathToFileURL(bundle).href);
const emu = await startEmulator({
  dataDir: join(scratch, 'data'),
  listeners: [{ kind: 'http' }, { kind: 'blackhole' }],
});
const hole = emu.blackholeUrls[0];

try {
  // (1) overhead: alternate bare and client requests so both see the same machine load.
  const bare = new Pool(emu.url, { connections: 1 });
  const client = createLinstorClient({ controllers: emu.url, tokenFile: false, env: {} });
  const bareOnce = async () => {
    const res = await bare.request({
      method: 'GET',
      path: PATH,
      headers: { accept: 'application/json', 'accept-encoding': 'gzip' },
    });
    JSON.parse(await res.body.text());
  };
  const clientOnce = () => client.nodes.get('pve1');
  for (let i = 0; i < 200; i++) {
    await bareOnce();
    await clientOnce();
  }
  const bareMs = [];
  const clientMs = [];
  for (let i = 0; i < SAMPLES; i++) {
    bareMs.push(await timed(bareOnce));
    clientMs.push(await timed(clientOnce));
  }
  await bare.close();
  await client.close();
  const b = summary(bareMs);
  const c = summary(clientMs);

  // (2) failover: the first controller accepts TCP and never answers.
  const probeTimeoutMs = 2000;
  const freshMs = [];
  const nextMs = [];
  const stateMs = [];
  for (let run = 0; run < FAILOVER_RUNS; run++) {
    const stateFile = join(scratch, `state-${run}.json`);
    const options = { controllers: [hole, emu.url], tokenFile: false, env: {}, stateFile, probeTimeoutMs };
    const first = createLinstorClient(options);
    freshMs.push(await timed(() => first.nodes.get('pve1')));
    nextMs.push(await timed(() => first.nodes.get('pve1')));
    await first.close();
    const later = createLinstorClient(options);
    stateMs.push(await timed(() => later.nodes.get('pve1')));
    await later.close();
  }
  const fresh = summary(freshMs);
  const next = summary(nextMs);
  const fromState = summary(stateMs);

  const when = new Date().toISOString().slice(0, 10);
  const section = `## Client

Measured ${when} with \`node test/bench/client-overhead.bench.mjs\` (client and emulator in one process,
${os.cpus().length} CPU(s) shared with other jobs, Node ${process.version}). Endpoint \`GET ${PATH}\` on 127.0.0.1,
one keep-alive connection, ${SAMPLES} samples each, bare and client requests interleaved.

| request | p50 | p95 |
| --- | ---: | ---: |
| bare undici \`Pool.request\` + \`JSON.parse\` | ${fmt(b.p50)} | ${fmt(b.p95)} |
| \`client.nodes.get('pve1')\` | ${fmt(c.p50)} | ${fmt(c.p95)} |
| client overhead (difference) | ${fmt(c.p50 - b.p50)} | ${fmt(c.p95 - b.p95)} |

Black-holed first controller (accepts TCP, never answers), controllers \`[blackhole, emulator]\`, health-probe
timeout ${probeTimeoutMs} ms (the default), ${FAILOVER_RUNS} runs, median:

| call | time |
| --- | ---: |
| first call of a fresh client (probe of the black hole times out, then the emulator) | ${fmt(fresh.p50)} |
| next call of the same client (remembers the good controller) | ${fmt(next.p50)} |
| first call of a new client started from the state file (a new CLI process) | ${fmt(fromState.p50)} |
`;
  process.stdout.write(`${section}\n`);
  if (!values['no-write']) {
    const resultsPath = join(here, 'RESULTS.md');
    let current = '';
    try {
      current = await readFile(resultsPath, 'utf8');
    } catch {
      current = '# Benchmark results\n\nLatest figures of the benchmarks in this directory.\n';
    }
    const start = current.indexOf('## Client\n');
    let updated;
    if (start >= 0) {
      const after = current.indexOf('\n## ', start + 1);
      updated = `${current.slice(0, start)}${section}${after >= 0 ? current.slice(after) : ''}`;
    } else updated = `${current.trimEnd()}\n\n${section}`;
    await writeFile(resultsPath, updated);
  }
} finally {
  await emu.stop();
  await rm(scratch, { recursive: true, force: true });
}
