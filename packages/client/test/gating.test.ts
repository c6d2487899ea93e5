import { afterEach, describe, expect, it } from 'vitest';
import { createLinstorClient, type LinstorClient, UnsupportedApiVersionError } from '../src/index';
import { sendJsonText, startHttpServer, type TestServer, withHealth } from './helpers/servers';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A controller advertising `restApiVersion` that answers every other request with an empty success. */
async function controller(restApiVersion: string): Promise<{ server: TestServer; client: LinstorClient }> {
  const server = await startHttpServer(
    withHealth((req, res) => {
      if (req.url === '/v1/controller/version') {
        sendJsonText(res, 200, JSON.stringify({ version: '1.35.0', rest_api_version: restApiVersion }));
      } else sendJsonText(res, 200, '[{"ret_code":54001666,"message":"deleted"}]');
    }),
  );
  const client = createLinstorClient({ controllers: server.origin, env: {}, tokenFile: false });
  cleanups.push(async () => {
    await client.close();
    await server.close();
  });
  return { server, client };
}

describe('API version gating', () => {
  it('sends the 1.29 calls to a controller that offers 1.29, asking for the version once', async () => {
    const { server, client } = await controller('1.29.0');
    await client.resourceDefinitions.deleteAllResources('vm-1', { deleteEmptyResourceDefinition: true });
    await client.snapshots.delete('vm-1', 'snap', { deleteEmptyResourceDefinition: true, nodes: ['a', 'b'] });
    expect(server.requests.filter((r) => r.url !== '/health').map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /v1/controller/version',
      'DELETE /v1/resource-definitions/vm-1/resources?delete_empty_resource_definition=true',
      'DELETE /v1/resource-definitions/vm-1/snapshots/snap?nodes=a&nodes=b&delete_empty_resource_definition=true',
    ]);
  });

  it('refuses them on an older controller without sending anything', async () => {
    const { server, client } = await controller('1.28.0');
    await expect(client.resourceDefinitions.deleteAllResources('vm-1')).rejects.toBeInstanceOf(
      UnsupportedApiVersionError,
    );
    await expect(client.requireApiVersion('1.28.1', 'Feature X')).rejects.toThrow(
      'Feature X needs LINSTOR REST API 1.28.1 or newer, but the controller offers 1.28.0; upgrade the LINSTOR controller.',
    );
    await client.snapshots.delete('vm-1', 'snap');
    expect(server.requests.filter((r) => r.url !== '/health').map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /v1/controller/version',
      'DELETE /v1/resource-definitions/vm-1/snapshots/snap',
    ]);
  });

  it('asks again after failing over to a controller with another version', async () => {
    const older = await controller('1.28.0');
    const newer = await controller('1.29.0');
    const client = createLinstorClient({
      controllers: [newer.server.origin, older.server.origin],
      env: {},
      tokenFile: false,
    });
    cleanups.push(() => client.close());
    await expect(client.apiVersion()).resolves.toBe('1.29.0');
    await expect(client.apiVersion()).resolves.toBe('1.29.0');
    expect(newer.server.requests.filter((r) => r.url === '/v1/controller/version')).toHaveLength(1);
    await newer.server.close();
    await client.nodes.list();
    expect(client.currentController).toBe(older.server.origin);
    await expect(client.apiVersion()).resolves.toBe('1.28.0');
  });

  it('compares versions numerically', async () => {
    const { client } = await controller('1.100.0');
    await expect(client.requireApiVersion('1.29.0')).resolves.toBeUndefined();
    await expect(client.requireApiVersion('2.0.0')).rejects.toBeInstanceOf(UnsupportedApiVersionError);
  });
});
