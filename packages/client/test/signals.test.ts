import { afterEach, describe, expect, it } from 'vitest';
import {
  AllControllersFailedError,
  type CallOptions,
  createLinstorClient,
  type LinstorClient,
} from '../src/index';
import { startHttpServer, type TestServer, withHealth } from './helpers/servers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A controller whose /health answers and whose API never does. */
async function hungController(): Promise<TestServer> {
  const s = await startHttpServer(withHealth(() => undefined));
  cleanups.push(() => s.close());
  return s;
}

function client(controllers: string[], options: Parameters<typeof createLinstorClient>[0] = {}) {
  const c = createLinstorClient({ tokenFile: false, env: {}, controllers, ...options });
  cleanups.push(() => c.close());
  return c;
}

/** Resolves once `server` has seen more than `count` API requests (health probes not counted). */
async function apiRequestArrives(server: TestServer, count: number): Promise<void> {
  while (server.requests.filter((r) => r.url !== '/health').length <= count) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One call per object kind (and the other entry points), each handing on `call`. */
const CALLS: { name: string; run: (c: LinstorClient, call: CallOptions) => Promise<unknown> }[] = [
  { name: 'controller.properties', run: (c, call) => c.controller.properties(call) },
  { name: 'nodes.list', run: (c, call) => c.nodes.list(undefined, call) },
  { name: 'storagePools.get', run: (c, call) => c.storagePools.get('n1', 'pool', call) },
  { name: 'resourceGroups.querySizeInfo', run: (c, call) => c.resourceGroups.querySizeInfo('rg', {}, call) },
  { name: 'volumeGroups.list', run: (c, call) => c.volumeGroups.list('rg', call) },
  {
    name: 'resourceDefinitions.clone',
    run: (c, call) => c.resourceDefinitions.clone('rd', { name: 'copy' }, call),
  },
  { name: 'volumeDefinitions.modify', run: (c, call) => c.volumeDefinitions.modify('rd', 0, {}, call) },
  { name: 'resources.view', run: (c, call) => c.resources.view({ resources: ['rd'] }, call) },
  { name: 'resourceConnections.get', run: (c, call) => c.resourceConnections.get('rd', 'a', 'b', call) },
  { name: 'snapshots.delete', run: (c, call) => c.snapshots.delete('rd', 'snap', {}, call) },
  { name: 'keyValueStore.get', run: (c, call) => c.keyValueStore.get('kvs', call) },
  { name: 'errorReports.get', run: (c, call) => c.errorReports.get('id', call) },
  { name: 'request', run: (c, call) => c.request('GET', '/v1/anything', call) },
  { name: 'wait.synced', run: (c, call) => c.wait.synced('rd', { signal: call.signal }) },
];

describe('CallOptions.signal reaches the request in flight', () => {
  it.each(CALLS)('$name stops when its signal fires mid-request', async ({ name, run }) => {
    const hung = await hungController();
    const c = client([hung.origin]);
    const abort = new AbortController();
    const pending = run(c, { signal: abort.signal }).catch((e: unknown) => e);
    await apiRequestArrives(hung, 0);
    abort.abort(new Error(`stopped ${name}`));
    expect(await pending).toEqual(new Error(`stopped ${name}`));
  });
});

describe('the overall deadline', () => {
  it('covers failover and retries: no attempt starts after it, and the error says so', async () => {
    const first = await hungController();
    const second = await hungController();
    // Each attempt may take longer than the whole deadline, and there are rounds to spare.
    const c = client([first.origin, second.origin], {
      requestTimeoutMs: 60_000,
      deadlineMs: 400,
      retries: 5,
      backoffMs: 1,
    });
    const error = await c.nodes.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllControllersFailedError);
    const failed = error as AllControllersFailedError;
    expect(failed.deadlineExceeded).toBe(true);
    expect(failed.message).toContain('before the deadline');
    const sent = [...first.requests, ...second.requests].filter((r) => r.url !== '/health');
    // The first attempt used up the deadline: no second controller, no second round.
    expect(sent).toHaveLength(1);
    expect(failed.message).toContain(`${second.origin}: not tried before the deadline`);
  });

  it('per call: deadlineMs of CallOptions bounds a call that would otherwise wait a minute', async () => {
    const hung = await hungController();
    const c = client([hung.origin], { requestTimeoutMs: 60_000, retries: 3 });
    const error = await c.resources.view(undefined, { deadlineMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AllControllersFailedError);
    expect((error as AllControllersFailedError).deadlineExceeded).toBe(true);
  });
});

describe('a request that runs out of its own time', () => {
  it('leaves the other calls on the same controller alone (POSTs in flight still get their reply)', async () => {
    const slowPosts = await startHttpServer(
      withHealth((req, res) => {
        if (req.method !== 'POST') return; // GETs hang
        setTimeout(() => {
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end('[{"ret_code":1,"message":"created"}]');
        }, 400);
      }),
    );
    cleanups.push(() => slowPosts.close());
    const c = client([slowPosts.origin], { retries: 0 });
    await c.health();
    const creates = ['a', 'b', 'c'].map((name) =>
      c.resourceDefinitions.create({ resource_definition: { name } }),
    );
    const poll = await c.nodes.list(undefined, { timeoutMs: 100, deadlineMs: 150 }).catch((e: unknown) => e);
    expect(poll).toBeInstanceOf(AllControllersFailedError);
    const replies = await Promise.all(creates);
    expect(replies.map((r) => r.messages)).toEqual([['created'], ['created'], ['created']]);
  });
});
