/**
 * A small long-lived shell that runs GNU cp's sparse copies for the emulator. Starting `cp` from
 * the emulator itself costs a fork of a large Node process each time (several milliseconds of
 * synchronous event-loop time per snapshot, clone or rollback); the shell is small, so its forks
 * are cheap, and the emulator only writes two lines to a pipe per copy.
 *
 * Protocol (one copy at a time per helper): the emulator writes the source and destination paths
 * on two lines, the helper answers cp's exit status on one line. Paths containing a newline cannot
 * be framed this way; the caller runs those with its own cp. The helper exits when its input
 * closes, so it never outlives the emulator by more than the copy it is running.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** What a copy through the helper came to: cp's verdict, or no verdict (the helper is gone). */
export type HelperOutcome = 'copied' | 'cp-failed' | 'unavailable';

const SCRIPT = `while IFS= read -r src && IFS= read -r dst; do
  if cp --sparse=always --reflink=auto -- "$src" "$dst" </dev/null 2>/dev/null; then echo 0; else echo 1; fi
done`;

/** Helpers kept at most: copies run inside serialised store transactions, so one is nearly always enough. */
const MAX_HELPERS = 4;

interface Job {
  src: string;
  dst: string;
  resolve: (outcome: HelperOutcome) => void;
  timer?: NodeJS.Timeout;
}

class CopyHelper {
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private job: Job | undefined;
  private output = '';
  /** Copies this helper answered (a helper that dies before its first answer marks the pool broken). */
  answered = 0;
  dead = false;

  constructor(
    private readonly timeoutMs: number,
    /** Called whenever the helper becomes free or dies. */
    private readonly onFree: (helper: CopyHelper) => void,
  ) {
    // Its own process group, so a timed-out copy can be stopped together with its cp.
    this.child = spawn('/bin/sh', ['-c', SCRIPT], { stdio: ['pipe', 'pipe', 'ignore'], detached: true });
    this.child.on('error', () => this.die());
    this.child.on('exit', () => this.die());
    this.child.stdin.on('error', () => this.die());
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.receive(chunk));
    this.unref();
  }

  get busy(): boolean {
    return this.job !== undefined;
  }

  run(job: Job): void {
    this.job = job;
    this.ref();
    job.timer = setTimeout(() => {
      // cp ran too long: stop the helper and its cp; the caller falls back as after a failed cp.
      this.stop();
      this.finish('cp-failed');
    }, this.timeoutMs);
    this.child.stdin.write(`${job.src}\n${job.dst}\n`);
  }

  private receive(chunk: string): void {
    this.output += chunk;
    for (let newline = this.output.indexOf('\n'); newline >= 0; newline = this.output.indexOf('\n')) {
      const status = this.output.slice(0, newline);
      this.output = this.output.slice(newline + 1);
      this.answered++;
      this.finish(status === '0' ? 'copied' : 'cp-failed');
    }
  }

  private finish(outcome: HelperOutcome): void {
    const job = this.job;
    this.job = undefined;
    if (job) {
      clearTimeout(job.timer);
      job.resolve(outcome);
    }
    this.unref();
    this.onFree(this);
  }

  private die(): void {
    if (this.dead) return;
    this.dead = true;
    this.finish('unavailable');
  }

  private stop(): void {
    this.dead = true;
    try {
      if (this.child.pid !== undefined) process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  /** While a copy runs the helper keeps the process alive; idle, it never does. */
  private ref(): void {
    this.child.ref();
    (this.child.stdout as Readable & { ref?: () => void }).ref?.();
  }

  private unref(): void {
    this.child.unref();
    (this.child.stdout as Readable & { unref?: () => void }).unref?.();
    (this.child.stdin as Writable & { unref?: () => void }).unref?.();
  }
}

/** Runs copies on a few lazily started helpers; a copy waits for a free one. */
class CopyHelperPool {
  private readonly helpers: CopyHelper[] = [];
  private readonly queue: Job[] = [];
  /** Set when a helper died before answering anything: helpers cannot run here. */
  private broken = false;

  constructor(private readonly timeoutMs: number) {}

  copy(src: string, dst: string): Promise<HelperOutcome> {
    if (this.broken || src.includes('\n') || dst.includes('\n')) return Promise.resolve('unavailable');
    return new Promise((resolve) => {
      this.queue.push({ src, dst, resolve });
      this.dispatch();
    });
  }

  private readonly freed = (helper: CopyHelper): void => {
    if (helper.dead) {
      const index = this.helpers.indexOf(helper);
      if (index >= 0) this.helpers.splice(index, 1);
      if (helper.answered === 0) this.broken = true;
    }
    this.dispatch();
  };

  private dispatch(): void {
    if (this.broken) {
      for (const job of this.queue.splice(0)) job.resolve('unavailable');
      return;
    }
    while (this.queue.length > 0) {
      let helper = this.helpers.find((h) => !h.busy && !h.dead);
      if (!helper) {
        if (this.helpers.length >= MAX_HELPERS) return;
        helper = new CopyHelper(this.timeoutMs, this.freed);
        this.helpers.push(helper);
      }
      helper.run(this.queue.shift()!);
    }
  }
}

const pools = new Map<number, CopyHelperPool>();

/**
 * Copies `src` to the new file `dst` with `cp --sparse=always --reflink=auto` run by a helper
 * shell (see the module comment); 'unavailable' when no helper could run it (the caller runs cp
 * itself then).
 */
export function copyWithHelper(src: string, dst: string, timeoutMs: number): Promise<HelperOutcome> {
  let pool = pools.get(timeoutMs);
  if (!pool) {
    pool = new CopyHelperPool(timeoutMs);
    pools.set(timeoutMs, pool);
  }
  return pool.copy(src, dst);
}
