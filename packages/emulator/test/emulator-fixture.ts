/**
 * One emulator per test file: started before the file's first test and stopped after its last,
 * optionally reset to its initial cluster after every test.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type RunningEmulator, type StartOptions, startEmulator } from '../src/start';

export interface EmulatorFixtureOptions {
  /** Options for `startEmulator` (default: the three-node preset on a temporary data dir). */
  start?: StartOptions;
  /** Restore the initial cluster through the control API after each test. */
  resetAfterEach?: boolean;
  /** Runs before the emulator stops (e.g. to let clone jobs settle). */
  beforeStop?: (emu: RunningEmulator) => Promise<void>;
}

/** Registers the file's hooks; `bind` receives the running emulator before the first test. */
export function useEmulator(options: EmulatorFixtureOptions, bind: (emu: RunningEmulator) => void): void {
  let running: RunningEmulator | undefined;
  beforeAll(async () => {
    running = await startEmulator(options.start);
    bind(running);
  });
  afterAll(async () => {
    if (!running) return;
    await options.beforeStop?.(running);
    await running.stop();
  });
  if (options.resetAfterEach) {
    afterEach(async () => {
      await running?.control.reset();
    });
  }
}
