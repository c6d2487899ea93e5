/** `tm ln`: a persistent image (or a CDROM) used in place: attached on the host and linked. */

import type { ActionContext } from '../../context';
import { attachAndLink } from '../../disks';
import type { TmImageDiskRequest } from '../../requests/tm';

export async function tmLn(ctx: ActionContext, request: TmImageDiskRequest): Promise<undefined> {
  ctx.nodeOf(request.target.host);
  const datastore = await ctx.onedatastore(request.dsId);
  await attachAndLink(ctx, ctx.service(datastore), request.source, request.target.host, request.target.path);
  ctx.log.info(`linked ${request.source} on ${request.target.host}`);
  return undefined;
}
