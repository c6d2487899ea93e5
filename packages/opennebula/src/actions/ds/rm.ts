/** `ds rm`: deletes the image's volume (IMAGE/SOURCE) with its snapshots; already gone succeeds. */

import type { ActionContext } from '../../context';
import type { DsImageSourceRequest } from '../../requests/ds';

export async function dsRm(ctx: ActionContext, request: DsImageSourceRequest): Promise<undefined> {
  const { existed } = await ctx.service(request.datastore).delete(request.source, ctx.call());
  ctx.log.info(existed ? `deleted ${request.source}` : `${request.source} was already gone`);
  return undefined;
}
