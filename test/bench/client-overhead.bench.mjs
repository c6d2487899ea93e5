#!/usr/bin/env node
// Benchmark of @linstor-hv/client: (1) per-request overhead of the client over a bare undici request
// to the same emulator endpoint (GET /v1/nodes/{node} on a keep-alive connection), p50 and p95;
// (2) the time a call loses to a black-holed first controller, for a fresh client, for the next
// call of the same client, and for a new client that starts from the state file (a new CLI
// process). The client and the emulator are bundled with esbuild into a temporary directory.
// Prints the figures and writes them to the "## Client" section of test/bench/RESULTS.md.
//
//   node test/bench/client-overhead.bench.mjs [--samples 3000] [--failover-runs 3] [--no-write]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { importBundled, summary, timed, writeResultsSection } from './lib.mjs';

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

const fmt = (ms) => (ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(3)} ms`);

const scratch = await mkdtemp(join(os.tmpdir(), 'linstor-hv-client-bench-'));
const { createLinstorClient, startEmulator } = await importBundled(scratch, {
  createLinstorClient: 'client',
  startEmulator: 'emulator',
});
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
  if (!values['no-write']) await writeResultsSection('Client', section);
} finally {
  await emu.stop();
  await rm(scratch, { recursive: true, force: true });
}
