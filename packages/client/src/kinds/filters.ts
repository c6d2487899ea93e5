import type { QueryParams } from '../transport/types';

/** `limit`/`offset` paging of list calls (`limit` 0 or absent = everything). */
export interface ListPaging {
  limit?: number;
  offset?: number;
}

/**
 * A `props` filter: `["Aux/k=v", "Aux/flag"]` (value must match / key must exist), or a map
 * `{ "Aux/k": "v" }`. All entries must match.
 */
export type PropsFilter = readonly string[] | Readonly<Record<string, string>>;

/** A props filter as repeated `props` query values. */
export function propsQuery(props: PropsFilter | undefined): string[] | undefined {
  if (props === undefined) return undefined;
  if (Array.isArray(props)) return [...(props as readonly string[])];
  return Object.entries(props as Record<string, string>).map(([k, v]) => `${k}=${v}`);
}

/** The paging part of a list query. */
export function paging(p: ListPaging | undefined): QueryParams {
  return { limit: p?.limit, offset: p?.offset };
}
