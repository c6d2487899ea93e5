import type { ErrorReport } from '@linstor-hv/api';
import { type Exchange, orUndefined } from '../exchange';
import type { CallOptions } from '../transport/types';
import { type ListPaging, paging } from './filters';

/** Filter of `GET /v1/error-reports`. */
export interface ErrorReportFilter extends ListPaging {
  node?: string;
  /** Epoch milliseconds. */
  since?: number;
  /** Epoch milliseconds. */
  to?: number;
  withContent?: boolean;
}

/** Error reports referenced by `error_report_ids`. */
export function errorReportsApi(exchange: Exchange) {
  const api = {
    /** `GET /v1/error-reports`. */
    list: (filter?: ErrorReportFilter, call?: CallOptions) =>
      exchange.getList<ErrorReport>(
        '/v1/error-reports',
        {},
        {
          node: filter?.node,
          since: filter?.since,
          to: filter?.to,
          withContent: filter?.withContent,
          ...paging(filter),
        },
        call,
      ),
    /** `GET /v1/error-reports/{id}` (with its text); undefined when the controller has no such report. */
    get: async (id: string, call?: CallOptions): Promise<ErrorReport | undefined> => {
      const list = await orUndefined(
        exchange.getList<ErrorReport>('/v1/error-reports/{id}', { id }, { withContent: true }, call),
      );
      return list?.[0];
    },
  };
  return api;
}

/** The `errorReports` methods of a LinstorClient. */
export type ErrorReportsApi = ReturnType<typeof errorReportsApi>;
