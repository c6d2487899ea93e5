/**
 * Object counts (linstor-server's rest/v1/Stats.java): `{ "count": N }` for nodes, resource
 * groups, resource definitions, resources, storage pools and error reports.
 */
import type { RouteDef } from '../http/route';

const COUNTED: readonly [path: string, collection: string][] = [
  ['nodes', 'nodes'],
  ['resource-groups', 'rgs'],
  ['resource-definitions', 'rds'],
  ['resources', 'resources'],
  ['storage-pools', 'pools'],
  ['error-reports', 'errorReports'],
];

export const statsRoutes: RouteDef[] = COUNTED.map(([path, collection]) => ({
  method: 'GET',
  template: `/v1/stats/${path}`,
  handler: (_req, ctx) => ({ status: 200, json: { count: ctx.store.count(collection) } }),
}));
