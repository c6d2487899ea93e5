/**
 * The hypervisor's view (emulator control API, outside /v1, never authenticated): open and close
 * a resource's device on a node the way QEMU would, and the DRBD promotion event stream
 * `GET /v1/events/drbd/promotion` that LINSTOR clients watch.
 *
 *   POST /emulator/devices/{node}/{rd}/open   {mode: 'rw'|'ro', volume?}  → 200 {resource_name, node_name, mode, in_use}
 *   POST /emulator/devices/{node}/{rd}/close                              → 200 {resource_name, node_name, in_use}
 *
 * Refusals are `{"error": "..."}` with 400 (bad body), 404 (nothing deployed there) or 409 (no
 * UpToDate data reachable, or a second writer without dual-primary).
 */
import { nameKey } from '@linstor-hv/api';
import {
  closeDevice,
  openDevice,
  PROMOTION_STREAM,
  promotionStates,
  withPromotionEvents,
} from '../domain/devices';
import { getRsc, vdsOf } from '../domain/lookup';
import type { RdRec } from '../domain/model';
import { type RouteDef, route } from '../http/route';

function refusal(status: number, error: string) {
  return { status, json: { error } };
}

export const deviceRoutes: RouteDef[] = [
  route({
    method: 'POST',
    template: '/emulator/devices/{node}/{rd}/open',
    handler: (req, ctx) => {
      const body = (req.body ?? {}) as { mode?: unknown; volume?: unknown };
      if (typeof body !== 'object' || Array.isArray(body))
        return refusal(400, 'The body must be a JSON object.');
      const mode = body.mode ?? 'rw';
      if (mode !== 'rw' && mode !== 'ro')
        return refusal(400, `mode must be 'rw' or 'ro', not ${JSON.stringify(mode)}.`);
      const rd = ctx.store.get<RdRec>('rds', [nameKey(req.params.rd)]);
      if (!rd) return refusal(404, `Resource definition '${req.params.rd}' not found.`);
      if (body.volume !== undefined && !vdsOf(ctx, rd.name).some((vd) => vd.volumeNumber === body.volume)) {
        return refusal(404, `Resource '${rd.name}' has no volume ${JSON.stringify(body.volume)}.`);
      }
      const refused = withPromotionEvents(ctx, rd, () => openDevice(ctx, rd, req.params.node, mode));
      if (refused) return refusal(refused.status, refused.error);
      const rsc = getRsc(ctx, rd.name, req.params.node)!;
      return { status: 200, json: { resource_name: rd.name, node_name: rsc.nodeName, mode, in_use: true } };
    },
  }),
  route({
    method: 'POST',
    template: '/emulator/devices/{node}/{rd}/close',
    handler: (req, ctx) => {
      const rd = ctx.store.get<RdRec>('rds', [nameKey(req.params.rd)]);
      if (!rd) return refusal(404, `Resource definition '${req.params.rd}' not found.`);
      const rsc = getRsc(ctx, rd.name, req.params.node);
      if (!rsc) return refusal(404, `Resource '${rd.name}' is not deployed on node '${req.params.node}'.`);
      withPromotionEvents(ctx, rd, () => closeDevice(ctx, rd, rsc.nodeName));
      return { status: 200, json: { resource_name: rd.name, node_name: rsc.nodeName, in_use: false } };
    },
  }),
  route({
    method: 'GET',
    template: '/v1/events/drbd/promotion',
    handler: (_req, ctx) => ({
      status: 200,
      sse: (send, signal, lastEventId) => {
        // Subscribe first so that no change between the snapshot and the subscription is lost.
        const unsubscribe = ctx.subscribe(PROMOTION_STREAM, send);
        signal.addEventListener('abort', unsubscribe, { once: true });
        if (lastEventId === 'current') {
          for (const rd of ctx.store.list<RdRec>('rds')) {
            for (const state of promotionStates(ctx, rd)) send('may-promote-change', state);
          }
        }
      },
    }),
  }),
];
