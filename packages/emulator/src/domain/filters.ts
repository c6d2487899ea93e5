/**
 * List-filter semantics shared by the list endpoints (linstor-api.md §1 "Name filters", "props
 * filter", "Pagination"): repeated query keys, case-insensitive names (a full-match regex when a
 * metacharacter is present), `props=key[=value]` (case-sensitive regex since API 1.28), limit/offset.
 */
import { FILTER_REGEX_METACHARACTERS, nameKey, type Props } from '@linstor-hv/api';

/** The values of a repeated query parameter (`?nodes=a&nodes=b`); commas are not split. */
export function queryList(query: URLSearchParams, key: string): string[] {
  return query.getAll(key).filter((v) => v !== '');
}

/** True when the query flag is `true` (case-insensitive), as JAX-RS parses booleans. */
export function queryFlag(query: URLSearchParams, key: string): boolean {
  return (query.get(key) ?? '').toLowerCase() === 'true';
}

/** A compiled name filter: exact upper-cased keys plus full-match regexes. */
export interface NameFilter {
  /** Exact name keys (upper-cased) when every value was a plain name, usable for direct lookups. */
  readonly exactKeys: readonly string[];
  /** True when at least one value is a regular expression (so a direct lookup is not enough). */
  readonly hasRegex: boolean;
  matches(name: string): boolean;
}

/**
 * Compiles the values of a name filter; an empty list matches everything. An invalid regex is a
 * server error in the real controller; here it throws, which the pipeline turns into a 500.
 */
export function nameFilter(values: readonly string[]): NameFilter | undefined {
  if (values.length === 0) return undefined;
  const exact = new Set<string>();
  const regexes: RegExp[] = [];
  for (const v of values) {
    if (FILTER_REGEX_METACHARACTERS.test(v)) regexes.push(new RegExp(`^(?:${v})$`, 'i'));
    else exact.add(nameKey(v));
  }
  return {
    exactKeys: [...exact],
    hasRegex: regexes.length > 0,
    matches: (name: string) => exact.has(nameKey(name)) || regexes.some((r) => r.test(name)),
  };
}

/** Compiles `props=key` / `props=key=value` filters (all must match); undefined when none given. */
export function propsFilter(values: readonly string[]): ((props: Props) => boolean) | undefined {
  if (values.length === 0) return undefined;
  const tests = values.map((raw) => {
    const eq = raw.indexOf('=');
    const key = eq < 0 ? raw : raw.slice(0, eq);
    const value = eq < 0 ? undefined : raw.slice(eq + 1);
    const keyTest = matcher(key);
    const valueTest = value === undefined ? undefined : matcher(value);
    return (props: Props) =>
      Object.entries(props).some(([k, v]) => keyTest(k) && (valueTest === undefined || valueTest(v)));
  });
  return (props) => tests.every((t) => t(props));
}

/**
 * The `key=value` props filters whose key and value are both plain (no regex): an object matches
 * the whole filter only if it has each of these props with exactly this value.
 */
export function exactPropsPairs(values: readonly string[]): [key: string, value: string][] {
  const pairs: [string, string][] = [];
  for (const raw of values) {
    const eq = raw.indexOf('=');
    if (eq < 0) continue;
    const key = raw.slice(0, eq);
    const value = raw.slice(eq + 1);
    if (!FILTER_REGEX_METACHARACTERS.test(key) && !FILTER_REGEX_METACHARACTERS.test(value)) {
      pairs.push([key, value]);
    }
  }
  return pairs;
}

function matcher(pattern: string): (s: string) => boolean {
  if (!FILTER_REGEX_METACHARACTERS.test(pattern)) return (s) => s === pattern;
  const re = new RegExp(`^(?:${pattern})$`);
  return (s) => re.test(s);
}

/** Applies `limit`/`offset`; `limit=0` (the default) means no limit, as in the server. */
export function paginate<T>(items: T[], query: URLSearchParams): T[] {
  const limit = Number.parseInt(query.get('limit') ?? '0', 10) || 0;
  const offset = Math.max(0, Number.parseInt(query.get('offset') ?? '0', 10) || 0);
  if (limit <= 0) return items;
  return items.slice(offset, offset + limit);
}
