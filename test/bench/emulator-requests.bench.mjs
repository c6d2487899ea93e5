#!/usr/bin/env node
// Cost of the emulator's own work per request: runs the built emulator
// (packages/emulator/dist/emulator.mjs, so `pnpm build` first) as its own process, drives it with
// the core VolumeService the way the Proxmox and Cinder adapters do (create = RD/VD + autoplace of
// two replicas on thin pools + props, snapshot, resize, delete), one call at a time and then with
// several in flight, and reads the server time of every request from the emulator's request log
// (arrival to the reply's last byte; it survives a loaded machine better than client wall time).
// Prints, per verb and per route template, how many requests and how much server time, with the
// load average. `--cpu-prof DIR` runs the emulator under `node --cpu-prof` and leaves its profile
// in DIR (summarise it with any .cpuprofile viewer); `--emulator FILE` runs another build (say, of
// another checkout) for an A/B comparison under the same load.
//
//   node test/bench/emulator-requests.bench.mjs [--rounds 100] [--concurrency 4] [--cpu-prof DIR] [--emulator FILE]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { importBundled, root, summary } from './lib.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '100' },
    concurrency: { type: 'string', default: '4' },
    'cpu-prof': { type: 'string' },
    emulator: { type: 'string', default: join(root, 'packages/emulator/dist/emulator.mjs') },
  },
});
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);
const fmt = (ms) => `${ms.toFixed(2)} ms`;
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');

const scratch = await mkdtemp(join(os.tmpdir(), 'linstor-hv-emu-requests-'));
const { createLinstorClient, createVolumeService } = await importBundled(scratch, {
  createLinstorClient: 'client',
  createVolumeService: 'core',
});

/** Starts the built emulator on a free port and resolves to its URL and process. */
async function startEmulatorProcess() {
  const dataDir = join(scratch, 'data');
  const args = [values.emulator, 'serve', '--data-dir', dataDir];
  if (values['cpu-prof']) args.unshift('--cpu-prof', '--cpu-prof-dir', values['cpu-prof']);
  const child = spawn(process.execPath, [...args, '--listen', 'http://127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  for await (const chunk of child.stdout) {
    out += chunk;
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(out);
    if (url) return { child, url: url[0], dataDir };
  }
  throw new Error(`the emulator exited before listening: ${out}`);
}

const emu = await startEmulatorProcess();
const control = async (method, path) => {
  const res = await fetch(new URL(path, emu.url), { method });
  return res.json();
};
const client = createLinstorClient({ controllers: emu.url, tokenFile: false, env: {} });
const service = createVolumeService({
  client,
  resourceGroup: 'linstor-hv',
  platform: 'bench',
  ownerId: 'bench',
  deviceRoot: (node) => join(emu.dataDir, 'nodes', node, 'dev'),
});

/** verb -> server ms per call (sum over its requests) and requests per call. */
const perVerb = new Map();
/** `METHOD template` -> server ms of each request. */
const perRoute = new Map();

/** Takes the request log since the last call and files it under `verb`. */
async function collect(verb, calls) {
  const entries = await control('GET', '/emulator/requests');
  await control('DELETE', '/emulator/requests');
  const total = entries.reduce((sum, e) => sum + e.durationMs, 0);
  const v = perVerb.get(verb) ?? { ms: [], requests: [] };
  v.ms.push(total / calls);
  v.requests.push(entries.length / calls);
  perVerb.set(verb, v);
  for (const e of entries) {
    const key = `${e.method} ${e.template}`;
    const list = perRoute.get(key) ?? [];
    list.push(e.durationMs);
    perRoute.set(key, list);
  }
}

/** Runs `task(i)` for i in [0, count) with `concurrency` calls in flight. */
async function inFlight(count, concurrency, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) await task(i);
    }),
  );
}

const loadBefore = load();
const started = performance.now();
try {
  await control('DELETE', '/emulator/requests');
  const name = (i) => `bench-${i}`;
  const steps = [
    ['create', (i) => service.create({ name: name(i), sizeKib: 4096 })],
    ['snapshot', (i) => service.createSnapshot(name(i), 'snap')],
    ['resize', (i) => service.resize(name(i), { sizeKib: 8192 })],
    ['delete', (i) => service.delete(name(i))],
  ];
  for (let i = 0; i < ROUNDS; i++) {
    for (const [verb, run] of steps) {
      await run(i);
      await collect(verb, 1);
    }
  }
  // The same verbs with several calls in flight: the figure is server time per call.
  for (const [verb, run] of steps) {
    await inFlight(ROUNDS, CONCURRENCY, (i) => run(ROUNDS + i));
    await collect(`${verb} (${CONCURRENCY} in flight)`, ROUNDS);
  }
} finally {
  await client.close();
  emu.child.kill('SIGTERM');
  await once(emu.child, 'exit');
  await rm(scratch, { recursive: true, force: true });
}
const seconds = (performance.now() - started) / 1000;

const lines = [
  `Emulator server time per request (${ROUNDS} rounds, ${CONCURRENCY} in flight in the second phase,`,
  `${seconds.toFixed(1)} s; load average ${loadBefore} before, ${load()} after):`,
  '',
  '| verb | requests per call | server ms per call p50 | p95 |',
  '| --- | ---: | ---: | ---: |',
];
for (const [verb, v] of perVerb) {
  const ms = summary(v.ms);
  const calls = summary(v.requests);
  lines.push(`| ${verb} | ${calls.p50} | ${fmt(ms.p50)} | ${fmt(ms.p95)} |`);
}
lines.push('', '| request | count | p50 | p95 | max |', '| --- | ---: | ---: | ---: | ---: |');
for (const [route, ms] of [...perRoute].sort((a, b) => a[0].localeCompare(b[0]))) {
  const s = summary(ms);
  lines.push(`| \`${route}\` | ${s.n} | ${fmt(s.p50)} | ${fmt(s.p95)} | ${fmt(s.max)} |`);
}
process.stdout.write(`${lines.join('\n')}\n`);
