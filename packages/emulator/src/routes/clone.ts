/**
 * Clone endpoints (linstor-api.md §2.5): `POST .../clone` answers 201 with a
 * `ResourceDefinitionCloneStarted` (on error 500 with the same shape, the errors in `messages`),
 * and `GET .../clone/{clone}` reports CLONING / COMPLETE / FAILED.
 */
import {
  FAIL_NOT_FOUND_RSC_DFN,
  nameKey,
  type ResourceDefinitionCloneRequest,
  type ResourceDefinitionCloneStarted,
} from '@linstor-hv/api';
import { getClone, scheduleClone, setupClone } from '../domain/clone';
import type { RdRec } from '../domain/model';
import { ApiCallError, entry, replyEntries } from '../http/apicall';
import { REQUEST_SHAPES } from '../http/request-body';
import { type EmuReply, type RouteDef, route } from '../http/route';
import { badRequestBody, objectBody } from './body';

function cloneStarted(
  status: number,
  srcName: string,
  cloneName: string,
  messages: ResourceDefinitionCloneStarted['messages'],
): EmuReply {
  const started: ResourceDefinitionCloneStarted = {
    location: `/v1/resource-definitions/${srcName}/clone/${cloneName}`,
    source_name: srcName,
    clone_name: cloneName,
    messages,
  };
  return { status, json: started };
}

export const cloneRoutes: RouteDef[] = [
  route({
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/clone',
    body: REQUEST_SHAPES.ResourceDefinitionCloneRequest,
    // Own transaction: the background copy may only start once the clone's setup is committed.
    transaction: false,
    handler: async (req, ctx) => {
      const srcName = req.params.rd ?? '';
      const body = objectBody<ResourceDefinitionCloneRequest>(req.body);
      const cloneName = typeof body?.name === 'string' ? body.name : '';
      if (!body) {
        const bad = badRequestBody();
        return cloneStarted(500, srcName, cloneName, bad.json as ResourceDefinitionCloneStarted['messages']);
      }
      try {
        const setup = await ctx.store.transaction(() => setupClone(ctx, srcName, body));
        scheduleClone(ctx, setup.src.name, setup.clone.name);
        return cloneStarted(201, setup.src.name, setup.clone.name, setup.entries);
      } catch (err) {
        if (err instanceof ApiCallError) return cloneStarted(500, srcName, cloneName, err.entries);
        throw err;
      }
    },
  }),
  route({
    method: 'GET',
    template: '/v1/resource-definitions/{rd}/clone/{clone}',
    handler: (req, ctx) => {
      const srcName = req.params.rd ?? '';
      const cloneName = req.params.clone ?? '';
      const rec = getClone(ctx, srcName, cloneName);
      if (!rec || !ctx.store.get<RdRec>('rds', [nameKey(cloneName)])) {
        return replyEntries([entry(FAIL_NOT_FOUND_RSC_DFN, 'Cloned resource not found.')], 200);
      }
      return { status: 200, json: { status: rec.status } };
    },
  }),
];
