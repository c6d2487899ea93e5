/**
 * Error reports (linstor-api.md §2.12): every unexpected failure of a request is recorded with an
 * id of the controller's form `<instance>-<node>-<sequence>`, which the failing reply lists in
 * `error_report_ids`. List (filters node/since/to, `withContent`) and get by id (a list, as the spec says).
 */
import { type ErrorReport, sameName } from '@linstor-hv/api';
import { paginate, queryFlag } from '../domain/filters';
import type { ErrorReportRec } from '../domain/model';
import { type RouteDef, route } from '../http/route';

function reportView(rec: ErrorReportRec, version: string, withContent: boolean): ErrorReport {
  const firstLine = rec.text.split('\n').find((l) => l.trim() !== '') ?? '';
  const view: ErrorReport = {
    node_name: rec.nodeName,
    error_time: rec.time,
    filename: `ErrorReport-${rec.id}.log`,
    module: 'CONTROLLER',
    version,
    exception_message: firstLine,
  };
  if (withContent) view.text = rec.text;
  return view;
}

function timeBound(query: URLSearchParams, key: string): number | undefined {
  const raw = query.get(key);
  if (raw === null || raw === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

export const errorReportRoutes: RouteDef[] = [
  route({
    method: 'GET',
    template: '/v1/error-reports',
    handler: (req, ctx) => {
      const node = req.query.get('node');
      const since = timeBound(req.query, 'since');
      const to = timeBound(req.query, 'to');
      const withContent = queryFlag(req.query, 'withContent');
      const reports = ctx.store
        .list<ErrorReportRec>('errorReports')
        .filter((r) => !node || sameName(r.nodeName, node))
        .filter((r) => (since === undefined || r.time >= since) && (to === undefined || r.time <= to))
        .sort((a, b) => a.time - b.time || a.id.localeCompare(b.id));
      return {
        status: 200,
        json: paginate(reports, req.query).map((r) => reportView(r, ctx.config.version, withContent)),
      };
    },
  }),
  route({
    method: 'GET',
    template: '/v1/error-reports/{reportid}',
    handler: (req, ctx) => {
      const rec = ctx.store.get<ErrorReportRec>('errorReports', [req.params.reportid]);
      const withContent = req.query.get('withContent') === null || queryFlag(req.query, 'withContent');
      return { status: 200, json: rec ? [reportView(rec, ctx.config.version, withContent)] : [] };
    },
  }),
];
