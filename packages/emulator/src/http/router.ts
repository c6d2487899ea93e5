/**
 * Route matching by path template, the way JAX-RS matches the controller's resources: paths are
 * case-sensitive, `{name}` matches one segment (percent-decoded), a final `{name:.*}` matches the
 * rest of the path including `/`. Literal segments win over parameters (so
 * `/v1/resource-definitions/properties/info` is not taken as a resource definition name).
 */
import type { RouteDef } from './route';

interface SegmentNode {
  literals: Map<string, SegmentNode>;
  param?: { name: string; node: SegmentNode };
  rest?: { name: string; routes: Map<string, RouteDef> };
  routes: Map<string, RouteDef>;
}

export type RouteMatch =
  | { kind: 'found'; route: RouteDef; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allowed: string[] }
  | { kind: 'not-found' };

const REST_PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)\s*:\s*\.\*\}$/;
const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

function newNode(): SegmentNode {
  return { literals: new Map(), routes: new Map() };
}

function splitPath(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.split('/').slice(1);
}

/** A compiled set of routes. */
export class Router {
  private readonly root = newNode();

  constructor(routes: readonly RouteDef[] = []) {
    for (const route of routes) this.add(route);
  }

  /** Adds a route; a second route with the same method and template is a programming error. */
  add(route: RouteDef): void {
    const segments = splitPath(route.template);
    let node = this.root;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const rest = REST_PARAM.exec(segment);
      if (rest) {
        if (i !== segments.length - 1) throw new Error(`rest parameter must be last in ${route.template}`);
        if (!node.rest) node.rest = { name: rest[1]!, routes: new Map() };
        else if (node.rest.name !== rest[1])
          throw new Error(`conflicting rest parameter in ${route.template}`);
        this.register(node.rest.routes, route);
        return;
      }
      const param = PARAM.exec(segment);
      if (param) {
        if (!node.param) node.param = { name: param[1]!, node: newNode() };
        else if (node.param.name !== param[1]) {
          throw new Error(`parameter {${param[1]}} conflicts with {${node.param.name}} in ${route.template}`);
        }
        node = node.param.node;
      } else {
        let next = node.literals.get(segment);
        if (!next) {
          next = newNode();
          node.literals.set(segment, next);
        }
        node = next;
      }
    }
    this.register(node.routes, route);
  }

  /** Finds the route for `method` and the raw (still percent-encoded) `path`. */
  match(method: string, rawPath: string): RouteMatch {
    const segments = splitPath(rawPath);
    const allowed = new Set<string>();
    const found = this.walk(this.root, segments, 0, method, {}, allowed);
    if (found) return found;
    if (allowed.size > 0) return { kind: 'method-not-allowed', allowed: [...allowed] };
    return { kind: 'not-found' };
  }

  private register(routes: Map<string, RouteDef>, route: RouteDef): void {
    if (routes.has(route.method)) throw new Error(`duplicate route ${route.method} ${route.template}`);
    routes.set(route.method, route);
  }

  private walk(
    node: SegmentNode,
    segments: string[],
    index: number,
    method: string,
    params: Record<string, string>,
    allowed: Set<string>,
  ): RouteMatch | undefined {
    if (index === segments.length) {
      const route = node.routes.get(method);
      if (route) return { kind: 'found', route, params };
      for (const m of node.routes.keys()) allowed.add(m);
    } else {
      const segment = segments[index]!;
      const literal = node.literals.get(segment);
      if (literal) {
        const r = this.walk(literal, segments, index + 1, method, params, allowed);
        if (r) return r;
      }
      if (node.param && segment !== '') {
        const value = decodeSegment(segment);
        if (value !== undefined) {
          const r = this.walk(
            node.param.node,
            segments,
            index + 1,
            method,
            { ...params, [node.param.name]: value },
            allowed,
          );
          if (r) return r;
        }
      }
    }
    if (node.rest) {
      const value = decodeSegment(segments.slice(index).join('/'));
      if (value !== undefined) {
        const route = node.rest.routes.get(method);
        if (route) return { kind: 'found', route, params: { ...params, [node.rest.name]: value } };
        for (const m of node.rest.routes.keys()) allowed.add(m);
      }
    }
    return undefined;
  }
}

function decodeSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
