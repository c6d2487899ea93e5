/** `ds clone`: a new image `OpenNebula-Image-<id>` with the data of the image whose SOURCE is IMAGE/PATH. */

import type { ActionContext } from '../../context';
import { cloneOrFind, MIB } from '../../disks';
import { imageName, oneTags } from '../../names';
import type { DsCloneRequest } from '../../requests/ds';

export async function dsClone(ctx: ActionContext, request: DsCloneRequest): Promise<string> {
  const service = ctx.service(request.datastore);
  const name = imageName(request.imageId);
  const cloned = await cloneOrFind(ctx, service, {
    source: request.sourceName,
    name,
    resourceGroup: request.datastore.resourceGroup,
    props: oneTags({ imageId: request.imageId, dsId: request.datastore.id }),
  });
  if (request.sizeMb * MIB > cloned.sizeBytes)
    await service.resize(name, { sizeBytes: request.sizeMb * MIB }, ctx.call());
  ctx.log.info(`${cloned.existed ? 'found' : 'cloned'} ${request.sourceName} as ${name}`);
  return `${name} raw`;
}
