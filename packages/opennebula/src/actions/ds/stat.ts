/**
 * `ds stat`: the size in MB an image will need (its virtual size, as libfs.sh `fs_size` reports),
 * read before `oneimage create` registers it: qemu-img on local and ssh files, Content-Length for
 * http(s). The same RESTRICTED_DIRS rule as `cp` applies.
 */

import type { ActionContext } from '../../context';
import { MIB } from '../../disks';
import { checkRestricted, sourceSize } from '../../import/source';
import { OneProtocolError, shown } from '../../protocol';
import type { DsStatRequest } from '../../requests/ds';

async function virtualSize(ctx: ActionContext, host: string | undefined, path: string): Promise<number> {
  const executor = host === undefined ? ctx.localExecutor() : ctx.executor(host);
  const { stdout } = await executor.run(['qemu-img', 'info', '--output=json', path], ctx.runOptions());
  const size = (JSON.parse(stdout) as { 'virtual-size'?: number })['virtual-size'];
  if (typeof size !== 'number') throw new OneProtocolError(`qemu-img reports no size for '${shown(path)}'.`);
  return size;
}

export async function dsStat(ctx: ActionContext, request: DsStatRequest): Promise<string> {
  const { source, datastore } = request;
  let bytes: number | undefined;
  if (source.kind === 'file')
    bytes = await virtualSize(ctx, undefined, await checkRestricted(source.path, datastore));
  else if (source.kind === 'ssh') bytes = await virtualSize(ctx, source.host, source.path);
  else bytes = await sourceSize(ctx, source, datastore);
  if (bytes === undefined) {
    throw new OneProtocolError(
      `The size of '${shown(source.kind === 'http' ? source.url : source.path)}' cannot be determined; give the image a SIZE.`,
    );
  }
  return String(Math.max(1, Math.ceil(bytes / MIB)));
}
