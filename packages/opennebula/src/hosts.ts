/**
 * The few file operations the TM actions do on hosts, each one argv vector run through the host's
 * ssh executor (so no value from OpenNebula's XML or argv is ever read by a shell as code): the
 * `disk.<n>` link to the DRBD device in the VM directory, its removal, and the VM directory itself.
 */

import { dirname } from 'node:path';
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
