#!/usr/bin/env node
// Scale benchmark of the LINSTOR controller emulator: starts it in-process (its TypeScript sources
// bundled with esbuild into a temporary file), spawns N resource definitions with three replicas
// each through POST /v1/resource-groups/{rg}/spawn (the store-backed handlers, as a client would),
// then measures filtered GET /v1/view/resources?resources=X lookups. Prints the figures and writes
// them to the "## Emulator scale" section of test/bench/RESULTS.md.
//
//   node test/bench/emulator-scale.bench.mjs [--count 10000] [--lookups 2000] [--concurrency 4] [--no-write]
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    lookups: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '4' },
    'no-write': { type: 'boolean', default: false },
  },
});
const COUNT = Number(values.count);
const LOOKUPS = Number(values.lookups);
const CONCURRENCY = Number(values.concurrency);
const VOLUME_KIB = 1024;
const GROUP = 'bench-3';

/** Three satellites with large thin pools and a group that places three diskful replicas. */
const cluster = {
  nodes: [1, 2, 3].map((i) => ({
    name: `bench${i}`,
    address: `10.9.0.${i}`,
    pools: [{ name: 'thinpool', provider_kind: 'LVM_THIN', total_kib: 4 * 1024 * 1024 * 1024 }],
  })),
  resource_groups: [{ name: GROUP, select_filter: { place_count: 3, storage_pool: 'thinpool' } }],
};

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1) };
}

const fmt = (ms) => `${ms.toFixed(2)} ms`;

async function timed(fn) {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function request(url, method, path, body) {
  const res = await fetch(new URL(path, url), {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text };
}

/** Runs `task(i)` for i in [0, count) with `concurrency` requests in flight. */
async function pool(count, concurrency, task) {
  let next = 0;
  const runners = Array.from({ length: concurrency }, async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      await task(i);
    }
  });
  await Promise.all(runners);
}

const scratch = await mkdtemp(join(os.tmpdir(), 'linstor-hv-bench-'));
const bundle = join(scratch, 'emulator.mjs');
await build({
  entryPoints: [join(root, 'packages', 'emulator', 'src', 'index.ts')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});
const { startEmulator } = await import(pathToFileURL(bundle).href);
const emu = await startEmulator({ dataDir: join(scratch, 'data'), cluster });

try {
  const name = (i) => `bench-rd-${String(i).padStart(5, '0')}`;
  const spawnMs = [];
  const spawnStarted = performance.now();
  await pool(COUNT, CONCURRENCY, async (i) => {
    let reply;
    spawnMs.push(
      await timed(async () => {
        reply = await request(emu.url, 'POST', `/v1/resource-groups/${GROUP}/spawn`, {
          resource_definition_name: name(i),
          volume_sizes: [VOLUME_KIB],
        });
      }),
    );
    if (reply.status !== 201) throw new Error(`spawn ${name(i)} answered ${reply.status}: ${reply.text}`);
    if ((i + 1) % 1000 === 0) process.stderr.write(`spawned ${i + 1}/${COUNT}\n`);
  });
  const spawnTotalS = (performance.now() - spawnStarted) / 1000;

  const resources = emu.store.count('resources');
  if (resources !== COUNT * 3) throw new Error(`expected ${COUNT * 3} resources, found ${resources}`);

  const lookupMs = [];
  for (let k = 0; k < LOOKUPS; k++) {
    const rd = name(Math.floor(Math.random() * COUNT));
    let reply;
    lookupMs.push(
      await timed(async () => {
        reply = await request(emu.url, 'GET', `/v1/view/resources?resources=${rd}`);
      }),
    );
    if (reply.status !== 200 || JSON.parse(reply.text).length !== 3) {
      throw new Error(`view of ${rd} answered ${reply.status}: ${reply.text.slice(0, 200)}`);
    }
  }
  const singleMs = [];
  for (let k = 0; k < LOOKUPS; k++) {
    const rd = name(Math.floor(Math.random() * COUNT));
    singleMs.push(await timed(() => request(emu.url, 'GET', `/v1/resource-definitions/${rd}`)));
  }

  const spawn = summary(spawnMs);
  const view = summary(lookupMs);
  const single = summary(singleMs);
  const when = new Date().toISOString().slice(0, 10);
  const section = `## Emulator scale

Measured ${when} with \`node test/bench/emulator-scale.bench.mjs\` (emulator in-process, ${os.cpus().length} CPU(s)
shared with other jobs, Node ${process.version}, data dir on ${os.tmpdir()}). ${COUNT} resource definitions spawned
through \`POST /v1/resource-groups/${GROUP}/spawn\` (place_count 3, one ${VOLUME_KIB} KiB thin volume each, ${CONCURRENCY}
requests in flight; every spawn is one fsynced journal transaction): ${resources} resources in total.

| request | samples | p50 | p95 | max |
| --- | ---: | ---: | ---: | ---: |
| \`POST /v1/resource-groups/${GROUP}/spawn\` | ${spawn.n} | ${fmt(spawn.p50)} | ${fmt(spawn.p95)} | ${fmt(spawn.max)} |
| \`GET /v1/view/resources?resources=X\` | ${view.n} | ${fmt(view.p50)} | ${fmt(view.p95)} | ${fmt(view.max)} |
| \`GET /v1/resource-definitions/X\` | ${single.n} | ${fmt(single.p50)} | ${fmt(single.p95)} | ${fmt(single.max)} |

Spawning all ${COUNT} took ${spawnTotalS.toFixed(1)} s. Latencies are client-side round trips over HTTP on 127.0.0.1.
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
    const start = current.indexOf('## Emulator scale');
    let next;
    if (start >= 0) {
      const after = current.indexOf('\n## ', start + 1);
      next = `${current.slice(0, start)}${section}${after >= 0 ? current.slice(after) : ''}`;
    } else next = `${current.trimEnd()}\n\n${section}`;
    await writeFile(resultsPath, next);
  }
} finally {
  await emu.stop();
  await rm(scratch, { recursive: true, force: true });
}
