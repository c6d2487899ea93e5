#!/usr/bin/env node
// Benchmark of the OpenNebula `linstor` drivers: every action run through the installed remotes
// tree as oned runs it (a new `linstor-hv one …` process per call, as with no bridge running),
// against the emulator in this process. Counts the REST calls each action makes (from the
// emulator's request log) and its wall time (p50/p95), with a near-empty cluster and with 1,000
// further resource definitions of another owner, which no action may read one by one: the
// request counts must be the same at both sizes. Needs the bundle (pnpm build).
// Prints the figures and writes the "## OpenNebula" section of test/bench/RESULTS.md.
//
//   node test/bench/opennebula-actions.bench.mjs [--large 1000] [--rounds 5] [--no-write]
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { importBundled, percentile, root, writeResultsSection } from './lib.mjs';

const { values } = parseArgs({
  options: {
    large: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '5' },
    'no-write': { type: 'boolean', default: false },
  },
});
const LARGE = Number(values.large);
const ROUNDS = Number(values.rounds);
const MiB = 1024 * 1024;

const scratch = await mkdtemp(join(os.tmpdir(), 'linstor-hv-one-bench-'));
const SANDBOX = 'packages/opennebula/src/sandbox/index.ts';
const { startEmulator, createLinstorClient, createSandbox, actionData, b64, vmXml } = await importBundled(
  scratch,
  {
    startEmulator: 'emulator',
    createLinstorClient: 'client',
    createSandbox: SANDBOX,
    actionData: SANDBOX,
    b64: SANDBOX,
    vmXml: SANDBOX,
  },
);

const NODES = { 'one-host-1': 'pve1', 'one-host-2': 'pve2', 'one-host-3': 'pve3' };
const emulator = await startEmulator({ cluster: 'three-node', dataDir: join(scratch, 'emulator') });
const client = createLinstorClient({ controllers: emulator.url, tokenFile: false });
const sandbox = await createSandbox(
  { emulator, bundle: join(root, 'apps/linstor-hv/dist/linstor-hv.mjs'), nodes: NODES },
  join(root, 'packages/opennebula/remotes'),
);
await sandbox.putDatastore(sandbox.imageDs());
await sandbox.putDatastore(sandbox.systemDs());
const imageFile = join(sandbox.dir, 'staging', 'bench.img');
await writeFile(imageFile, randomBytes(1 * MiB));

/** Definitions of another owner, so lists and views grow while our objects stay few. */
let filled = 0;
async function fill(target) {
  const worker = async () => {
    while (filled < target) {
      const i = filled++;
      await client.resourceGroups.spawn('linstor-hv', {
        resource_definition_name: `other-${i}`,
        volume_sizes: [1024],
        definitions_only: true,
        resource_definition_props: { 'Aux/linstor-hv/platform': 'bench', 'Aux/linstor-hv/owner': 'other' },
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** One round: a fresh image and VM through every action; returns { action: { rest, ms } }. */
async function round(n) {
  const image = 1000 + n;
  const vm = 2000 + n;
  const sys = sandbox.sysDir(vm);
  const disks = [
    { diskId: 0, source: `OpenNebula-Image-${image}`, imageId: image, sizeMb: 1, datastoreId: 100 },
  ];
  await sandbox.putVm({ id: vm, disks });
  const template = b64(vmXml({ id: vm, disks }));
  const rd = `OpenNebula-Image-${image}-vm${vm}-disk0`;
  const imageDoc = (extra = {}) =>
    actionData({ image: { id: image, sizeMb: 1, datastoreId: 100, ...extra }, datastore: sandbox.imageDs() });
  const steps = [
    ['ds cp', () => sandbox.runDs('cp', imageDoc({ path: imageFile }), image)],
    [
      'ds clone',
      () =>
        sandbox.runDs(
          'clone',
          actionData({
            image: { id: image + 500, path: `OpenNebula-Image-${image}`, sizeMb: 1, datastoreId: 100 },
            datastore: sandbox.imageDs(),
          }),
          image + 500,
        ),
    ],
    [
      'ds rm (the clone)',
      () =>
        sandbox.runDs(
          'rm',
          actionData({
            image: {
              id: image + 500,
              source: `OpenNebula-Image-${image + 500}`,
              sizeMb: 1,
              datastoreId: 100,
            },
            datastore: sandbox.imageDs(),
          }),
          image + 500,
        ),
    ],
    [
      'tm clone',
      () =>
        sandbox.run('tm', 'clone', [
          `one-frontend:OpenNebula-Image-${image}`,
          `one-host-1:${sys}/disk.0`,
          String(vm),
          '100',
        ]),
    ],
    [
      'tm snap_create',
      () => sandbox.run('tm', 'snap_create', [`one-host-1:${sys}/disk.0`, '0', String(vm), '100']),
    ],
    [
      'tm snap_revert (newest)',
      () => sandbox.run('tm', 'snap_revert', [`one-host-1:${sys}/disk.0`, '0', String(vm), '100']),
    ],
    [
      'tm snap_delete',
      () => sandbox.run('tm', 'snap_delete', [`one-host-1:${sys}/disk.0`, '0', String(vm), '100']),
    ],
    ['tm resize', () => sandbox.run('tm', 'resize', [`one-host-1:${sys}/disk.0`, '2', String(vm), '100'])],
    [
      'tm premigrate',
      async () => {
        await emulator.control.openDevice('pve1', rd, 'rw');
        return sandbox.run(
          'tm',
          'premigrate',
          ['one-host-1', 'one-host-3', sys, String(vm), '101'],
          template,
        );
      },
    ],
    [
      'tm postmigrate',
      async () => {
        await emulator.control.openDevice('pve3', rd, 'rw');
        await emulator.control.closeDevice('pve1', rd);
        const result = await sandbox.run(
          'tm',
          'postmigrate',
          ['one-host-1', 'one-host-3', sys, String(vm), '101'],
          template,
        );
        await emulator.control.closeDevice('pve3', rd);
        return result;
      },
    ],
    ['tm delete', () => sandbox.run('tm', 'delete', [`one-host-3:${sys}/disk.0`, String(vm), '100'])],
    ['ds monitor', () => sandbox.runDs('monitor', actionData({ datastore: sandbox.imageDs() }), 100)],
    [
      'tm monitor',
      () =>
        sandbox.run(
          'tm',
          'monitor',
          ['101'],
          b64(actionData({ datastore: sandbox.systemDs(), extra: '<MONITOR_VM_DISKS>0</MONITOR_VM_DISKS>' })),
        ),
    ],
    [
      'tm monitor (MONITOR_VM_DISKS=1)',
      () =>
        sandbox.run(
          'tm',
          'monitor',
          ['101'],
          b64(actionData({ datastore: sandbox.systemDs(), extra: '<MONITOR_VM_DISKS>1</MONITOR_VM_DISKS>' })),
        ),
    ],
    ['ds rm', () => sandbox.runDs('rm', imageDoc({ source: `OpenNebula-Image-${image}` }), image)],
  ];
  const figures = {};
  for (const [name, run] of steps) {
    await emulator.control.clearRequests();
    const started = performance.now();
    const result = await run();
    const ms = performance.now() - started;
    if (result.code !== 0) throw new Error(`${name} failed: ${result.stderr}`);
    const counts = await emulator.control.requestCounts();
    figures[name] = { rest: Object.values(counts).reduce((a, b) => a + b, 0), ms };
  }
  return figures;
}

const loadBefore = os.loadavg()[0];
const results = {};
let n = 0;
for (const [label, size] of [
  ['near-empty', 0],
  [`${LARGE} RDs`, LARGE],
]) {
  await fill(size);
  const samples = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, f] of Object.entries(await round(n++))) {
      samples[name] ??= { rest: [], ms: [] };
      samples[name].rest.push(f.rest);
      samples[name].ms.push(f.ms);
    }
  }
  results[label] = samples;
  console.log(`${label}: done`);
}

const loadAfter = os.loadavg()[0];
const labels = Object.keys(results);
const actions = Object.keys(results[labels[0]]);
const restOf = (s) => [...new Set(s.rest)].sort((a, b) => a - b).join('/');
const msOf = (s, p) =>
  `${percentile(
    [...s.ms].sort((a, b) => a - b),
    p,
  ).toFixed(0)} ms`;
const rows = actions.map((a) => [
  a,
  ...labels.flatMap((l) => [restOf(results[l][a]), msOf(results[l][a], 50), msOf(results[l][a], 95)]),
]);
const header = ['action', ...labels.flatMap((l) => [`REST (${l})`, `p50 (${l})`, `p95 (${l})`])];
const table = [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
console.log(table);

if (!values['no-write']) {
  const section = `## OpenNebula

Measured ${new Date().toISOString().slice(0, 10)} with \`node test/bench/opennebula-actions.bench.mjs\` (${ROUNDS} rounds per size, ${os.cpus().length} CPU(s) shared with other jobs, Node ${process.version}). Each action is one run of its script in the installed remotes tree, i.e. a new \`linstor-hv one\` process (Node start-up included, no bridge), against the emulator in the benchmark's process; load average (1 min) ${loadBefore.toFixed(1)} at the start and ${loadAfter.toFixed(1)} at the end. REST calls are the requests the emulator logged during the action (where rounds differed, every value is shown). "${LARGE} RDs": ${LARGE} further resource definitions of another owner exist.

${table}

The counts do not depend on the number of resource definitions: every action reads only its own objects, by name. \`ds monitor\` and \`tm monitor\` are core's capacity read with the pool view as the judge of offline nodes: the resource group and the cached pool view, read together (the node list is not read: the controller marks every pool of a node it cannot reach). With MONITOR_VM_DISKS=1 (every tenth poll by default) \`tm monitor\` adds the VM disk sizes with 1 more request (the resource view, which also carries the snapshot sizes \`tm snap_create\` records on each disk's definition; no snapshot view) whatever the number of images; the group's placement is kept ten minutes (in memory by a bridge, in a file under the lock directory by one-shot calls), so a \`tm monitor\` takes 1 request, 2 with VM disks; \`test/opennebula/monitor-calls.test.ts\` pins these counts per route, one-shot and bridged, at two cluster sizes. Where the counts vary by one, a wait (clone completion, the device appearing, a resource leaving) took one more poll. Wall times are dominated by the start of a Node process per call on a loaded machine (see the load average above); the REST calls are the figure that carries over.

addon-linstor's call pattern for the same actions (../shared/reference/opennebula.md §2.4–2.8): every action first forks \`onedatastore show\` (and most TM actions \`onevm show\`) and starts a Python interpreter with python-linstor; \`ds cp\` spawns, then pipes downloader.sh into \`ssh <node> dd\` and runs \`qemu-img info\` over ssh (no conversion); \`tm clone\` clones, polls the clone status until COMPLETE, makes the clone available, then waits for sync before a resize; \`delete\` deletes every snapshot one request each, then the definition; premigrate/postmigrate set \`allow-two-primaries\` on the whole definition; \`monitor\` reads the resource group and the full storage-pool view and sends no VM disk sizes.
`;
  await writeResultsSection('OpenNebula', section);
}

await client.close();
await emulator.stop();
await sandbox.remove();
await rm(scratch, { recursive: true, force: true });
