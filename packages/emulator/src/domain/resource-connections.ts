/**
 * Resource connections (linstor-api.md §2.7): the view of the connection between two resources of
 * an RD and its properties. A connection without props or flags is not stored, as the controller
 * keeps none for it.
 */
import type { PropsModify } from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import type { RdRec, RscConnRec, RscRec } from './model';
import { applyPropsModify, rscConnKey } from './props';

/** The ResourceConnection view between resources `a` and `b` of `rd`. */
export function connView(ctx: EmulatorContext, rd: RdRec, a: RscRec, b: RscRec): Record<string, unknown> {
  const conn = ctx.store.get<RscConnRec>('rscConns', rscConnKey(rd.name, a.nodeName, b.nodeName));
  return {
    node_a: a.nodeName,
    node_b: b.nodeName,
    props: conn?.props,
    flags: conn?.flags,
  };
}

/** Applies a PropsModify to the connection between `a` and `b` (the record goes when it is left empty). */
export function modifyResourceConnection(
  ctx: EmulatorContext,
  rd: RdRec,
  a: RscRec,
  b: RscRec,
  body: PropsModify,
  mask: bigint,
): void {
  const key = rscConnKey(rd.name, a.nodeName, b.nodeName);
  const conn = ctx.store.get<RscConnRec>('rscConns', key) ?? {
    rdName: rd.name,
    nodeA: a.nodeName,
    nodeB: b.nodeName,
    props: {},
    flags: [],
  };
  const props = applyPropsModify(conn.props, body, mask);
  if (Object.keys(props).length === 0 && conn.flags.length === 0) ctx.store.delete('rscConns', key);
  else ctx.store.put<RscConnRec>('rscConns', key, { ...conn, props });
}
