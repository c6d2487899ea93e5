/**
 * Validates LINSTOR REST v1 request and response bodies against the official OpenAPI 3.0 contract
 * (`rest_v1_openapi.yaml`, found by `locateSpec`, loaded at run time and never copied into this tree).
 *
 * The only relaxations of the contract are the entries of `DEVIATIONS` (deviations.ts); every result
 * names the deviations it relied on, and every violation names the endpoint, the status, the JSON
 * pointer into the body and the schema rule (keyword and its location in the spec) that failed.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse as parseYaml } from 'yaml';
import { DEVIATIONS, type Deviation, type DeviationRule, type HttpMethod } from './deviations';
import { findSpec } from './spec-source.mjs';

export type { HttpMethod } from './deviations';

const HTTP_METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
/** Base URI under which component schemas are registered with ajv. */
const SCHEMA_BASE = 'linstor-openapi:/components/schemas/';

// ---------------------------------------------------------------------------------------------------
// Minimal shapes of the OpenAPI 3.0 document parts this module reads.

type JsonObject = Record<string, unknown>;

interface MediaTypeObject {
  schema?: JsonObject;
}
interface ResponseObject {
  $ref?: string;
  description?: string;
  content?: Record<string, MediaTypeObject>;
}
interface RequestBodyObject {
  $ref?: string;
  required?: boolean;
  content?: Record<string, MediaTypeObject>;
}
interface ParameterObject {
  $ref?: string;
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonObject;
}
export interface OperationObject {
  operationId?: string;
  parameters?: ParameterObject[];
  requestBody?: RequestBodyObject;
  responses: Record<string, ResponseObject>;
}
type PathItemObject = Partial<Record<Lowercase<HttpMethod>, OperationObject>> & {
  parameters?: ParameterObject[];
};
interface OpenApiDocument {
  openapi: string;
  info: { version: string };
  paths: Record<string, PathItemObject>;
  components: {
    schemas: Record<string, JsonObject>;
    parameters?: Record<string, ParameterObject>;
    responses?: Record<string, ResponseObject>;
    requestBodies?: Record<string, RequestBodyObject>;
  };
}

// ---------------------------------------------------------------------------------------------------
// Results.

export interface SchemaViolation {
  /** JSON pointer into the validated body ("" is the whole body). */
  pointer: string;
  /** The failed rule: a JSON-schema keyword, or `status` / `route` / `body` for contract-level checks. */
  keyword: string;
  /** Where the failed rule lives in the spec, e.g. `#/components/schemas/Node/properties/type/enum`. */
  schemaLocation: string;
  message: string;
}

export interface ValidationResult {
  valid: boolean;
  /** `METHOD /path` as requested (query string removed, except in parameter checks). */
  endpoint: string;
  /** The spec path template the path matched, when it matched one. */
  template?: string;
  /** The response status checked; absent for requests. */
  status?: number;
  /** What of a request was checked, when not its body (e.g. "request parameters"). */
  subject?: string;
  /** The schema the body was validated against, or absent when nothing was validated. */
  schemaLocation?: string;
  /** Ids of the `DEVIATIONS` entries this result relied on. */
  appliedDeviations: string[];
  /** Why the body was not validated at all (e.g. a path outside the LINSTOR API). */
  notValidatedBecause?: string;
  violations: SchemaViolation[];
  /**
   * Object properties in the body that the spec does not declare for that object (JSON pointers).
   * The spec's objects are open, so these do not make the body invalid; but the controller's JSON
   * classes (`JsonGenTypes`) are generated from this very spec, so a real controller never sends an
   * undeclared property and never reads one from a request. Callers treat them as findings.
   */
  undeclaredProperties: string[];
}

/** A human-readable multi-line description of a result, used in assertion messages. */
export function describeResult(result: ValidationResult): string {
  const head =
    `${result.endpoint}` +
    (result.status === undefined ? ` (${result.subject ?? 'request body'})` : ` → ${result.status}`) +
    (result.template && result.template !== stripQuery(result.endpoint.split(' ')[1] ?? '')
      ? ` [route ${result.template}]`
      : '') +
    (result.schemaLocation ? ` against ${result.schemaLocation}` : '') +
    (result.appliedDeviations.length > 0 ? ` (deviations: ${result.appliedDeviations.join(', ')})` : '');
  const undeclared = result.undeclaredProperties.map(
    (pointer) => `  at ${pointer}: property not declared by the spec [undeclared @ ${result.schemaLocation}]`,
  );
  if (result.valid) {
    const note = result.notValidatedBecause ? ` (${result.notValidatedBecause})` : '';
    if (undeclared.length === 0) return `${head}: valid${note}`;
    return `${head}: valid, ${undeclared.length} undeclared propert(ies)\n${undeclared.join('\n')}`;
  }
  const lines = result.violations.map(
    (v) =>
      `  at ${v.pointer === '' ? '(body)' : v.pointer}: ${v.message} [${v.keyword} @ ${v.schemaLocation}]`,
  );
  return `${head}: ${result.violations.length} violation(s)\n${[...lines, ...undeclared].join('\n')}`;
}

// ---------------------------------------------------------------------------------------------------
// Locating and loading the spec.

/**
 * The path of the spec: `$LINSTOR_OPENAPI`, else `shared/linstor/rest_v1_openapi.yaml` beside an
 * ancestor of `startDir`, else the verified download `.ci/setup` keeps in `test/contract/.cache/`.
 * Throws with one line saying why and how to get the file when there is none (suites that need the
 * spec check `findSpec()` first and are skipped instead).
 */
export function locateSpec(options: Parameters<typeof findSpec>[0] = {}): string {
  const lookup = findSpec(options);
  if (!lookup.found) throw new Error(lookup.reason);
  return lookup.path;
}

/** Escapes one JSON-pointer reference token (RFC 6901). */
function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function stripQuery(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function componentName(ref: string): string | undefined {
  const prefix = '#/components/schemas/';
  return ref.startsWith(prefix) ? ref.slice(prefix.length) : undefined;
}

function deviationsOf<K extends DeviationRule['kind']>(
  kind: K,
): Array<Deviation & { rule: Extract<DeviationRule, { kind: K }> }> {
  return DEVIATIONS.filter(
    (d): d is Deviation & { rule: Extract<DeviationRule, { kind: K }> } => d.rule.kind === kind,
  );
}

// ---------------------------------------------------------------------------------------------------
// Schema preparation: OpenAPI 3.0 schema objects → JSON-schema draft-07 objects for ajv.

/** Which deviations a schema engine applies: those for requests, for responses, or none. */
type Direction = 'request' | 'response' | 'unmodified';

/**
 * Produces a draft-07 copy of an OpenAPI schema: `$ref`s point at the registered component ids, the
 * OpenAPI 3.0 boolean `exclusiveMinimum/Maximum` become draft-07 numbers, and every copied sub-schema
 * is remembered with its location in the spec so that failures can name the spec rule.
 */
class SchemaTranslator {
  readonly locations = new WeakMap<object, string>();

  translate(node: unknown, location: string): unknown {
    if (Array.isArray(node)) return node.map((item, i) => this.translate(item, `${location}/${i}`));
    if (!isObject(node)) return node;
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      const childLocation = `${location}/${escapePointerToken(key)}`;
      if (key === '$ref' && typeof value === 'string') {
        const name = componentName(value);
        if (name === undefined) throw new Error(`Unsupported $ref ${value} at ${location}`);
        out.$ref = SCHEMA_BASE + name;
      } else if (key === 'properties' || key === 'patternProperties') {
        // Keys of these maps are property names, not keywords: translate each value, keep each key.
        const props: JsonObject = {};
        for (const [prop, sub] of Object.entries(value as JsonObject)) {
          props[prop] = this.translate(sub, `${childLocation}/${escapePointerToken(prop)}`);
        }
        out[key] = props;
      } else if (key === 'example' || key === 'examples') {
        // Examples are documentation; they are not schemas and must not be walked as such.
        out[key] = value;
      } else {
        out[key] = this.translate(value, childLocation);
      }
    }
    for (const bound of ['Minimum', 'Maximum'] as const) {
      const flag = out[`exclusive${bound}`];
      const limit = out[bound.toLowerCase()];
      if (typeof flag === 'boolean') {
        if (flag && typeof limit === 'number') {
          out[`exclusive${bound}`] = limit;
          delete out[bound.toLowerCase()];
        } else {
          delete out[`exclusive${bound}`];
        }
      }
    }
    this.locations.set(out, location);
    return out;
  }
}

/** Applies the schema-level deviations for one direction to the translated component schemas. */
function applySchemaDeviations(
  schemas: Record<string, JsonObject>,
  direction: Direction,
  translator: SchemaTranslator,
): Map<string, string[]> {
  /** Component name → deviation ids that changed it. */
  const touched = new Map<string, string[]>();
  const note = (name: string, id: string) => touched.set(name, [...(touched.get(name) ?? []), id]);

  if (direction === 'response') {
    for (const deviation of deviationsOf('extra-enum-values')) {
      const { schema, property, extraValues } = deviation.rule;
      const props = schemas[schema]?.properties;
      const target = isObject(props) ? props[property] : undefined;
      if (!isObject(target) || !Array.isArray(target.enum)) {
        throw new Error(`Deviation ${deviation.id}: ${schema}.${property} has no enum in the spec`);
      }
      target.enum = [...target.enum, ...extraValues];
      note(schema, deviation.id);
    }
  }
  if (direction === 'request') {
    for (const deviation of deviationsOf('optional-request-property')) {
      const { schema, property } = deviation.rule;
      const target = schemas[schema];
      if (!target || !Array.isArray(target.required) || !target.required.includes(property)) {
        throw new Error(`Deviation ${deviation.id}: ${schema}.${property} is not required in the spec`);
      }
      target.required = target.required.filter((name) => name !== property);
      note(schema, deviation.id);
    }
  }
  for (const deviation of deviationsOf('layer-data-by-type')) {
    const { schema, property, branches } = deviation.rule;
    const target = schemas[schema];
    const props = target?.properties;
    const original = isObject(props) ? props[property] : undefined;
    if (!target || !isObject(props) || !isObject(original) || !Array.isArray(original.oneOf)) {
      throw new Error(`Deviation ${deviation.id}: ${schema}.${property} is not a oneOf in the spec`);
    }
    const location = translator.locations.get(original) ?? `#/components/schemas/${schema}`;
    const declared = new Set(original.oneOf.map((b) => (isObject(b) ? b.$ref : undefined)));
    // With no `type`, the payload may be any declared layer payload.
    const anyBranch: JsonObject = { anyOf: original.oneOf };
    translator.locations.set(anyBranch, `${location} (${deviation.id}: no type given)`);
    props[property] = anyBranch;
    const conditions: JsonObject[] = [];
    for (const [layerType, branch] of Object.entries(branches)) {
      const ref = SCHEMA_BASE + branch;
      if (!declared.has(ref))
        throw new Error(`Deviation ${deviation.id}: ${branch} is not a branch of the oneOf`);
      const then: JsonObject = { properties: { [property]: { $ref: ref } } };
      translator.locations.set(then, `${location} (${deviation.id}: type ${layerType} → ${branch})`);
      const condition: JsonObject = {
        if: { required: ['type'], properties: { type: { const: layerType } } },
        then,
      };
      translator.locations.set(condition, `${location} (${deviation.id}: payload of type ${layerType})`);
      conditions.push(condition);
    }
    target.allOf = [...(Array.isArray(target.allOf) ? target.allOf : []), ...conditions];
    note(schema, deviation.id);
  }
  return touched;
}

// ---------------------------------------------------------------------------------------------------
// The contract.

interface RouteCandidate {
  template: string;
  segments: string[];
  /** Name of the last parameter when it may span several segments. */
  greedyParameter?: string;
  greedyDeviation?: string;
}

export interface RouteMatch {
  method: HttpMethod;
  template: string;
  params: Record<string, string>;
  /** The spec's operation; absent when the route exists only through a deviation. */
  operation?: OperationObject;
  /** Ids of deviations needed to match this route at all. */
  deviations: string[];
}

interface SelectedSchema {
  schema?: JsonObject;
  location?: string;
  /** Why there is no schema to check against (then the status itself is the problem, or no body). */
  problem?: SchemaViolation;
  deviations: string[];
}

class Contract {
  private readonly spec: OpenApiDocument;
  private readonly routes: RouteCandidate[];
  private readonly validators = new Map<string, { validate: ValidateFunction; translated: JsonObject }>();
  private readonly engines: Record<
    Direction,
    {
      ajv: Ajv;
      translator: SchemaTranslator;
      touched: Map<string, string[]>;
      schemas: Record<string, JsonObject>;
    }
  >;

  constructor(specPath: string) {
    this.spec = parseYaml(readFileSync(specPath, 'utf8')) as OpenApiDocument;
    if (!this.spec?.openapi?.startsWith('3.0')) {
      throw new Error(`${specPath} is not an OpenAPI 3.0 document (openapi: ${String(this.spec?.openapi)})`);
    }
    this.routes = Object.keys(this.spec.paths).map((template) => {
      const greedy = deviationsOf('greedy-path-parameter').find((d) => d.rule.template === template);
      return {
        template,
        segments: template.split('/').slice(1),
        ...(greedy ? { greedyParameter: greedy.rule.parameter, greedyDeviation: greedy.id } : {}),
      };
    });
    this.engines = {
      request: this.buildEngine('request'),
      response: this.buildEngine('response'),
      unmodified: this.buildEngine('unmodified'),
    };
  }

  get apiVersion(): string {
    return this.spec.info.version;
  }

  private buildEngine(direction: Direction) {
    const translator = new SchemaTranslator();
    const ajv = new Ajv({
      allErrors: true,
      verbose: true,
      // Every strict check is on: an OpenAPI keyword this module does not handle must fail loudly
      // instead of being silently ignored (compileAllSchemas() proves the whole spec compiles).
      strict: true,
      discriminator: true,
    });
    // OpenAPI 3.0 annotations with no validation meaning.
    ajv.addKeyword({ keyword: 'example' });
    ajv.addKeyword({ keyword: 'xml' });
    ajv.addKeyword({ keyword: 'externalDocs' });
    const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
    addFormats(ajv);
    const schemas: Record<string, JsonObject> = {};
    for (const [name, schema] of Object.entries(this.spec.components.schemas)) {
      schemas[name] = translator.translate(
        schema,
        `#/components/schemas/${escapePointerToken(name)}`,
      ) as JsonObject;
    }
    const touched =
      direction === 'unmodified'
        ? new Map<string, string[]>()
        : applySchemaDeviations(schemas, direction, translator);
    for (const [name, schema] of Object.entries(schemas)) ajv.addSchema(schema, SCHEMA_BASE + name);
    return { ajv, translator, touched, schemas };
  }

  /** Compiles every component schema for every engine; returns `engine schema: error` lines. */
  compileAll(): string[] {
    const failures: string[] = [];
    for (const [direction, engine] of Object.entries(this.engines)) {
      for (const name of Object.keys(this.spec.components.schemas)) {
        try {
          engine.ajv.getSchema(SCHEMA_BASE + name);
        } catch (error) {
          failures.push(`${direction} ${name}: ${(error as Error).message}`);
        }
      }
    }
    return failures;
  }

  // ----- routes

  findRoute(method: HttpMethod, rawPath: string): RouteMatch | undefined {
    const segments = stripQuery(rawPath).split('/').slice(1).map(safeDecode);
    let best: { candidate: RouteCandidate; params: Record<string, string>; rank: number[] } | undefined;
    for (const candidate of this.routes) {
      if (!this.hasMethod(candidate.template, method)) continue;
      const matched = matchTemplate(candidate, segments);
      if (!matched) continue;
      if (!best || compareRanks(matched.rank, best.rank) > 0) best = { candidate, ...matched };
    }
    if (!best) return undefined;
    const operation = this.spec.paths[best.candidate.template]?.[lower(method)];
    const deviations: string[] = [];
    if (best.candidate.greedyDeviation && best.params[best.candidate.greedyParameter ?? '']?.includes('/')) {
      deviations.push(best.candidate.greedyDeviation);
    }
    // Also where the spec has the operation but declares a list the controller never sends.
    const single = this.singleObjectDeviation(method, best.candidate.template);
    if (single) deviations.push(single.id);
    return {
      method,
      template: best.candidate.template,
      params: best.params,
      ...(operation ? { operation } : {}),
      deviations,
    };
  }

  private hasMethod(template: string, method: HttpMethod): boolean {
    return (
      this.spec.paths[template]?.[lower(method)] !== undefined ||
      this.singleObjectDeviation(method, template) !== undefined
    );
  }

  private singleObjectDeviation(method: HttpMethod, template: string) {
    if (method !== 'GET') return undefined;
    return deviationsOf('single-object-get').find((d) => d.rule.template === template);
  }

  // ----- schema selection

  private resolveResponse(
    response: ResponseObject,
  ): { response: ResponseObject; location: string } | undefined {
    if (response.$ref) {
      const name = response.$ref.replace('#/components/responses/', '');
      const target = this.spec.components.responses?.[name];
      return target ? { response: target, location: `#/components/responses/${name}` } : undefined;
    }
    return { response, location: '' };
  }

  private jsonSchemaOf(
    content: Record<string, MediaTypeObject> | undefined,
    location: string,
    mediaType = 'application/json',
  ) {
    const schema = content?.[mediaType]?.schema;
    return schema
      ? { schema, location: `${location}/content/${escapePointerToken(mediaType)}/schema` }
      : undefined;
  }

  private selectResponseSchema(route: RouteMatch, status: number, mediaType: string): SelectedSchema {
    const deviations = [...route.deviations];
    const endpointLocation = `#/paths/${escapePointerToken(route.template)}/${lower(route.method)}`;
    const isError = status >= 400;

    if (isError) {
      const shape = deviationsOf('error-reply-shape').find(
        (d) => d.rule.method === route.method && d.rule.template === route.template,
      );
      if (shape) return this.component(shape.rule.schema, [...deviations, shape.id]);
    }

    const singleInstead =
      route.operation && !isError && this.singleObjectDeviation(route.method, route.template);
    if (!route.operation || singleInstead) {
      // Reachable only through a single-object-get deviation, or its 200 body replaced by one.
      const single = this.singleObjectDeviation(route.method, route.template);
      if (!single) throw new Error(`No operation and no deviation for ${route.method} ${route.template}`);
      const errorList = isError ? this.errorList(deviations) : undefined;
      if (errorList) return errorList;
      if (status !== 200) {
        return {
          deviations,
          problem: statusProblem(status, ['200'], `deviations.ts ${single.id}`),
        };
      }
      const listOp = this.spec.paths[single.rule.listTemplate]?.get;
      const listLocation = `#/paths/${escapePointerToken(single.rule.listTemplate)}/get/responses/200`;
      const list =
        listOp?.responses['200'] && this.jsonSchemaOf(listOp.responses['200'].content, listLocation);
      if (!list || !isObject(list.schema.items)) {
        throw new Error(`Deviation ${single.id}: ${single.rule.listTemplate} has no array response`);
      }
      return this.inlineSchema(list.schema.items, `${list.location}/items`, deviations);
    }

    const responses = route.operation.responses;
    let key: string | undefined = String(status) in responses ? String(status) : undefined;
    if (!key) {
      const success = deviationsOf('success-status').find(
        (d) =>
          d.rule.method === route.method &&
          d.rule.template === route.template &&
          d.rule.serverStatus === status,
      );
      if (success && String(success.rule.specStatus) in responses) {
        key = String(success.rule.specStatus);
        deviations.push(success.id);
      }
    }
    if (!key && `${Math.floor(status / 100)}XX` in responses) key = `${Math.floor(status / 100)}XX`;
    if (!key && 'default' in responses) key = 'default';

    if (!key) {
      const errorList = isError ? this.errorList(deviations) : undefined;
      if (errorList) return errorList;
      return {
        deviations,
        problem: statusProblem(status, Object.keys(responses), `${endpointLocation}/responses`),
      };
    }
    const declared = responses[key];
    const resolved = declared && this.resolveResponse(declared);
    if (!resolved) throw new Error(`Unresolvable response ${key} of ${route.method} ${route.template}`);
    const location = resolved.location || `${endpointLocation}/responses/${escapePointerToken(key)}`;
    const media = this.jsonSchemaOf(resolved.response.content, location, mediaType);
    // The server's error bodies are lists; keep the spec's schema only where it already says so.
    if (isError && media?.schema.$ref !== '#/components/schemas/ApiCallRcList') {
      const errorList = this.errorList(deviations);
      if (errorList) return errorList;
    }
    if (!media) {
      const declaredTypes = Object.keys(resolved.response.content ?? {});
      const bodyWhereNone = deviationsOf('body-where-none').find(
        (d) =>
          d.rule.method === route.method && d.rule.template === route.template && d.rule.status === status,
      );
      if (declaredTypes.length === 0 && bodyWhereNone) {
        return this.component(bodyWhereNone.rule.schema, [...deviations, bodyWhereNone.id]);
      }
      if (declaredTypes.length === 0) return { deviations };
      return {
        deviations,
        problem: {
          pointer: '',
          keyword: 'content',
          schemaLocation: `${location}/content`,
          message: `the spec declares ${declaredTypes.join(', ')} for status ${status}, not ${mediaType}`,
        },
      };
    }
    const element = deviationsOf('element-for-array').find(
      (d) => d.rule.method === route.method && d.rule.template === route.template && d.rule.status === status,
    );
    if (element && isObject(media.schema.items)) {
      return this.inlineSchema(media.schema.items, `${media.location}/items`, [...deviations, element.id]);
    }
    return this.inlineSchema(media.schema, media.location, deviations);
  }

  /** The schema of error replies per the deviations table, or undefined to keep the spec's. */
  private errorList(deviations: string[]): SelectedSchema | undefined {
    const rule = deviationsOf('error-replies-are-lists')[0];
    return rule ? this.component(rule.rule.schema, [...deviations, rule.id]) : undefined;
  }

  private component(name: string, deviations: string[]): SelectedSchema {
    if (!(name in this.spec.components.schemas)) throw new Error(`Unknown component schema ${name}`);
    return {
      schema: { $ref: `#/components/schemas/${name}` },
      location: `#/components/schemas/${name}`,
      deviations,
    };
  }

  private inlineSchema(schema: JsonObject, location: string, deviations: string[]): SelectedSchema {
    const name = typeof schema.$ref === 'string' ? componentName(schema.$ref) : undefined;
    if (name) return this.component(name, deviations);
    return { schema, location, deviations };
  }

  // ----- validation

  private compiled(direction: Direction, selected: Required<Pick<SelectedSchema, 'schema' | 'location'>>) {
    const cacheKey = `${direction} ${selected.location}`;
    let entry = this.validators.get(cacheKey);
    if (!entry) {
      const engine = this.engines[direction];
      const translated = engine.translator.translate(selected.schema, selected.location) as JsonObject;
      entry = { validate: engine.ajv.compile(translated), translated };
      this.validators.set(cacheKey, entry);
    }
    return entry;
  }

  private validator(direction: Direction, selected: Required<Pick<SelectedSchema, 'schema' | 'location'>>) {
    return this.compiled(direction, selected).validate;
  }

  /**
   * Ids of the schema deviations this body relied on: the body is checked once more against the
   * unmodified spec, and every deviation that changed a component in which that check failed counts.
   */
  private schemaDeviationsFor(
    direction: Direction,
    selected: Required<Pick<SelectedSchema, 'schema' | 'location'>>,
    body: unknown,
  ): string[] {
    const touched = this.engines[direction].touched;
    if (touched.size === 0) return [];
    const strict = this.validator('unmodified', selected);
    if (strict(body)) return [];
    const failedAt = (strict.errors ?? []).map((e) => this.toViolation('unmodified', e).schemaLocation);
    const ids = new Set<string>();
    for (const [name, deviationIds] of touched) {
      const marker = `#/components/schemas/${name}/`;
      if (failedAt.some((location) => location.startsWith(marker)))
        for (const id of deviationIds) ids.add(id);
    }
    return [...ids];
  }

  run(
    direction: Direction,
    endpoint: string,
    template: string,
    status: number | undefined,
    selected: SelectedSchema,
    body: unknown,
  ): ValidationResult {
    const base = {
      endpoint,
      template,
      ...(status === undefined ? {} : { status }),
      appliedDeviations: [...selected.deviations],
    };
    if (selected.problem) {
      return { ...base, valid: false, violations: [selected.problem], undeclaredProperties: [] };
    }
    if (!selected.schema || !selected.location) {
      if (body === undefined)
        return {
          ...base,
          valid: true,
          notValidatedBecause: 'no body declared',
          violations: [],
          undeclaredProperties: [],
        };
      return {
        ...base,
        valid: false,
        violations: [
          {
            pointer: '',
            keyword: 'body',
            schemaLocation: `#/paths/${escapePointerToken(template)}`,
            message: 'a body was sent where the spec declares none',
          },
        ],
        undeclaredProperties: [],
      };
    }
    const { validate, translated } = this.compiled(direction, {
      schema: selected.schema,
      location: selected.location,
    });
    const ok = validate(body);
    const components = this.engines[direction].schemas;
    const undeclaredProperties: string[] = [];
    collectUndeclared(
      (ref) => (ref.startsWith(SCHEMA_BASE) ? components[ref.slice(SCHEMA_BASE.length)] : undefined),
      [translated],
      body,
      '',
      undeclaredProperties,
    );
    const violations = ok ? [] : (validate.errors ?? []).map((e) => this.toViolation(direction, e));
    const schemaDeviations = this.schemaDeviationsFor(
      direction,
      { schema: selected.schema, location: selected.location },
      body,
    );
    return {
      ...base,
      appliedDeviations: [...new Set([...base.appliedDeviations, ...schemaDeviations])],
      schemaLocation: selected.location,
      valid: ok,
      violations,
      undeclaredProperties,
    };
  }

  private toViolation(direction: Direction, error: ErrorObject): SchemaViolation {
    const owner = isObject(error.parentSchema)
      ? this.engines[direction].translator.locations.get(error.parentSchema)
      : undefined;
    const schemaLocation = owner ? `${owner}/${error.keyword}` : error.schemaPath;
    return {
      pointer: error.instancePath,
      keyword: error.keyword,
      schemaLocation,
      message: describeAjvError(error),
    };
  }

  // ----- parameters

  private resolveParameter(parameter: ParameterObject): ParameterObject | undefined {
    if (!parameter.$ref) return parameter;
    return this.spec.components.parameters?.[parameter.$ref.replace('#/components/parameters/', '')];
  }

  /** Path-level and operation-level parameters of a route (the operation's win), with spec locations. */
  private parametersOf(route: RouteMatch): Array<{ parameter: ParameterObject; location: string }> {
    const byKey = new Map<string, { parameter: ParameterObject; location: string }>();
    const pathLocation = `#/paths/${escapePointerToken(route.template)}`;
    const add = (list: ParameterObject[] | undefined, base: string) => {
      for (const [i, raw] of (list ?? []).entries()) {
        const parameter = this.resolveParameter(raw);
        if (!parameter) throw new Error(`Unresolvable parameter ${String(raw.$ref)} at ${base}/${i}`);
        const location = raw.$ref ?? `${base}/parameters/${i}`;
        byKey.set(`${parameter.in} ${parameter.name}`, { parameter, location });
      }
    };
    add(this.spec.paths[route.template]?.parameters, pathLocation);
    add(route.operation?.parameters, `${pathLocation}/${lower(route.method)}`);
    return [...byKey.values()];
  }

  /** Checks path parameter values and query parameters (names, types, repetition, bounds). */
  checkParameters(
    route: RouteMatch,
    query: Array<[string, string]>,
  ): { violations: SchemaViolation[]; deviations: string[] } {
    const violations: SchemaViolation[] = [];
    const deviations = new Set<string>();
    const declared = this.parametersOf(route);
    const check = (
      entry: { parameter: ParameterObject; location: string },
      raw: string | string[],
      pointer: string,
    ) => {
      const schema = entry.parameter.schema ?? {};
      const relaxed = deviationsOf('parameter-bound-not-enforced').filter(
        (d) => d.rule.parameter === entry.parameter.name,
      );
      const effective: JsonObject = { ...schema };
      for (const deviation of relaxed) {
        if (deviation.rule.keyword in effective) {
          const value = Array.isArray(raw) ? raw : [raw];
          const bound = effective[deviation.rule.keyword];
          const numbers = value.map(Number);
          const exceeded =
            typeof bound === 'number' &&
            numbers.some((n) => (deviation.rule.keyword === 'maximum' ? n > bound : n < bound));
          if (exceeded) deviations.add(deviation.id);
          delete effective[deviation.rule.keyword];
        }
      }
      const typed = Array.isArray(raw)
        ? raw.map((v) => parameterValue(isObject(schema.items) ? schema.items : {}, v))
        : parameterValue(schema, raw);
      const validate = this.validator('request', { schema: effective, location: `${entry.location}/schema` });
      if (!validate(typed)) {
        for (const error of validate.errors ?? []) {
          const violation = this.toViolation('request', error);
          violations.push({ ...violation, pointer: `${pointer}${error.instancePath}` });
        }
      }
    };
    for (const [name, value] of Object.entries(route.params)) {
      const entry = declared.find((d) => d.parameter.in === 'path' && d.parameter.name === name);
      // A path parameter the spec does not declare has no schema to check.
      if (entry) check(entry, value, `path:${name}`);
    }
    const values = new Map<string, string[]>();
    for (const [name, value] of query) values.set(name, [...(values.get(name) ?? []), value]);
    for (const [name, given] of values) {
      const entry = declared.find((d) => d.parameter.in === 'query' && d.parameter.name === name);
      if (!entry) {
        violations.push({
          pointer: `query:${name}`,
          keyword: 'parameters',
          schemaLocation: `#/paths/${escapePointerToken(route.template)}/${lower(route.method)}/parameters`,
          message: `query parameter "${name}" is not declared for this operation`,
        });
        continue;
      }
      if (entry.parameter.schema?.type === 'array') {
        check(entry, given, `query:${name}`);
      } else if (given.length > 1) {
        violations.push({
          pointer: `query:${name}`,
          keyword: 'type',
          schemaLocation: `${entry.location}/schema/type`,
          message: `query parameter "${name}" is repeated ${given.length} times but is not an array`,
        });
      } else {
        check(entry, given[0] ?? '', `query:${name}`);
      }
    }
    for (const entry of declared) {
      if (entry.parameter.in === 'query' && entry.parameter.required && !values.has(entry.parameter.name)) {
        violations.push({
          pointer: `query:${entry.parameter.name}`,
          keyword: 'required',
          schemaLocation: `${entry.location}/required`,
          message: `required query parameter "${entry.parameter.name}" is missing`,
        });
      }
    }
    return { violations, deviations: [...deviations] };
  }

  selectResponse(route: RouteMatch, status: number, mediaType: string): SelectedSchema {
    return this.selectResponseSchema(route, status, mediaType);
  }

  selectRequest(route: RouteMatch): SelectedSchema & { required: boolean } {
    const requestBody = route.operation?.requestBody;
    if (!requestBody) return { deviations: route.deviations, required: false };
    const resolvedBody = requestBody.$ref
      ? this.spec.components.requestBodies?.[requestBody.$ref.replace('#/components/requestBodies/', '')]
      : requestBody;
    const location =
      requestBody.$ref ?? `#/paths/${escapePointerToken(route.template)}/${lower(route.method)}/requestBody`;
    const media = this.jsonSchemaOf(resolvedBody?.content, location);
    if (!media) return { deviations: route.deviations, required: false };
    return {
      ...this.inlineSchema(media.schema, media.location, route.deviations),
      required: resolvedBody?.required === true,
    };
  }
}

const MAX_WALK_DEPTH = 64;

/** Whether a value satisfies the simple `if` conditions this module generates (required + const). */
function conditionHolds(condition: JsonObject, value: unknown): boolean {
  if (!isObject(value)) return false;
  const required = Array.isArray(condition.required) ? condition.required : [];
  if (!required.every((key) => typeof key === 'string' && key in value)) return false;
  const props = isObject(condition.properties) ? condition.properties : {};
  return Object.entries(props).every(
    ([key, sub]) => !isObject(sub) || !('const' in sub) || value[key] === sub.const,
  );
}

/** The schemas that apply to `value`: `$ref`s resolved, `allOf`/`anyOf`/`oneOf` branches and `then` added. */
function applicableSchemas(
  resolve: (ref: string) => JsonObject | undefined,
  schemas: readonly unknown[],
  value: unknown,
  depth = 0,
): JsonObject[] {
  const out: JsonObject[] = [];
  for (const schema of schemas) {
    if (!isObject(schema) || depth > MAX_WALK_DEPTH) continue;
    out.push(schema);
    const nested: unknown[] = [];
    if (typeof schema.$ref === 'string') nested.push(resolve(schema.$ref));
    for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
      if (Array.isArray(schema[key])) nested.push(...(schema[key] as unknown[]));
    }
    if (isObject(schema.if)) {
      const branch = conditionHolds(schema.if, value) ? schema.then : schema.else;
      if (branch !== undefined) nested.push(branch);
    }
    out.push(...applicableSchemas(resolve, nested, value, depth + 1));
  }
  return out;
}

/**
 * Collects the JSON pointers of object properties that none of the applicable schemas declares.
 * An object whose schemas declare no properties, or allow additional ones, is open and not audited
 * at that level (its values still are, against `additionalProperties`).
 */
function collectUndeclared(
  resolve: (ref: string) => JsonObject | undefined,
  schemas: readonly unknown[],
  value: unknown,
  pointer: string,
  out: string[],
  depth = 0,
): void {
  if (depth > MAX_WALK_DEPTH) return;
  const applicable = applicableSchemas(resolve, schemas, value);
  if (Array.isArray(value)) {
    const items = applicable.map((s) => s.items).filter(isObject);
    if (items.length === 0) return;
    for (const [i, v] of value.entries())
      collectUndeclared(resolve, items, v, `${pointer}/${i}`, out, depth + 1);
    return;
  }
  if (!isObject(value)) return;
  const declared = new Map<string, unknown[]>();
  const additional: unknown[] = [];
  let open = true;
  for (const schema of applicable) {
    if (isObject(schema.properties)) {
      open = false;
      for (const [key, sub] of Object.entries(schema.properties))
        declared.set(key, [...(declared.get(key) ?? []), sub]);
    }
    if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) {
      additional.push(schema.additionalProperties);
    }
  }
  if (additional.length > 0) open = true;
  for (const [key, child] of Object.entries(value)) {
    const childPointer = `${pointer}/${escapePointerToken(key)}`;
    const subs = declared.get(key);
    if (subs) collectUndeclared(resolve, subs, child, childPointer, out, depth + 1);
    else if (additional.length > 0)
      collectUndeclared(resolve, additional, child, childPointer, out, depth + 1);
    else if (!open) out.push(childPointer);
  }
}

function statusProblem(status: number, declared: string[], location: string): SchemaViolation {
  return {
    pointer: '',
    keyword: 'status',
    schemaLocation: location,
    message: `status ${status} is not declared by the spec (declared: ${declared.join(', ')})`,
  };
}

function describeAjvError(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const got =
    error.keyword === 'required' || error.keyword === 'additionalProperties'
      ? ''
      : ` (got ${preview(error.data)})`;
  switch (error.keyword) {
    case 'enum':
      return `must be one of ${JSON.stringify(params.allowedValues)}${got}`;
    case 'required':
      return `must have required property "${String(params.missingProperty)}"`;
    case 'additionalProperties':
      return `must not have additional property "${String(params.additionalProperty)}"`;
    case 'type':
      return `must be ${String(params.type)}${got}`;
    case 'format':
      return `must match format "${String(params.format)}"${got}`;
    default:
      return `${error.message ?? error.keyword}${got}`;
  }
}

function preview(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function lower(method: HttpMethod): Lowercase<HttpMethod> {
  return method.toLowerCase() as Lowercase<HttpMethod>;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Matches path segments against a template; the rank prefers literal segments, earliest first. */
function matchTemplate(
  candidate: RouteCandidate,
  segments: string[],
): { params: Record<string, string>; rank: number[] } | undefined {
  const params: Record<string, string> = {};
  const rank: number[] = [];
  const tmpl = candidate.segments;
  for (let i = 0; i < tmpl.length; i++) {
    const part = tmpl[i] ?? '';
    const param = /^\{(.+)\}$/.exec(part)?.[1];
    const isLast = i === tmpl.length - 1;
    if (param !== undefined && isLast && param === candidate.greedyParameter) {
      const rest = segments.slice(i);
      if (rest.length === 0 || rest.some((s) => s === '')) return undefined;
      params[param] = rest.join('/');
      rank.push(0);
      return { params, rank };
    }
    const segment = segments[i];
    if (segment === undefined || segment === '') return undefined;
    if (param !== undefined) {
      params[param] = segment;
      rank.push(1);
    } else if (part === segment) {
      rank.push(2);
    } else {
      return undefined;
    }
  }
  return segments.length === tmpl.length ? { params, rank } : undefined;
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (a[i] ?? -1) - (b[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------
// Public API (one shared contract per spec file).

const contracts = new Map<string, Contract>();

function contract(specPath?: string): Contract {
  const path = specPath ?? locateSpec();
  let loaded = contracts.get(path);
  if (!loaded) {
    loaded = new Contract(path);
    contracts.set(path, loaded);
  }
  return loaded;
}

function toMethod(method: string): HttpMethod {
  const upper = method.toUpperCase() as HttpMethod;
  if (!HTTP_METHODS.includes(upper)) throw new Error(`Unsupported HTTP method ${method}`);
  return upper;
}

/** The REST API version the loaded contract describes (`info.version`). */
export function specApiVersion(): string {
  return contract().apiVersion;
}

/** Compiles every component schema of the spec (all engines); returns the failures, if any. */
export function compileAllSchemas(): string[] {
  return contract().compileAll();
}

/** Matches a concrete path (query string allowed) to the spec's path template for `method`. */
export function findRoute(method: string, path: string): RouteMatch | undefined {
  return contract().findRoute(toMethod(method), path);
}

function outsideSpec(path: string) {
  const clean = stripQuery(path);
  return deviationsOf('outside-spec').find(
    (d) =>
      clean === d.rule.pathPrefix ||
      clean.startsWith(d.rule.pathPrefix.endsWith('/') ? d.rule.pathPrefix : `${d.rule.pathPrefix}/`),
  );
}

/** The result for a path outside the LINSTOR REST API: valid, and not validated. */
function outsideResult(
  endpoint: string,
  outside: NonNullable<ReturnType<typeof outsideSpec>>,
  status?: number,
): ValidationResult {
  return {
    valid: true,
    endpoint,
    ...(status === undefined ? {} : { status }),
    appliedDeviations: [outside.id],
    notValidatedBecause: `${outside.rule.pathPrefix} is outside the LINSTOR REST API`,
    violations: [],
    undeclaredProperties: [],
  };
}

/** The violation of a request for an operation the spec does not have. */
function routeViolation(message: string): SchemaViolation {
  return { pointer: '', keyword: 'route', schemaLocation: '#/paths', message };
}

/**
 * Resolves a request (`path` may carry a query) to its spec route; where there is none to check
 * against, `result` is the answer instead: valid outside the spec, invalid for an unknown operation.
 */
function requestRoute(
  method: string,
  path: string,
): { m: HttpMethod; endpoint: string; route: RouteMatch } | { result: ValidationResult } {
  const m = toMethod(method);
  const endpoint = `${m} ${stripQuery(path)}`;
  const outside = outsideSpec(path);
  if (outside) return { result: outsideResult(endpoint, outside) };
  const route = findRoute(m, path);
  if (!route) {
    return {
      result: {
        valid: false,
        endpoint,
        appliedDeviations: [],
        violations: [routeViolation(`${endpoint} is not an operation of the spec`)],
        undeclaredProperties: [],
      },
    };
  }
  return { m, endpoint, route };
}

function unknownRoute(endpoint: string, status: number, body: unknown, what: string): ValidationResult {
  const c = contract();
  const rule = deviationsOf('unknown-route-reply').find((d) => d.rule.statuses.includes(status));
  if (!rule) {
    return {
      valid: false,
      endpoint,
      status,
      appliedDeviations: [],
      violations: [
        routeViolation(`${what} is not an operation of the spec, and status ${status} is not a route error`),
      ],
      undeclaredProperties: [],
    };
  }
  const selected: SelectedSchema = {
    schema: { $ref: `#/components/schemas/${rule.rule.schema}` },
    location: `#/components/schemas/${rule.rule.schema}`,
    deviations: [rule.id],
  };
  return c.run('response', endpoint, '', status, selected, body);
}

/**
 * Validates a response body for `method path → status`. `mediaType` selects the declared content
 * (JSON by default). Paths outside the LINSTOR API (per the deviations table) are reported as valid
 * with `notValidatedBecause` set.
 */
export function validateResponse(
  method: string,
  path: string,
  status: number,
  body: unknown,
  mediaType = 'application/json',
): ValidationResult {
  const m = toMethod(method);
  const endpoint = `${m} ${stripQuery(path)}`;
  const outside = outsideSpec(path);
  if (outside) return outsideResult(endpoint, outside, status);
  const route = findRoute(m, path);
  if (!route) return unknownRoute(endpoint, status, body, endpoint);
  const c = contract();
  return c.run(
    'response',
    endpoint,
    route.template,
    status,
    c.selectResponse(route, status, mediaType),
    body,
  );
}

/**
 * Validates the path and query parameters of a request URL (`path?query`, as sent) against the
 * parameters the spec declares for the operation: names, types, single or repeated values, bounds.
 */
export function validateRequestParameters(method: string, url: string): ValidationResult {
  const resolved = requestRoute(method, url);
  if ('result' in resolved) return resolved.result;
  const { m, route } = resolved;
  const queryStart = url.indexOf('?');
  const query = queryStart === -1 ? [] : [...new URLSearchParams(url.slice(queryStart + 1))];
  const checked = contract().checkParameters(route, query);
  return {
    valid: checked.violations.length === 0,
    endpoint: `${m} ${url}`,
    subject: 'request parameters',
    template: route.template,
    appliedDeviations: [...new Set([...route.deviations, ...checked.deviations])],
    violations: checked.violations,
    undeclaredProperties: [],
  };
}

/** Validates a request body (`undefined` = no body sent) for `method path`. */
export function validateRequestBody(method: string, path: string, body: unknown): ValidationResult {
  const resolved = requestRoute(method, path);
  if ('result' in resolved) return resolved.result;
  const { m, endpoint, route } = resolved;
  const c = contract();
  const selected = c.selectRequest(route);
  if (body === undefined && selected.required) {
    return {
      valid: false,
      endpoint,
      template: route.template,
      appliedDeviations: selected.deviations,
      violations: [
        {
          pointer: '',
          keyword: 'required',
          schemaLocation: `#/paths/${escapePointerToken(route.template)}/${lower(m)}/requestBody/required`,
          message: 'the spec requires a request body, none was sent',
        },
      ],
      undeclaredProperties: [],
    };
  }
  if (body === undefined) {
    return {
      valid: true,
      endpoint,
      template: route.template,
      appliedDeviations: selected.deviations,
      violations: [],
      undeclaredProperties: [],
    };
  }
  return c.run('request', endpoint, route.template, undefined, selected, body);
}

/** One server-sent event as the spec models it: the event name and its parsed `data`. */
export interface ServerSentEvent {
  event: string;
  data: unknown;
}

/** Validates one server-sent event of a `text/event-stream` GET endpoint against the spec. */
export function validateEvent(path: string, event: ServerSentEvent): ValidationResult {
  const result = validateResponse('GET', path, 200, event, 'text/event-stream');
  return { ...result, endpoint: `${result.endpoint} (event ${event.event})` };
}

/**
 * Converts a parameter's text to the JSON type its schema names, the way the server's binding does;
 * text that does not convert stays text, so the schema check reports it.
 */
function parameterValue(schema: JsonObject, text: string): unknown {
  if (schema.type === 'integer' && /^-?\d+$/.test(text)) return Number(text);
  if (schema.type === 'number' && text.trim() !== '' && Number.isFinite(Number(text))) return Number(text);
  if (schema.type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}
