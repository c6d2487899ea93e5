/**
 * `linstor-hv demo`: an emulated three-node cluster in a temporary directory, a Proxmox bridge on a
 * socket there, and the Proxmox plugin's Perl module driven through PVE's entry points against it (create, write, snapshot,
 * linked clone, live migration with QEMU's overlap, rollback, export/import, delete). Prints a
 * table of the steps and removes everything it made.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCinderDemo } from './demo-cinder';
import { type DemoStep, formatTable, progressLine, runStepDriver } from './demo-steps';
import type { ProgramIo } from './io';
import { LINSTOR_HV_VERSION } from './version';

/** The source tree: the bundle is apps/linstor-hv/dist/, the sources apps/linstor-hv/src/. */
function sourceRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
}

/** A Proxmox bridge in this process, on a socket in the demo's directory, logging nowhere. */
async function startDemoBridge(dataDir: string) {
  const [{ startBridge }, { proxmoxMethodTable }] = await Promise.all([
    import('@linstor-hv/bridge'),
    import('@linstor-hv/proxmox'),
  ]);
  return startBridge({
    methods: proxmoxMethodTable(),
    platform: 'proxmox',
    version: LINSTOR_HV_VERSION,
    socketPath: join(dataDir, 'run', 'proxmox.sock'),
    log: () => undefined,
  });
}

/** Runs the demo; returns the exit code (0 when every step did what it should). */
export async function runDemo(io: ProgramIo): Promise<number> {
  const root = sourceRoot();
  const driver = join(root, 'packages', 'proxmox', 'demo', 'pve-demo.pl');
  if (!existsSync(driver)) {
    await io.writeStderr(`linstor-hv demo: it runs from the source tree, and ${driver} is missing\n`);
    return 2;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'linstor-hv-demo-'));
  const { startEmulator } = await import('@linstor-hv/emulator');
  const emulator = await startEmulator({
    dataDir,
    cluster: 'three-node',
    listeners: [{ kind: 'http', host: '127.0.0.1', port: 0 }],
  });
  const steps: DemoStep[] = [];
  let code: number;
  const bridge = await startDemoBridge(dataDir);
  let bridgeCalls = 0;
  try {
    await io.writeStdout(`linstor-hv demo: emulated cluster pve1, pve2, pve3 at ${emulator.url}\n`);
    await io.writeStdout(`linstor-hv demo: the plugin talks to a bridge at ${bridge.socketPath}\n`);
    const perl = {
      command: '/usr/bin/perl',
      args: ['-T', driver, emulator.url, emulator.dataDir, bridge.socketPath!],
      env: { PATH: '/sbin:/bin:/usr/sbin:/usr/bin', LC_ALL: 'C' },
      name: 'driver',
    };
    code = await runStepDriver(perl, (s) => {
      steps.push(s);
      void io.writeStdout(progressLine(s));
    });
    if (code === 0)
      code = await runCinderDemo(io, { root, url: emulator.url, dataDir: emulator.dataDir }, formatTable);
    if (code === 0)
      code = await (await import('./demo-opennebula')).runOpenNebulaDemo(io, emulator, formatTable);
  } finally {
    bridgeCalls = Object.values(bridge.metrics.snapshot().methods).reduce((n, m) => n + m.calls, 0);
    await bridge.close({ graceMs: 5_000 });
    await emulator.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  await io.writeStdout(`\n${formatTable(steps)}\n`);
  await io.writeStdout(`\nthe bridge answered ${bridgeCalls} plugin calls\n`);
  // Every step calls linstor-hv at least once; a bridge that answered nothing was not used.
  const failed = code !== 0 || steps.some((s) => !s.ok) || bridgeCalls === 0;
  await io.writeStdout(
    failed ? '\ndemo FAILED\n' : `\ndemo passed: ${steps.length} steps, nothing left behind\n`,
  );
  return failed ? 1 : 0;
}
