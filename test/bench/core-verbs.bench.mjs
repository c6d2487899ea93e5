#!/usr/bin/env node
// Benchmark of @linstor-hv/core's VolumeService: REST calls and wall time (p50/p95) per verb at
// 10 and at 10,000 existing volumes, against the emulator in the same process (core, client and
// emulator bundled with esbuild into a temporary file). The existing volumes belong to another
// owner of the same platform and are spawned `definitions_only`, so the filtered list and every
// other verb must not see them: the request counts per verb must be the same at both sizes.
// Prints the figures and writes them to the "## Core" section of test/bench/RESULTS.md.
//
//   node test/bench/core-verbs.bench.mjs [--large 10000] [--samples 20] [--concurrency 8] [--no-write]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { importBundled, percentile, writeResultsSection } from './lib.mjs';

const { values } = parseArgs({
  options: {
    small: { type: 'string', default: '10' },
    large: { type: 'string', default: '10000' },
    samples: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '8' },
    'no-write': { type: 'boolean', default: false },
  },
});
const SIZES = [Number(values.small), Number(values.large)];
const SAMPLES = Number(values.samples);
const CONCURRENCY = Number(values.concurrency);

const fmt = (ms) => (ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`);

const scratch = await mkdtemp(join(os.tmpdir(), 'linstor-hv-core-bench-'));
const { createLinstorClient, createVolumeService, startEmulator } = await importBundled(scratch, {
  createLinstorClient: 'client',
  createVolumeService: 'core',
  startEmulator: 'emulator',
});

/** Spawns definitions-only volumes of another owner until `target` exist. */
async function fill(client, from, target) {
  let next = from;
  const worker = async () => {
    while (next < target) {
      const i = next++;
      await client.resourceGroups.spawn('linstor-hv', {
        resource_definition_name: `bg-${i}`,
        volume_sizes: [1024],
        definitions_only: true,
        resource_definition_props: {
          'Aux/linstor-hv/platform': 'bench',
          'Aux/linstor-hv/owner': 'background',
          'Aux/linstor-hv/name': `bg-${i}`,
        },
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

const VERBS = [
  'create',
  'info',
  'list',
  'attach',
  'snapshot',
  'rollback',
  'clone',
  'resize',
  'migrate (begin+commit)',
  'detach',
  'capacity',
  'delete',
];

async function measureRound(service, counter, scale, round, results) {
  const name = `bench-${scale}-${round}`;
  const clone = `${name}-c`;
  const steps = [
    ['create', () => service.create({ name, sizeKib: 4096, preferredNode: 'pve1' })],
    ['info', () => service.info(name)],
    ['list', () => service.list()],
    ['attach', () => service.attach(name, 'pve3')],
    ['snapshot', () => service.createSnapshot(name, 'snap')],
    ['rollback', () => service.rollback(name, 'snap')],
    ['clone', () => service.clone({ source: name, name: clone })],
    ['resize', () => service.resize(name, { sizeKib: 8192 })],
    [
      'migrate (begin+commit)',
      async () => {
        await service.beginMigration(name, 'pve3', 'pve1');
        await service.commitMigration(name, 'pve3', 'pve1');
      },
    ],
    ['detach', () => service.detach(name, 'pve3')],
    ['capacity', () => service.capacity()],
    [
      'delete',
      async () => {
        await service.delete(clone);
        await service.delete(name);
      },
    ],
  ];
  for (const [verb, run] of steps) {
    counter.count = 0;
    const started = performance.now();
    await run();
    const ms = performance.now() - started;
    const entry = results.get(verb) ?? { ms: [], calls: [] };
    entry.ms.push(ms);
    entry.calls.push(counter.count);
    results.set(verb, entry);
  }
}

const emu = await startEmulator({ dataDir: join(scratch, 'data') });
const counter = { count: 0 };
const client = createLinstorClient({
  controllers: emu.url,
  tokenFile: false,
  env: {},
  metrics: (m) => {
    if (m.route !== '/health') counter.count++;
  },
});
const service = createVolumeService({
  client,
  resourceGroup: 'linstor-hv',
  platform: 'bench',
  ownerId: 'measured',
  deviceRoot: (node) => join(emu.dataDir, 'nodes', node, 'dev'),
});

const byScale = new Map();
let existing = 0;
try {
  for (const scale of SIZES) {
    const fillStarted = performance.now();
    await fill(client, existing, scale);
    existing = scale;
    const fillMs = performance.now() - fillStarted;
    const results = new Map();
    await measureRound(service, counter, scale, 'warmup', new Map());
    for (let round = 0; round < SAMPLES; round++) await measureRound(service, counter, scale, round, results);
    byScale.set(scale, { results, fillMs });
    process.stdout.write(`${scale} volumes: filled in ${fmt(fillMs)}\n`);
  }
} finally {
  await client.close();
  await emu.stop();
  await rm(scratch, { recursive: true, force: true });
}

const [small, large] = SIZES;
const rows = VERBS.map((verb) => {
  const cells = [];
  let counts = '';
  for (const scale of SIZES) {
    const r = byScale.get(scale).results.get(verb);
    const sorted = [...r.ms].sort((a, b) => a - b);
    const calls = [...new Set(r.calls)].sort((a, b) => a - b).join('/');
    counts += `${counts ? ' | ' : ''}${calls}`;
    cells.push(`${fmt(percentile(sorted, 50))} | ${fmt(percentile(sorted, 95))}`);
  }
  return `| ${verb} | ${counts} | ${cells.join(' | ')} |`;
});
const stable = VERBS.every((verb) => {
  const a = byScale.get(small).results.get(verb).calls;
  const b = byScale.get(large).results.get(verb).calls;
  return Math.max(...b) <= Math.max(...a);
});
const when = new Date().toISOString().slice(0, 10);
const section = `## Core

Measured ${when} with \`node test/bench/core-verbs.bench.mjs\` (VolumeService, client and emulator in one
process, ${os.cpus().length} CPU(s) shared with other jobs, Node ${process.version}). ${SAMPLES} rounds per size; each
round runs every verb once on fresh 4 MiB volumes (create with a preferred node, attach diskless on a third
node, native rollback, clone through the clone API, resize, a migration from the diskless node to a diskful
one). The existing volumes belong to another owner and were spawned \`definitions_only\`. REST calls are
counted with the client's metrics hook (every HTTP request, health probes excluded); where they varied
between rounds all values are shown.

| verb | REST calls at ${small} | REST calls at ${large} | p50 at ${small} | p95 at ${small} | p50 at ${large} | p95 at ${large} |
| --- | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.join('\n')}

Request counts ${stable ? 'do not grow' : '**grow**'} with the number of existing volumes. \`list\` stays one request, and its
time stays flat too: the emulator answers the exact ownership \`props=\` filter from its props index
instead of matching it against every resource definition. Filling the cluster to ${large} volumes took ${fmt(byScale.get(large).fillMs)}.
`;
process.stdout.write(`${section}\n`);
if (!values['no-write']) await writeResultsSection('Core', section);
