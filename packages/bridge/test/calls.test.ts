import { describe, expect, it } from 'vitest';
import { BridgeCallError, BridgeClient } from '../src';
import { startTestBridge, until } from './helpers';

async function rejection(promise: Promise<unknown>): Promise<BridgeCallError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BridgeCallError);
  return error as BridgeCallError;
}

describe('bridge calls', () => {
  it('answers bridge.hello with name, version, platform, protocol and the method list', async () => {
    const h = await startTestBridge();
    const client = await h.client();
    expect(await client.call('bridge.hello')).toEqual({
      name: 'linstor-hv',
      version: '1.2.3',
      platform: 'test',
      protocol: 1,
      methods: ['boom', 'bridge.hello', 'bridge.stats', 'echo', 'refuse', 'sleep', 'stubborn', 'typed'],
      defaultDeadlineMs: 60_000,
      maxDeadlineMs: 3_600_000,
    });
  });

  it('tells callers and the log the deadlines of a bridge whose calls may run for hours', async () => {
    const day = 24 * 60 * 60 * 1000;
    const h = await startTestBridge({ defaultDeadlineMs: day, maxDeadlineMs: day });
    const client = await h.client();
    expect(await client.call('bridge.hello')).toMatchObject({ defaultDeadlineMs: day, maxDeadlineMs: day });
    expect(h.logs.find((l) => l.event === 'listening')).toMatchObject({ defaultDeadlineMs: day });
  });

  it('knows how long its oldest running call has been running, and 0 once none runs', async () => {
    const h = await startTestBridge();
    const client = await h.client();
    expect(h.bridge.longestRunningMs()).toBe(0);
    const sent = performance.now();
    const first = client.call('sleep', { ms: 400, key: 'first' });
    await until(() => h.state.running === 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    const second = client.call('sleep', { ms: 50, key: 'second' });
    // The first call started after it was sent and at least 150 ms ago; the second changes nothing.
    const age = h.bridge.longestRunningMs();
    expect(age).toBeGreaterThanOrEqual(150);
    expect(age).toBeLessThanOrEqual(performance.now() - sent);
    await Promise.all([first, second]);
    expect(h.bridge.longestRunningMs()).toBe(0);
  });

  it('runs calls concurrently, on one connection and across connections', async () => {
    const h = await startTestBridge();
    const [a, b] = [await h.client(), await h.client()];
    const calls = Array.from({ length: 12 }, (_, i) =>
      (i % 2 ? a : b).call('sleep', { ms: 150, key: `k${i}` }),
    );
    expect(await Promise.all(calls)).toEqual(Array(12).fill({ slept: 150 }));
    expect(h.state.finished.size).toBe(12);
    expect(h.state.maxRunning).toBeGreaterThan(1);
  });

  it('queues calls beyond maxInFlight instead of running them all at once', async () => {
    const h = await startTestBridge({ maxInFlight: 2 });
    const client = await h.client();
    const calls = Array.from({ length: 6 }, (_, i) => client.call('sleep', { ms: 30, key: `q${i}` }));
    await Promise.all(calls);
    expect(h.state.maxRunning).toBe(2);
  });

  it('aborts a call at its deadline; the method undoes its work and the reply says so', async () => {
    const h = await startTestBridge();
    const client = await h.client();
    const error = await rejection(client.call('sleep', { ms: 60_000, key: 'late' }, { deadlineMs: 100 }));
    expect(error.rpcCode).toBe(-32001);
    expect(error.data).toMatchObject({ code: 'TEST_UNDONE', kind: 'timeout', outcome: 'undone' });
    expect(error.message).toBe(
      'sleep was stopped because it did not finish within 0.1 s: sleep late was undone',
    );
    expect(h.state.undone.has('late')).toBe(true);
    expect(h.logs.find((l) => l.event === 'call' && l.method === 'sleep')).toMatchObject({
      outcome: 'undone',
      rpcCode: -32001,
      aborted: 'deadline',
      restCalls: 2,
    });
  });

  it('says the outcome is unknown when a method ignores its signal past the undo grace', async () => {
    const h = await startTestBridge({ undoGraceMs: 100 });
    const client = await h.client();
    const error = await rejection(client.call('stubborn', { ms: 2_000 }, { deadlineMs: 50 }));
    expect(error.rpcCode).toBe(-32001);
    expect(error.data.outcome).toBe('unknown');
    expect(error.message).toMatch(/did not wind down in time: its outcome is unknown$/);
  });

  it('aborts the calls of a caller that disconnects, and they undo their work', async () => {
    const h = await startTestBridge();
    const client = await BridgeClient.connect(h.socketPath);
    const pending = client.call('sleep', { ms: 60_000, key: 'gone' }).catch(() => 'rejected');
    await until(() => h.state.running === 1);
    client.close();
    expect(await pending).toBe('rejected');
    await until(() => h.state.undone.has('gone'));
    await until(() => h.logs.some((l) => l.event === 'call' && l.aborted === 'disconnect'));
    // The bridge still serves others.
    expect(await (await h.client()).call('echo', { x: 1 })).toEqual({ x: 1 });
  });

  it('answers an oversized request with -32600 and keeps serving the connection', async () => {
    const h = await startTestBridge({ maxRequestBytes: 1024 });
    const client = await h.client();
    client.sendRaw(
      `${JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'echo', params: { pad: 'x'.repeat(5000) } })}\n`,
    );
    expect(await client.call('echo', { small: true })).toEqual({ small: true });
    expect(client.strayReplies).toEqual([
      {
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32600,
          message: 'the request is larger than the limit of 1024 bytes',
          data: { code: 'BRIDGE_INVALID_REQUEST', kind: 'protocol', outcome: 'failed' },
        },
      },
    ]);
  });

  it.each([
    ['not JSON', '{"jsonrpc":"2.0",', -32700, null, 'the request is not valid JSON'],
    [
      'a batch',
      '[{"jsonrpc":"2.0","id":1,"method":"echo"}]',
      -32600,
      null,
      'batch requests are not supported; send one request per line',
    ],
    ['not an object', '"hello"', -32600, null, 'the request is not a JSON-RPC 2.0 object'],
    ['no jsonrpc member', '{"id":7,"method":"echo"}', -32600, 7, 'the request lacks "jsonrpc": "2.0"'],
    [
      'no id',
      '{"jsonrpc":"2.0","method":"echo"}',
      -32600,
      null,
      'the request has no id (an integer or a string); notifications are not supported',
    ],
    [
      'a method that is no string',
      '{"jsonrpc":"2.0","id":"a","method":5}',
      -32600,
      'a',
      'the request has no method name',
    ],
    [
      'params that are a number',
      '{"jsonrpc":"2.0","id":8,"method":"echo","params":5}',
      -32600,
      8,
      'params must be an object or an array',
    ],
    [
      'a deadline out of range',
      '{"jsonrpc":"2.0","id":9,"method":"echo","deadlineMs":3600001}',
      -32600,
      9,
      'deadlineMs must be a whole number of milliseconds from 1 to 3600000',
    ],
    [
      'an unknown method',
      '{"jsonrpc":"2.0","id":10,"method":"nope"}',
      -32601,
      10,
      "there is no method 'nope' on this test bridge",
    ],
  ])('answers %s with a JSON-RPC error and keeps going', async (_what, line, code, id, message) => {
    const h = await startTestBridge();
    const client = await h.client();
    client.sendRaw(`${line}\n`);
    await until(() => client.strayReplies.length === 1);
    expect(client.strayReplies[0]).toMatchObject({ jsonrpc: '2.0', id, error: { code, message } });
    expect(await client.call('echo', { still: 'alive' })).toEqual({ still: 'alive' });
  });

  it('passes a method’s own rpcCode, code, kind, ret_codes and error-report ids on, in one line', async () => {
    const h = await startTestBridge();
    const client = await h.client();
    const invalid = await rejection(client.call('typed', { n: 'seven' }));
    expect(invalid.rpcCode).toBe(-32602);
    expect(invalid.data).toEqual({
      code: 'TEST_INVALID_PARAMS',
      kind: 'invalid-argument',
      outcome: 'failed',
    });
    expect(await client.call('typed', { n: 7 })).toEqual({ twice: 14 });
    const refused = await rejection(client.call('refuse'));
    expect(refused.rpcCode).toBe(-32000);
    expect(refused.message).toBe('volume vm-100-disk-0 does not exist second line');
    expect(refused.data).toEqual({
      code: 'VOLUME_NOT_FOUND',
      kind: 'not-found',
      retCodes: ['-4611686018407202806'],
      errorReportIds: ['5F3A-000001'],
      outcome: 'failed',
    });
  });

  it('answers a method’s bug with -32603 and no stack trace', async () => {
    const h = await startTestBridge();
    const client = await h.client();
    const error = await rejection(client.call('boom'));
    expect(error.rpcCode).toBe(-32603);
    expect(error.message).toBe("Cannot read properties of undefined (reading 'x')");
    expect(error.data).toEqual({ code: 'INTERNAL_ERROR', kind: 'internal', outcome: 'failed' });
  });

  it('logs one JSON line per call with method, time and outcome, and never the params', async () => {
    const h = await startTestBridge();
    const client = await h.client();
    await client.call('echo', { token: 'secret-token-value' });
    await rejection(client.call('refuse'));
    const calls = h.logs.filter((l) => l.event === 'call');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ method: 'echo', id: 1, outcome: 'completed' });
    expect(typeof calls[0]!.ms).toBe('number');
    expect(calls[1]).toMatchObject({
      method: 'refuse',
      outcome: 'failed',
      rpcCode: -32000,
      code: 'VOLUME_NOT_FOUND',
    });
    expect(JSON.stringify(h.logs)).not.toContain('secret-token-value');
  });
});
