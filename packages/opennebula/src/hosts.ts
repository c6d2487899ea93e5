/**
 * The few file operations the TM actions do on hosts, each one argv vector run through the host's
 * ssh executor (so no value from OpenNebula's XML or argv is ever read by a shell as code): the
 * `disk.<n>` link to the DRBD device in the VM directory, its removal, and the VM directory itself.
 */

import { dirname } from 'node:path';
import { PassThrough } from 'node:stream';
import type { ActionContext } from './context';

/** Makes `<vmdir>/disk.<n>` a link to `device` on `host` (replacing an older link). */
export async function linkDisk(
  ctx: ActionContext,
  host: string,
  device: string,
  path: string,
): Promise<void> {
  const executor = ctx.executor(host);
  await executor.run(['mkdir', '-p', dirname(path)], ctx.runOptions());
  await executor.run(['ln', '-sfn', device, path], ctx.runOptions());
}

/** Removes `<vmdir>/disk.<n>` on `host` (a link or a file; already gone is fine). */
export async function unlinkDisk(ctx: ActionContext, host: string, path: string): Promise<void> {
  await ctx.executor(host).run(['rm', '-f', path], ctx.runOptions());
}

/** Removes a VM directory on `host` (already gone is fine). */
export async function removeVmDir(ctx: ActionContext, host: string, dir: string): Promise<void> {
  await ctx.executor(host).run(['rm', '-rf', dir], ctx.runOptions());
}

/** Creates a VM directory on `host`. */
export async function makeVmDir(ctx: ActionContext, host: string, dir: string): Promise<void> {
  await ctx.executor(host).run(['mkdir', '-p', dir], ctx.runOptions());
}

/**
 * Copies a VM directory from one host to another (`tar` piped from the source's ssh to the
 * target's), keeping sparse files sparse; links are copied as links and re-pointed by the disks'
 * own actions.
 */
export async function copyVmDir(
  ctx: ActionContext,
  fromHost: string,
  fromDir: string,
  toHost: string,
  toDir: string,
): Promise<void> {
  const source = ctx.executor(fromHost);
  const exists = await source.pathExists(fromDir);
  await makeVmDir(ctx, toHost, toDir);
  if (!exists) return;
  const pipe = new PassThrough();
  const reading = source.run(
    ['tar', '-C', fromDir, '--sparse', '-cf', '-', '.'],
    ctx.runOptions({ stdout: pipe }),
  );
  const writing = ctx
    .executor(toHost)
    // --ignore-zeros: read to the end of the stream, past the end-of-archive blocks, so the
    // reading side is never cut off while it still writes its padding.
    .run(['tar', '-C', toDir, '--sparse', '--ignore-zeros', '-xf', '-'], ctx.runOptions({ input: pipe }));
  reading.catch((error: unknown) => pipe.destroy(error instanceof Error ? error : new Error(String(error))));
  await Promise.all([reading, writing]);
}
