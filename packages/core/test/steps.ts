/**
 * Test fixture shared by the fault and cancellation suites: a verb run clean once to learn its
 * changing steps (the requests that are not GETs, each distinct one once), then disturbed at each
 * step, and finally repeated, which must succeed and leave nothing behind.
 */

import { auditOrphans, describeOrphans } from '../src/audit';
import { OWNER, PLATFORM, type TestCluster } from './cluster';

/** A verb under test and the state it starts from. */
export interface VerbCase {
  /** Puts the cluster into the state the verb starts from. */
  setup(): Promise<void>;
  run(signal?: AbortSignal): Promise<unknown>;
  /** Checks the verb's result (at the data level where it has data). */
  verify(): Promise<void>;
  /** The verb's success leaves something the audit reports by design (a migration in progress). */
  leavesWorkInProgress?: boolean;
}

/** One changing request of a clean run, with its place in the whole request sequence. */
export interface Step {
  method: string;
  path: string;
  /** How many requests (GETs included) came before it. */
  index: number;
}

/** A fault rule's `pathRegex` that matches exactly `path`. */
export function exactPath(path: string): string {
  return `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}

/** What the orphan audit finds of this suite's owner, in words ('' when nothing). */
export async function orphans(cluster: TestCluster): Promise<string> {
  return describeOrphans(await auditOrphans(cluster.client, { platform: PLATFORM, ownerId: OWNER }));
}

/** Runs the verb on a reset cluster without faults and returns its changing steps. */
export async function cleanRunSteps(cluster: TestCluster, verb: VerbCase): Promise<Step[]> {
  const { control } = cluster.emulator;
  await control.reset();
  await verb.setup();
  await control.clearRequests();
  await verb.run();
  await verb.verify();
  const seen = new Set<string>();
  const steps: Step[] = [];
  for (const [index, entry] of (await control.requests()).entries()) {
    const key = `${entry.method} ${entry.path}`;
    if (entry.method === 'GET' || seen.has(key)) continue;
    seen.add(key);
    steps.push({ method: entry.method, path: entry.path, index });
  }
  return steps;
}

/**
 * Repeats the verb after a disturbed run: it must succeed with the right result and, unless it
 * leaves work in progress by design, nothing may be left. Adds what went wrong to `problems`.
 */
export async function repeatSucceeds(
  cluster: TestCluster,
  verb: VerbCase,
  label: string,
  problems: string[],
): Promise<void> {
  try {
    await verb.run();
    await verb.verify();
  } catch (error) {
    problems.push(`${label}: the repeat failed: ${(error as Error).message}`);
    return;
  }
  const left = verb.leavesWorkInProgress ? '' : await orphans(cluster);
  if (left) problems.push(`${label}: after the repeat: ${left}`);
}
