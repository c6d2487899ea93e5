/**
 * Controller endpoints (linstor-api.md §2.1): version, and the controller properties
 * (POST modify → 201, DELETE of one key — which may contain `/` — → 200).
 */
import {
  CREATED,
  DELETED,
  MASK_CRT,
  MASK_CTRL_CONF,
  MASK_DEL,
  type PropsModify,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import type { PropsRec } from '../domain/model';
import { applyPropsModify, controllerProps, validateProps } from '../domain/props';
import { entry, replyEntries } from '../http/apicall';
import { REQUEST_SHAPES } from '../http/request-body';
import { type RouteDef, route } from '../http/route';
import { withObjectBody } from './body';

/** The release the emulator reproduces: LINSTOR v1.34.1 ("prepare release v1.34.1", see linstor-api.md). */
const GIT_HASH = 'c4ba920da9c8';
const BUILD_TIME = '2026-07-09T00:00:00+00:00';

export const controllerRoutes: RouteDef[] = [
  route({
    method: 'GET',
    template: '/v1/controller/version',
    handler: (_req, ctx) => ({
      status: 200,
      json: {
        version: ctx.config.version,
        git_hash: GIT_HASH,
        build_time: BUILD_TIME,
        rest_api_version: ctx.config.restApiVersion,
      },
    }),
  }),
  route({
    method: 'GET',
    template: '/v1/controller/properties',
    // A props map is sent even when empty ({}), so it is written by hand rather than NON_EMPTY-pruned.
    handler: (_req, ctx) => ({ status: 200, json: { ...controllerProps(ctx) } }),
  }),
  route({
    method: 'POST',
    template: '/v1/controller/properties',
    body: REQUEST_SHAPES.ControllerPropsModify,
    handler: withObjectBody((body: PropsModify, _req, ctx) => {
      const opMask = MASK_CRT | MASK_CTRL_CONF;
      validateProps(body.override_props, opMask);
      const before = controllerProps(ctx);
      const after = applyPropsModify(before, body, opMask);
      ctx.store.put<PropsRec>('controller', ['props'], { props: after });
      const entries = [];
      for (const [key, value] of Object.entries(body.override_props ?? {})) {
        entries.push(entry(opMask | CREATED, `Successfully set property '${key}' to value '${value}'`));
      }
      for (const key of Object.keys(before)) {
        if (after[key] === undefined) {
          entries.push(entry(MASK_DEL | MASK_CTRL_CONF | DELETED, `Successfully deleted property '${key}'`));
        }
      }
      return replyEntries(entries, 201);
    }),
  }),
  route({
    method: 'DELETE',
    template: '/v1/controller/properties/{key:.*}',
    handler: (req, ctx) => {
      const key = req.params.key ?? '';
      const props = controllerProps(ctx);
      if (props[key] === undefined) {
        return replyEntries(
          [entry(WARN_NOT_FOUND | MASK_DEL | MASK_CTRL_CONF, `Controller property '${key}' not found.`)],
          200,
        );
      }
      delete props[key];
      ctx.store.put<PropsRec>('controller', ['props'], { props });
      return replyEntries(
        [entry(MASK_DEL | MASK_CTRL_CONF | DELETED, `Successfully deleted property '${key}'`)],
        200,
      );
    },
  }),
];
