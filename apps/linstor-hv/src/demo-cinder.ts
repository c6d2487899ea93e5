/**
 * The Cinder part of `linstor-hv demo`: a cinder bridge on a socket in the demo's directory, and the
 * Python driver inside Debian's Cinder (packages/cinder/demo/cinder-demo.py) driven against the
 * emulated cluster. Prints its own table and verdict; skipped when python3-cinder is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type DemoStep, progressLine, runStepDriver } from './demo-steps';
import type { ProgramIo } from './io';

const PYTHON = '/usr/bin/python3';

/** Runs the Cinder part against a running emulator; returns 0 when every step did what it should. */
export async function runCinderDemo(
  io: ProgramIo,
  where: { root: string; url: string; dataDir: string },
  formatTable: (steps: readonly DemoStep[]) => string,
): Promise<number> {
  const { root, url, dataDir } = where;
  const script = join(root, 'packages', 'cinder', 'demo', 'cinder-demo.py');
  if (!existsSync(script) || spawnSync(PYTHON, ['-c', 'import cinder']).status !== 0) {
    await io.writeStdout('\ncinder part skipped: it needs the source tree and python3-cinder\n');
    return 0;
  }
  const [{ startBridge }, { cinderMethodTable }] = await Promise.all([
    import('@linstor-hv/bridge'),
    import('@linstor-hv/cinder'),
  ]);
  const socketPath = join(dataDir, 'run', 'cinder.sock');
  const bridge = await startBridge({
    methods: cinderMethodTable(),
    platform: 'cinder',
    version: '0.1.0',
    socketPath,
    log: () => undefined,
  });
  const steps: DemoStep[] = [];
  let code: number;
  try {
    await io.writeStdout(`\nlinstor-hv demo: the Cinder driver talks to a bridge at ${socketPath}\n`);
    const python = { command: PYTHON, args: ['-B', script, socketPath, url, dataDir], name: 'cinder driver' };
    code = await runStepDriver(python, (s) => {
      steps.push(s);
      void io.writeStdout(progressLine(s));
    });
  } finally {
    await bridge.close();
  }
  await io.writeStdout(`\n${formatTable(steps)}\n`);
  const failed = code !== 0 || steps.some((s) => !s.ok);
  await io.writeStdout(failed ? '\ncinder demo FAILED\n' : `\ncinder demo passed: ${steps.length} steps\n`);
  return failed ? 1 : 0;
}
