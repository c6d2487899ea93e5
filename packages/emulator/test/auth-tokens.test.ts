/**
 * Tokens made through `/v1/controller/auth/...` authenticate requests as linstor-server's
 * AuthenticationFilter checks them: enforced once `Auth/TokenAuthenticationEnabled` is true and a
 * valid token exists; active, unrevoked, unexpired tokens only; an IP filter must equal the
 * client's address.
 */
import { FAIL_ACC_DENIED_COMMAND } from '@linstor-hv/api';
import { describe, expect, it } from 'vitest';
import { useEmulator } from './emulator-fixture';
import { call, messages, retCodes } from './http-helpers';

let url: string;

useEmulator({ resetAfterEach: true }, (started) => {
  url = started.url;
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Switches token auth on; returns the init token the reply shows once. */
async function initialize(): Promise<string> {
  const reply = await call(url, 'POST', '/v1/controller/auth/initialize-token-auth', { description: 'init' });
  expect(reply.status, reply.text).toBe(201);
  const token = /Init token (\S+)$/.exec(messages(reply)[0] ?? '')?.[1];
  expect(token).toBeDefined();
  return token!;
}

/** Creates a token (as the holder of `auth`); returns its text and id. */
async function createToken(
  auth: string,
  body: Record<string, unknown>,
): Promise<{ token: string; id: number }> {
  const reply = await call(url, 'POST', '/v1/controller/auth/token', body, bearer(auth));
  expect(reply.status, reply.text).toBe(201);
  const token = /created successfully: (\S+)$/.exec(messages(reply)[0] ?? '')![1]!;
  const list = await call(url, 'GET', '/v1/controller/auth/token', undefined, bearer(auth));
  const ids = (list.json as { list: { id: number }[] }).list.map((t) => t.id);
  return { token, id: Math.max(...ids) };
}

async function status(token?: string): Promise<number> {
  return (await call(url, 'GET', '/v1/nodes', undefined, token ? bearer(token) : {})).status;
}

describe('tokens created through the API', () => {
  it('are required once token auth is initialized, and the init token is accepted', async () => {
    expect(await status()).toBe(200);
    const init = await initialize();
    const refused = await call(url, 'GET', '/v1/nodes');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="linstor-controller"');
    expect([retCodes(refused), messages(refused)]).toEqual([
      [FAIL_ACC_DENIED_COMMAND],
      ['Unauthorized: token invalid or not provided'],
    ]);
    expect(await status('not-a-token')).toBe(401);
    expect(await status(init)).toBe(200);
    expect(
      (await call(url, 'GET', '/v1/nodes', undefined, { authorization: `bearer  ${init}` })).status,
    ).toBe(200);
    expect((await call(url, 'GET', '/health')).status).toBe(200);
  });

  it('stop working when disabled, revoked or expired, or from another address than their IP filter', async () => {
    const init = await initialize();
    const second = await createToken(init, { description: 'second' });
    expect(await status(second.token)).toBe(200);
    await call(url, 'PUT', `/v1/controller/auth/token/${second.id}`, { is_active: false }, bearer(init));
    expect(await status(second.token)).toBe(401);
    await call(url, 'PUT', `/v1/controller/auth/token/${second.id}`, { is_active: true }, bearer(init));
    expect(await status(second.token)).toBe(200);
    await call(url, 'DELETE', `/v1/controller/auth/token/${second.id}`, undefined, bearer(init));
    expect(await status(second.token)).toBe(401);

    const expired = await createToken(init, { description: 'old', expires_at: '2020-01-01T00:00:00Z' });
    expect(await status(expired.token)).toBe(401);
    const elsewhere = await createToken(init, { description: 'far', ip_filter: '10.9.9.9' });
    expect(await status(elsewhere.token)).toBe(401);
    const local = await createToken(init, { description: 'here', ip_filter: '127.0.0.1' });
    expect(await status(local.token)).toBe(200);
  });

  it('are no longer enforced once no valid token is left', async () => {
    const init = await initialize();
    expect(await status()).toBe(401);
    await call(url, 'DELETE', '/v1/controller/auth/token/1', undefined, bearer(init));
    expect(await status()).toBe(200);
    expect(await status(init)).toBe(200);
  });
});
