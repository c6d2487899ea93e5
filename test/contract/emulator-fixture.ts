/**
 * The shared set-up of the contract suites that drive the emulator over HTTP
 * (`emulator-contract.test.ts`, `routes-contract.test.ts`): one three-node emulator per file,
 * started before its first test and stopped after its last, the real controller's statuses, and
 * the probe helpers every test uses.
 */
import { type RunningEmulator, startEmulator } from '@linstor-hv/emulator';
import { afterAll, beforeAll, expect } from 'vitest';
import { ContractProbe } from './probe';

export const OK = 200;
export const CREATED = 201;
export const NOT_FOUND = 404;
export const FAILED = 500;
/** Size of the volumes the suites spawn (KiB). */
export const SIZE_KIB = 10 * 1024;

/** What a contract suite gets from useContractEmulator. */
export interface ContractEmulator {
  /** The running emulator (set before the first test). */
  readonly emulator: RunningEmulator;
  /** Every probe made so far, so a last test can check which routes were driven. */
  readonly probes: readonly ContractProbe[];
  /** A new probe against the emulator. */
  probe(): ContractProbe;
}

/** Registers the file's hooks and returns the handle its tests use. */
export function useContractEmulator(): ContractEmulator {
  let running: RunningEmulator | undefined;
  const probes: ContractProbe[] = [];
  beforeAll(async () => {
    running = await startEmulator({ cluster: 'three-node' });
  });
  afterAll(async () => {
    await running?.stop();
  });
  return {
    get emulator() {
      if (!running) throw new Error('the contract emulator is not started yet');
      return running;
    },
    probes,
    probe() {
      const p = new ContractProbe(this.emulator.url);
      probes.push(p);
      return p;
    },
  };
}

/** Fails with every recorded problem of the probe in the message (the count keeps the diff short). */
export function assertClean(p: ContractProbe): void {
  expect(p.problems.length, p.report()).toBe(0);
}

/** Spawns an RD from a resource group with one volume (two thin replicas in `linstor-hv`). */
export async function spawn(p: ContractProbe, name: string, group = 'linstor-hv'): Promise<void> {
  await p.call('POST', `/v1/resource-groups/${group}/spawn`, {
    body: { resource_definition_name: name, volume_sizes: [SIZE_KIB] },
    expect: CREATED,
  });
}
