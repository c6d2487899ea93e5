import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { type Bridge, BridgeClient, type BridgeLimits, startBridge } from '../src';
import { newState, type TestState, testMethods } from './fixtures/methods';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Runs `fn` after the current test. */
export function later(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** A private directory (mode 0700) removed after the test. */
export function privateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'linstor-hv-bridge-'));
  later(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Harness {
  bridge: Bridge;
  socketPath: string;
  state: TestState;
  logs: Array<Record<string, unknown>>;
  client(): Promise<BridgeClient>;
}

/** A bridge with the test methods on a fresh socket; stopped after the test. */
export async function startTestBridge(limits: Partial<BridgeLimits> = {}): Promise<Harness> {
  const socketPath = join(privateDir(), 'run', 'test.sock');
  const state = newState();
  const logs: Array<Record<string, unknown>> = [];
  const bridge = await startBridge({
    methods: testMethods(state),
    platform: 'test',
    version: '1.2.3',
    socketPath,
    limits,
    log: (line) => logs.push(JSON.parse(line)),
  });
  later(() => bridge.close({ graceMs: 100 }));
  return {
    bridge,
    socketPath,
    state,
    logs,
    client: async () => {
      const client = await BridgeClient.connect(socketPath);
      later(() => client.close());
      return client;
    },
  };
}

/** Waits until `check` holds (polling), failing after `ms`. */
export async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
