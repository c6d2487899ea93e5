import { dirname } from 'node:path';
import { makePrivateDirectory, readWithoutFollowing, replacePrivateFile } from '../private-file';
import { type Controller, sameHost } from './controller';

interface StateFileContent {
  configured: string;
  origin: string;
  /** When the controller last answered (informational; a new process still probes it once). */
  savedAt: number;
}

/**
 * The small file that remembers the last good controller across processes, so a short-lived
 * process starts with the controller the previous one found. Written only when the choice changes.
 */
export class ControllerStateFile {
  /** The preference last written to (or read from) the file. */
  private saved: string | undefined;

  constructor(private readonly file: string | undefined) {}

  /** The remembered controller among `controllers` (upgraded to its remembered HTTPS origin), if any. */
  load(controllers: readonly Controller[]): Controller | undefined {
    if (!this.file) return undefined;
    let state: Partial<StateFileContent>;
    try {
      state = JSON.parse(readWithoutFollowing(this.file)) as Partial<StateFileContent>;
    } catch {
      return undefined; // Missing or damaged state only costs the first call a probe.
    }
    const match = controllers.find((c) => c.address.origin === state.configured);
    if (!match) return undefined;
    if (typeof state.origin === 'string' && state.origin.startsWith('https://') && !match.isHttps) {
      const remembered = new URL(state.origin);
      if (sameHost(remembered.hostname, match.address.host)) match.upgrade(state.origin);
    }
    // Only the order is taken from the file: the remembered controller is still health-checked
    // once, so a controller that died since then cannot swallow a POST.
    this.saved = `${match.address.origin}|${match.origin}`;
    return match;
  }

  /** Remembers `ctrl`; never fails the call (the file is an optimisation). */
  save(ctrl: Controller): void {
    if (!this.file) return;
    const key = `${ctrl.address.origin}|${ctrl.origin}`;
    if (key === this.saved) return;
    const content: StateFileContent = {
      configured: ctrl.address.origin,
      origin: ctrl.origin,
      savedAt: Date.now(),
    };
    try {
      makePrivateDirectory(dirname(this.file));
      replacePrivateFile(this.file, `${JSON.stringify(content)}\n`);
      this.saved = key;
    } catch {
      // An unwritable or tampered location must not fail the call: the file is an optimisation.
    }
  }
}
