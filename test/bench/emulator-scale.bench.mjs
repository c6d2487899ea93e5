#!/usr/bin/env node
// Scale benchmark of the LINSTOR controller emulator: starts it in-process (its TypeScript sources
// bundled with esbuild into a temporary file), spawns N resource definitions with three replicas
// each through POST /v1/resource-groups/{rg}/spawn (the store-backed handlers, as a client would),
// then measures filtered GET /v1/view/resources?resources=X lookups, and the server time (the
// emulator's own request log, from the request's arrival to the reply's last byte) of the views
// whose cost grows with the cluster: unfiltered view/resources (also right after one RD changed,
// so only the views of its resources are built again), filtered view/resources and view/storage-pools.
// Prints the figures with the load average and writes them to the "## Emulator scale" section of
// test/bench/RESULTS.md.
//
//   node test/bench/emulator-scale.bench.mjs [--count 1000] [--lookups 2000] [--views 20] [--concurrency 4] [--no-write]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { importBundled, summary, timed, writeResultsSection } from './lib.mjs';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    lookups: { type: 'string', default: '2000' },
    views: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '4' },
    'no-write': { type: 'boolean', default: false },
  },
});
const COUNT = Number(values.count);
const LOOKUPS = Number(values.lookups);
const VIEWS = Number(values.views);
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

const fmt = (ms) => `${ms.toFixed(2)} ms`;

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
const { startEmulator } = await importBundled(scratch, { startEmulator: 'emulator' });
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

  // Server time of the growing views, read from the emulator's request log. `before(k)` runs
  // before sample k (outside the measurement), e.g. to change one resource definition.
  const serverMs = async (path, before = async () => {}) => {
    const samples = [];
    for (let k = 0; k < VIEWS; k++) {
      await before(k);
      await emu.control.clearRequests();
      const reply = await request(emu.url, 'GET', path);
      if (reply.status !== 200)
        throw new Error(`${path} answered ${reply.status}: ${reply.text.slice(0, 200)}`);
      const logged = (await emu.control.requests()).filter((r) => r.path === path.split('?')[0]);
      samples.push(logged.at(-1).durationMs);
    }
    return summary(samples);
  };
  const loadBefore = os.loadavg();
  const viewAll = await serverMs('/v1/view/resources');
  // The same list when one resource definition changed before each request (a poll while the
  // cluster changes): the views of that RD's resources are built again, the others reused.
  const viewAfterChange = await serverMs('/v1/view/resources', async (k) => {
    const rd = name(Math.floor(Math.random() * COUNT));
    const reply = await request(emu.url, 'PUT', `/v1/resource-definitions/${rd}`, {
      override_props: { 'Aux/bench/touched': String(k) },
    });
    if (reply.status !== 200) throw new Error(`modify ${rd} answered ${reply.status}: ${reply.text}`);
  });
  const viewOne = await serverMs(`/v1/view/resources?resources=${name(Math.floor(COUNT / 2))}`);
  const poolsFresh = await serverMs('/v1/view/storage-pools');
  const poolsCached = await serverMs('/v1/view/storage-pools?cached=true');
  const loadAfter = os.loadavg();
  const load = (l) => l.map((x) => x.toFixed(2)).join(', ');

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

Server time (the emulator's request log: arrival to last byte of the reply) of the views that grow
with the cluster, ${VIEWS} samples each, at ${resources} resources; load average ${load(loadBefore)} before and
${load(loadAfter)} after (1, 5, 15 min):

| request | p50 | p95 | max |
| --- | ---: | ---: | ---: |
| \`GET /v1/view/resources\` (all ${resources}) | ${fmt(viewAll.p50)} | ${fmt(viewAll.p95)} | ${fmt(viewAll.max)} |
| \`GET /v1/view/resources\` (all, one RD changed before each) | ${fmt(viewAfterChange.p50)} | ${fmt(viewAfterChange.p95)} | ${fmt(viewAfterChange.max)} |
| \`GET /v1/view/resources?resources=X\` | ${fmt(viewOne.p50)} | ${fmt(viewOne.p95)} | ${fmt(viewOne.max)} |
| \`GET /v1/view/storage-pools\` | ${fmt(poolsFresh.p50)} | ${fmt(poolsFresh.p95)} | ${fmt(poolsFresh.max)} |
| \`GET /v1/view/storage-pools?cached=true\` | ${fmt(poolsCached.p50)} | ${fmt(poolsCached.p95)} | ${fmt(poolsCached.max)} |
`;
  process.stdout.write(`${section}\n`);
  if (!values['no-write']) await writeResultsSection('Emulator scale', section);
} finally {
  await emu.stop();
  await rm(scratch, { recursive: true, force: true });
}
