/**
 * Tests of the contract harness itself, with real schemas from the official spec: a right body
 * passes, a deliberately wrong one fails with a message that names endpoint, status, pointer and rule,
 * and each deviation loosens exactly what its table entry says and nothing more.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEVIATIONS } from './deviations';
import {
  compileAllSchemas,
  describeResult,
  findRoute,
  locateSpec,
  specApiVersion,
  validateEvent,
  validateRequestBody,
  validateRequestParameters,
  validateResponse,
} from './openapi';
import { describeWithSpec, itWithSpec, specLookup } from './spec-gate';
import { referenceDir } from './spec-notice';
import { fetchSpec, findSpec, SPEC_PIN } from './spec-source.mjs';

const RD_EXISTS = -4611686018406940171n; // ERR|CRT|RSC_DFN|501, a real value beyond 2^53
const RD_CREATED = 20447233;
const NODE_NOT_FOUND = -4611686018427387604n; // ERR|300, bare
const RD_NOT_FOUND = -4611686018427387603n; // ERR|301, bare

/** A body as it arrives on the wire, parsed the way every test parses it (int64 may lose bits). */
function wire(text: string): unknown {
  return JSON.parse(text);
}

describe('spec lookup', () => {
  const layout = () => {
    const root = mkdtempSync(join(tmpdir(), 'contract-layout-'));
    const nested = join(root, 'clone', 'test', 'contract');
    mkdirSync(nested, { recursive: true });
    return { root, nested, cacheFile: join(root, 'cache', 'rest_v1_openapi.yaml') };
  };
  const withLayout = async (body: (l: ReturnType<typeof layout>) => void | Promise<void>) => {
    const l = layout();
    try {
      await body(l);
    } finally {
      rmSync(l.root, { recursive: true, force: true });
    }
  };

  it('takes LINSTOR_OPENAPI first, then shared/linstor/ beside an ancestor', () =>
    withLayout(({ root, nested, cacheFile }) => {
      const shared = join(root, 'shared', 'linstor', 'rest_v1_openapi.yaml');
      mkdirSync(dirname(shared), { recursive: true });
      writeFileSync(shared, 'openapi: 3.0.2\n');
      const explicit = join(root, 'mine.yaml');
      writeFileSync(explicit, 'openapi: 3.0.2\n');
      expect(findSpec({ env: { LINSTOR_OPENAPI: explicit }, startDir: nested, cacheFile })).toEqual({
        found: true,
        path: explicit,
        origin: 'LINSTOR_OPENAPI',
      });
      expect(findSpec({ env: {}, startDir: nested, cacheFile })).toEqual({
        found: true,
        path: shared,
        origin: 'shared',
      });
      expect(locateSpec({ env: {}, startDir: nested, cacheFile })).toBe(shared);
    }));

  it('says in one line why and how to get the file when none is found', () =>
    withLayout(({ root, cacheFile }) => {
      const lookup = findSpec({ env: {}, startDir: root, cacheFile });
      expect(lookup.found).toBe(false);
      const reason = lookup.found ? '' : lookup.reason;
      expect(reason).not.toContain('\n');
      expect(reason).toContain('rest_v1_openapi.yaml was not found');
      expect(reason).toContain('set LINSTOR_OPENAPI=/path/to/rest_v1_openapi.yaml');
      expect(reason).toContain('./.ci/setup');
      expect(() => locateSpec({ env: {}, startDir: root, cacheFile })).toThrow(reason);
      const wrongEnv = findSpec({
        env: { LINSTOR_OPENAPI: join(root, 'nope.yaml') },
        startDir: root,
        cacheFile,
      });
      expect(wrongEnv).toEqual({
        found: false,
        reason: expect.stringMatching(
          /^LINSTOR_OPENAPI=.*nope\.yaml is not a readable file; set LINSTOR_OPENAPI=/,
        ),
      });
    }));

  it('uses a cached download only when its sha256 is the pinned one', () =>
    withLayout(({ root, cacheFile }) => {
      mkdirSync(dirname(cacheFile), { recursive: true });
      writeFileSync(cacheFile, 'openapi: 3.0.2\n');
      const lookup = findSpec({ env: {}, startDir: root, cacheFile });
      expect(lookup).toEqual({
        found: false,
        reason: expect.stringContaining(`pinned sha256 ${SPEC_PIN.sha256}`),
      });
    }));

  it('fails soft when the download is refused or the bytes are not the pinned ones, leaving no file', () =>
    withLayout(async ({ root, cacheFile }) => {
      const refused = await fetchSpec({
        cacheFile,
        env: {},
        startDir: root,
        fetchImpl: async () => {
          throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
        },
      });
      expect(refused).toEqual({
        ok: false,
        message: expect.stringContaining('ECONNREFUSED); the contract tests will be skipped'),
      });
      expect(refused.message).toContain(
        `raw.githubusercontent.com/LINBIT/linstor-server/${SPEC_PIN.commit}/`,
      );
      const tampered = await fetchSpec({
        cacheFile,
        env: {},
        startDir: root,
        fetchImpl: async () => new Response('openapi: 3.0.2\n'),
      });
      expect(tampered).toEqual({ ok: false, message: expect.stringContaining('not the pinned') });
      expect(existsSync(dirname(cacheFile)) ? readdirSync(dirname(cacheFile)) : []).toEqual([]);
    }));

  itWithSpec('stores a verified download where the lookup finds it', () =>
    withLayout(async ({ root, cacheFile }) => {
      const bytes = readFileSync(specLookup.found ? specLookup.path : '');
      const fetched = await fetchSpec({
        cacheFile,
        env: {},
        startDir: root,
        fetchImpl: async () => new Response(bytes),
      });
      expect(fetched).toEqual({ ok: true, message: expect.stringContaining('sha256 verified') });
      expect(findSpec({ env: {}, startDir: root, cacheFile })).toEqual({
        found: true,
        path: cacheFile,
        origin: 'cache',
      });
    }),
  );
});

describeWithSpec('spec contents and routes', () => {
  it('loads the contract that was found and reads its version', () => {
    expect(locateSpec()).toBe(specLookup.found ? specLookup.path : undefined);
    expect(specApiVersion()).toBe('1.28.0');
  });

  it('compiles every component schema of the spec in strict mode', () => {
    expect(compileAllSchemas()).toEqual([]);
  });

  it('prefers literal segments over parameters and decodes parameters', () => {
    expect(findRoute('GET', '/v1/nodes/properties/info')?.template).toBe('/v1/nodes/properties/info');
    const sp = findRoute('PUT', '/v1/nodes/pve%2D1/storage-pools/thinpool?x=1');
    expect(sp?.template).toBe('/v1/nodes/{node}/storage-pools/{storagepool}');
    expect(sp?.params).toEqual({ node: 'pve-1', storagepool: 'thinpool' });
    expect(sp?.deviations).toEqual([]);
  });

  it('knows the single-object GETs only through the deviations table', () => {
    const node = findRoute('GET', '/v1/nodes/pve1');
    expect(node?.template).toBe('/v1/nodes/{node}');
    expect(node?.operation).toBeUndefined();
    expect(node?.deviations).toEqual(['single-get-node']);
    // PUT on the same template is a real spec operation.
    expect(findRoute('PUT', '/v1/nodes/pve1')?.deviations).toEqual([]);
  });

  it('lets only the controller property key span slashes', () => {
    const route = findRoute('DELETE', '/v1/controller/properties/Aux/linstor-hv/x');
    expect(route?.params).toEqual({ key: 'Aux/linstor-hv/x' });
    expect(route?.deviations).toEqual(['controller-property-key-with-slashes']);
    expect(findRoute('DELETE', '/v1/controller/properties/plain')?.deviations).toEqual([]);
    expect(findRoute('GET', '/v1/nodes/pve1/extra/segments')).toBeUndefined();
    expect(findRoute('PATCH', '/v1/nodes')).toBeUndefined();
  });
});

describeWithSpec('response validation', () => {
  it('accepts a spec-conformant node list and rejects a node without its required type', () => {
    const good = wire(
      '[{"name":"pve1","type":"Satellite","connection_status":"ONLINE","props":{"Aux/a":"b"}}]',
    );
    const ok = validateResponse('GET', '/v1/nodes', 200, good);
    expect(ok.violations).toEqual([]);
    expect(ok.valid).toBe(true);
    expect(ok.schemaLocation).toBe('#/paths/~1v1~1nodes/get/responses/200/content/application~1json/schema');

    const bad = validateResponse(
      'GET',
      '/v1/nodes?nodes=pve1',
      200,
      wire('[{"name":"pve1","props":{"k":1}}]'),
    );
    expect(bad.valid).toBe(false);
    expect(bad.violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          pointer: '/0',
          keyword: 'required',
          schemaLocation: '#/components/schemas/Node/required',
        }),
        expect.objectContaining({
          pointer: '/0/props/k',
          keyword: 'type',
          schemaLocation: '#/components/schemas/Properties/additionalProperties/type',
        }),
      ]),
    );
    const text = describeResult(bad);
    expect(text).toContain('GET /v1/nodes → 200');
    expect(text).toContain(
      'at /0: must have required property "type" [required @ #/components/schemas/Node/required]',
    );
    expect(text).toContain('at /0/props/k: must be string (got 1)');
  });

  it('accepts the upper-case node type the server emits, only through its deviation', () => {
    const upper = validateResponse('GET', '/v1/nodes', 200, [{ name: 'pve1', type: 'SATELLITE' }]);
    expect(upper.valid).toBe(true);
    expect(upper.appliedDeviations).toContain('node-type-upper-case');
    const spec = validateResponse('GET', '/v1/nodes', 200, [{ name: 'pve1', type: 'Satellite' }]);
    expect(spec.appliedDeviations).not.toContain('node-type-upper-case');
    const lower = validateResponse('GET', '/v1/nodes', 200, [{ name: 'pve1', type: 'satellite' }]);
    expect(lower.valid).toBe(false);
    expect(lower.violations[0]).toMatchObject({
      pointer: '/0/type',
      keyword: 'enum',
      schemaLocation: '#/components/schemas/Node/properties/type/enum',
    });
    // Requests keep the spec's enum: a client must send what the spec lists.
    expect(validateRequestBody('POST', '/v1/nodes', { name: 'n1', type: 'SATELLITE' }).valid).toBe(false);
  });

  it('validates a single-object GET against the element schema of its list endpoint', () => {
    const rd = validateResponse('GET', '/v1/resource-definitions/vm-100-disk-0', 200, {
      name: 'vm-100-disk-0',
      resource_group_name: 'linstor-hv',
      layer_data: [{ type: 'DRBD', data: { port: 7000, peer_slots: 7 } }],
    });
    expect(rd.valid).toBe(true);
    expect(rd.appliedDeviations).toEqual(['single-get-resource-definition']);
    expect(rd.schemaLocation).toBe('#/components/schemas/ResourceDefinition');
    // An array where one object belongs is exactly the mistake this must catch.
    const asList = validateResponse('GET', '/v1/resource-definitions/vm-100-disk-0', 200, [{ name: 'x' }]);
    expect(asList.valid).toBe(false);
    expect(asList.violations[0]).toMatchObject({ pointer: '', keyword: 'type' });
    const missing = validateResponse('GET', '/v1/nodes/ghost', 404, [
      { ret_code: Number(NODE_NOT_FOUND), message: "Node 'ghost' not found." },
    ]);
    expect(missing.valid).toBe(true);
    expect(missing.appliedDeviations).toEqual(['single-get-node', 'error-replies-are-lists']);
  });

  it('checks ret_code as an integer, including int64 values that JSON numbers cannot hold exactly', () => {
    const reply = wire(`[{"ret_code":${RD_EXISTS},"message":"exists","obj_refs":{"RscDfn":"r"}}]`);
    expect(validateResponse('POST', '/v1/resource-definitions', 500, reply).valid).toBe(true);
    const quoted = validateResponse('POST', '/v1/resource-definitions', 500, [
      { ret_code: String(RD_EXISTS), message: 'exists' },
    ]);
    expect(quoted.valid).toBe(false);
    expect(quoted.violations).toEqual([
      expect.objectContaining({
        pointer: '/0/ret_code',
        keyword: 'type',
        schemaLocation: '#/components/schemas/ApiCallRc/properties/ret_code/type',
      }),
    ]);
    const noMessage = validateResponse('POST', '/v1/resource-definitions', 201, [{ ret_code: RD_CREATED }]);
    expect(noMessage.violations[0]).toMatchObject({ pointer: '/0', keyword: 'required' });
    const badDate = validateResponse('POST', '/v1/resource-definitions', 201, [
      { ret_code: RD_CREATED, message: 'created', created_at: 'yesterday' },
    ]);
    expect(badDate.violations[0]).toMatchObject({ pointer: '/0/created_at', keyword: 'format' });
  });

  it('requires lists for error replies, where the spec says a single ApiCallRc', () => {
    const single = validateResponse('DELETE', '/v1/nodes/pve1', 500, { ret_code: -1, message: 'in use' });
    expect(single.valid).toBe(false);
    expect(single.appliedDeviations).toContain('error-replies-are-lists');
    expect(single.violations[0]).toMatchObject({ pointer: '', keyword: 'type' });
    // A 404 that the spec does not declare for this endpoint is still an ApiCallRcList (§3.3).
    const notFound = validateResponse('PUT', '/v1/resource-definitions/ghost', 404, [
      { ret_code: Number(RD_NOT_FOUND), message: 'not found' },
    ]);
    expect(notFound.valid).toBe(true);
  });

  it('rejects success statuses the spec does not declare unless a deviation names them', () => {
    const created = [{ ret_code: 19922945, message: "New volume definition with number '0' created." }];
    const vd = validateResponse('POST', '/v1/resource-definitions/r1/volume-definitions', 200, created);
    expect(vd.valid).toBe(true);
    expect(vd.appliedDeviations).toEqual(['volume-definition-create-200']);
    expect(
      validateResponse('POST', '/v1/resource-definitions/r1/volume-definitions', 201, created).valid,
    ).toBe(true);

    const rd = validateResponse('POST', '/v1/resource-definitions', 200, created);
    expect(rd.valid).toBe(false);
    expect(rd.violations).toEqual([
      expect.objectContaining({
        keyword: 'status',
        message: 'status 200 is not declared by the spec (declared: 201, 400, 500)',
      }),
    ]);
    expect(describeResult(rd)).toContain('POST /v1/resource-definitions → 200: 1 violation(s)');
  });

  it('uses the wrapped clone shape for clone errors, and only there', () => {
    const wrapped = {
      location: '/v1/resource-definitions/src/clone/dst',
      source_name: 'src',
      clone_name: 'dst',
      messages: [{ ret_code: RD_CREATED, message: 'started' }],
    };
    expect(validateResponse('POST', '/v1/resource-definitions/src/clone', 201, wrapped).valid).toBe(true);
    const failed = validateResponse('POST', '/v1/resource-definitions/src/clone', 500, {
      ...wrapped,
      messages: [{ ret_code: Number(RD_EXISTS), message: 'exists' }],
    });
    expect(failed.valid).toBe(true);
    expect(failed.appliedDeviations).toEqual(['clone-error-wrapped']);
    const bare = validateResponse('POST', '/v1/resource-definitions/src/clone', 500, [
      { ret_code: -1, message: 'x' },
    ]);
    expect(bare.valid).toBe(false);
    const status = validateResponse('GET', '/v1/resource-definitions/src/clone/dst', 200, { status: 'DONE' });
    expect(status.violations[0]).toMatchObject({ pointer: '/status', keyword: 'enum' });
  });

  it('checks layer payloads by their layer type, which the unmodified spec cannot do', () => {
    const volume = (data: unknown) => [
      {
        name: 'r1',
        node_name: 'pve1',
        volumes: [{ volume_number: 0, layer_data_list: [{ type: 'DRBD', data }] }],
      },
    ];
    const ok = validateResponse(
      'GET',
      '/v1/view/resources',
      200,
      volume({
        drbd_volume_definition: { volume_number: 0, minor_number: 1000 },
        device_path: '/dev/drbd1000',
      }),
    );
    expect(ok.valid).toBe(true);
    expect(ok.appliedDeviations).toEqual(['volume-layer-data-by-type']);
    const wrongPayload = validateResponse(
      'GET',
      '/v1/view/resources',
      200,
      volume({ drbd_volume_definition: { minor_number: 'one thousand' } }),
    );
    expect(wrongPayload.valid).toBe(false);
    expect(wrongPayload.violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          pointer: '/0/volumes/0/layer_data_list/0/data/drbd_volume_definition/minor_number',
          keyword: 'type',
          schemaLocation: '#/components/schemas/DrbdVolumeDefinition/properties/minor_number/type',
        }),
      ]),
    );
  });

  it('lists properties the spec does not declare, through refs, allOf, arrays and layer payloads', () => {
    const node = validateResponse('GET', '/v1/nodes', 200, [
      {
        name: 'pve1',
        type: 'Satellite',
        nodeType: 'x',
        net_interfaces: [{ name: 'default', address: 'a', port: 1 }],
      },
    ]);
    expect(node.valid).toBe(true);
    expect(node.undeclaredProperties).toEqual(['/0/nodeType', '/0/net_interfaces/0/port']);
    expect(describeResult(node)).toContain('at /0/nodeType: property not declared by the spec [undeclared @');

    // ResourceWithVolumes is allOf [Resource, {volumes, shared_name}]: both halves declare properties.
    const view = validateResponse('GET', '/v1/view/resources', 200, [
      {
        name: 'r1',
        node_name: 'pve1',
        shared_name: 's',
        volumes: [
          {
            volume_number: 0,
            layer_data_list: [
              { type: 'STORAGE', data: { volume_number: 0, minor_number: 1000 } },
              { type: 'DRBD', data: { drbd_volume_definition: { minor_number: 1000 } } },
            ],
          },
        ],
        in_use: true,
      },
    ]);
    expect(view.undeclaredProperties).toEqual([
      '/0/volumes/0/layer_data_list/0/data/minor_number',
      '/0/in_use',
    ]);

    // Maps (additionalProperties) are open: any key is declared.
    const props = validateResponse('GET', '/v1/controller/properties', 200, { 'Aux/anything': 'x' });
    expect(props.undeclaredProperties).toEqual([]);
    const request = validateRequestBody('PUT', '/v1/resource-definitions/r1', {
      override_props: {},
      props: {},
    });
    expect(request.undeclaredProperties).toEqual(['/props']);
  });

  it('answers unknown routes only with the route-error list, and skips paths outside the API', () => {
    const unknown = validateResponse('GET', '/v1/no-such-thing', 404, [
      { ret_code: -1, message: 'Path not found' },
    ]);
    expect(unknown.valid).toBe(true);
    expect(unknown.appliedDeviations).toEqual(['unknown-route-404']);
    const unknownOk = validateResponse('GET', '/v1/no-such-thing', 200, []);
    expect(unknownOk.valid).toBe(false);
    expect(unknownOk.violations[0]?.keyword).toBe('route');

    const health = validateResponse('GET', '/health', 200, undefined);
    expect(health).toMatchObject({ valid: true, appliedDeviations: ['health-outside-spec'] });
    expect(validateResponse('POST', '/emulator/reset', 200, {}).appliedDeviations).toEqual([
      'emulator-control-api',
    ]);
    // A path that merely starts with the same letters is not covered.
    expect(validateResponse('GET', '/healthz', 200, {}).valid).toBe(false);
  });

  it('validates server-sent events against the declared stream schema', () => {
    const event = {
      event: 'may-promote-change',
      data: { resource_name: 'r1', node_name: 'pve1', may_promote: true },
    };
    expect(validateEvent('/v1/events/drbd/promotion', event).valid).toBe(true);
    const wrongName = validateEvent('/v1/events/drbd/promotion', { ...event, event: 'promotion' });
    expect(wrongName.valid).toBe(false);
    expect(wrongName.endpoint).toBe('GET /v1/events/drbd/promotion (event promotion)');
    const wrongData = validateEvent('/v1/events/drbd/promotion', { ...event, data: { may_promote: 'yes' } });
    expect(wrongData.violations).toEqual(
      expect.arrayContaining([expect.objectContaining({ pointer: '/data/may_promote', keyword: 'type' })]),
    );
    // The same path has no JSON response: asking for one is a content problem, not a silent pass.
    expect(validateResponse('GET', '/v1/events/drbd/promotion', 200, event).violations[0]?.keyword).toBe(
      'content',
    );
  });
});

describeWithSpec('request validation', () => {
  it('accepts a spawn body and rejects wrong field types with their pointers', () => {
    const ok = validateRequestBody('POST', '/v1/resource-groups/linstor-hv/spawn', {
      resource_definition_name: 'vm-100-disk-0',
      volume_sizes: [1048576],
      resource_definition_props: { 'DrbdOptions/Net/allow-two-primaries': 'yes' },
    });
    expect(ok.valid).toBe(true);
    const bad = validateRequestBody('POST', '/v1/resource-groups/linstor-hv/spawn', {
      resource_definition_name: 'vm-100-disk-0',
      volume_sizes: ['1G'],
      definitions_only: 'true',
    });
    expect(bad.valid).toBe(false);
    expect(bad.violations.map((v) => v.pointer).sort()).toEqual(['/definitions_only', '/volume_sizes/0']);
    expect(describeResult(bad)).toContain('POST /v1/resource-groups/linstor-hv/spawn (request body)');
  });

  it('accepts the empty autoplace body the server takes, through its deviation only', () => {
    const empty = validateRequestBody('POST', '/v1/resource-definitions/r1/autoplace', {});
    expect(empty.valid).toBe(true);
    expect(empty.appliedDeviations).toEqual(['autoplace-empty-body']);
    const full = validateRequestBody('POST', '/v1/resource-definitions/r1/autoplace', {
      select_filter: { place_count: 2 },
    });
    expect(full.appliedDeviations).toEqual([]);
    const wrong = validateRequestBody('POST', '/v1/resource-definitions/r1/autoplace', {
      select_filter: { place_count: '2' },
    });
    expect(wrong.violations[0]).toMatchObject({ pointer: '/select_filter/place_count', keyword: 'type' });
  });

  it('checks required request fields, array bodies and bodies sent where none is declared', () => {
    const vd = validateRequestBody('POST', '/v1/resource-definitions/r1/volume-definitions', {
      volume_definition: {},
    });
    expect(vd.violations[0]).toMatchObject({
      pointer: '/volume_definition',
      keyword: 'required',
      schemaLocation: '#/components/schemas/VolumeDefinition/required',
    });
    const array = validateRequestBody('POST', '/v1/resource-definitions/r1/resources', [
      { resource: { node_name: 'pve1', flags: ['DRBD_DISKLESS'] }, layer_list: ['DRBD', 'STORAGE'] },
    ]);
    expect(array.valid).toBe(true);
    const notArray = validateRequestBody('POST', '/v1/resource-definitions/r1/resources', {
      resource: { node_name: 'pve1' },
    });
    expect(notArray.violations[0]).toMatchObject({ pointer: '', keyword: 'type' });
    const badLayer = validateRequestBody('POST', '/v1/resource-definitions/r1/resources/pve1', {
      layer_list: ['drbd'],
    });
    expect(badLayer.violations[0]).toMatchObject({ pointer: '/layer_list/0', keyword: 'enum' });

    expect(
      validateRequestBody('POST', '/v1/resource-definitions/r1/resources/pve1/activate', undefined).valid,
    ).toBe(true);
    const unexpected = validateRequestBody('POST', '/v1/resource-definitions/r1/resources/pve1/activate', {});
    expect(unexpected.violations[0]).toMatchObject({ keyword: 'body' });
    expect(validateRequestBody('POST', '/v1/nowhere', {}).violations[0]).toMatchObject({ keyword: 'route' });
  });
});

describeWithSpec('request parameters', () => {
  it('accepts declared query parameters, repeated where they are arrays', () => {
    const view = validateRequestParameters(
      'GET',
      '/v1/view/resources?nodes=pve1&nodes=pve2&resources=r1&props=Aux%2Fx%3D1&limit=10&offset=0',
    );
    expect(view.violations).toEqual([]);
    expect(view.valid).toBe(true);
    expect(
      validateRequestParameters('DELETE', '/v1/resource-definitions/r1/resources/pve1?keep_tiebreaker=true')
        .valid,
    ).toBe(true);
  });

  it('rejects undeclared names, wrong types, repeated single values and bounds', () => {
    const unknown = validateRequestParameters('GET', '/v1/nodes?node=pve1');
    expect(describeResult(unknown)).toContain('GET /v1/nodes?node=pve1 (request parameters): 1 violation(s)');
    expect(unknown.violations).toEqual([
      expect.objectContaining({
        pointer: 'query:node',
        message: 'query parameter "node" is not declared for this operation',
      }),
    ]);
    const badBoolean = validateRequestParameters('GET', '/v1/view/storage-pools?cached=yes');
    expect(badBoolean.violations[0]).toMatchObject({
      pointer: 'query:cached',
      keyword: 'type',
      schemaLocation: '#/components/parameters/Cached/schema/type',
    });
    const repeated = validateRequestParameters('GET', '/v1/view/storage-pools?cached=true&cached=false');
    expect(repeated.violations[0]).toMatchObject({ pointer: 'query:cached', keyword: 'type' });
    const negative = validateRequestParameters('GET', '/v1/nodes?limit=-1');
    expect(negative.violations[0]).toMatchObject({
      pointer: 'query:limit',
      keyword: 'minimum',
      schemaLocation: '#/components/parameters/Limit/schema/minimum',
    });
    expect(validateRequestParameters('GET', '/v1/nodes?offset=ten').violations[0]).toMatchObject({
      keyword: 'type',
    });
    const volume = validateRequestParameters('GET', '/v1/resource-definitions/r1/volume-definitions/first');
    expect(volume.violations[0]).toMatchObject({ pointer: 'path:volume_number', keyword: 'type' });
    expect(validateRequestParameters('GET', '/v1/nowhere?x=1').violations[0]).toMatchObject({
      keyword: 'route',
    });
  });

  it('lets limit exceed the spec maximum only through its deviation', () => {
    const large = validateRequestParameters('GET', '/v1/resource-definitions?limit=500');
    expect(large.valid).toBe(true);
    expect(large.appliedDeviations).toEqual(['limit-maximum-not-enforced']);
    expect(validateRequestParameters('GET', '/v1/resource-definitions?limit=50').appliedDeviations).toEqual(
      [],
    );
  });
});

describe.skipIf(!specLookup.found || !existsSync(referenceDir(specLookup.path)))('deviations table', () => {
  it('gives every entry a unique id and a source, and quotes its source word for word', () => {
    const ids = DEVIATIONS.map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    const shared = dirname(referenceDir(locateSpec()));
    // Markdown emphasis, code spans, escaped pipes and line breaks are not part of the words.
    const plain = (text: string) =>
      text
        .replace(/\*\*|`/g, '')
        .replace(/\\\|/g, '|')
        .replace(/\s+/g, ' ');
    const documents: Record<string, string> = {
      'linstor-api.md': plain(readFileSync(join(shared, 'reference', 'linstor-api.md'), 'utf8')),
      'ARCHITECTURE.md': plain(readFileSync(join(shared, 'ARCHITECTURE.md'), 'utf8')),
    };
    for (const deviation of DEVIATIONS) {
      if (deviation.source === 'spec analysis') {
        expect(deviation.note?.length ?? 0, deviation.id).toBeGreaterThan(80);
        continue;
      }
      const document = documents[deviation.source.split(' ')[0] ?? ''];
      expect(document, `${deviation.id}: unknown source ${deviation.source}`).toBeDefined();
      expect(deviation.quotes.length, deviation.id).toBeGreaterThan(0);
      for (const quote of deviation.quotes)
        expect(document, `${deviation.id} quotes "${quote}"`).toContain(plain(quote));
    }
  });

  it('names only templates and schemas that exist in the spec', () => {
    for (const deviation of DEVIATIONS) {
      const rule = deviation.rule;
      if (rule.kind === 'single-object-get') {
        expect(findRoute('GET', rule.listTemplate)?.template, deviation.id).toBe(rule.listTemplate);
        expect(findRoute('GET', rule.template)?.deviations, deviation.id).toContain(deviation.id);
      }
      if (rule.kind === 'success-status' || rule.kind === 'error-reply-shape') {
        expect(findRoute(rule.method, rule.template)?.template, deviation.id).toBe(rule.template);
      }
    }
  });
});
