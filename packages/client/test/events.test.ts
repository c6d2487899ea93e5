import { afterEach, describe, expect, it } from 'vitest';
import {
  createLinstorClient,
  LinstorApiError,
  type LinstorClient,
  parseServerSentEvents,
  type ServerSentEvent,
} from '../src/index';
import { startHttpServer, type TestServer, withHealth } from './helpers/servers';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sseServer(write: (res: import('node:http').ServerResponse) => void): Promise<TestServer> {
  const s = await startHttpServer(
    withHealth((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      write(res);
    }),
  );
  cleanups.push(() => s.close());
  return s;
}

function client(origin: string): LinstorClient {
  const c = createLinstorClient({ controllers: origin, env: {}, tokenFile: false });
  cleanups.push(() => c.close());
  return c;
}

async function collect(chunks: string[]): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  async function* source() {
    for (const c of chunks) yield c;
  }
  for await (const e of parseServerSentEvents(source())) events.push(e);
  return events;
}

describe('server-sent events', () => {
  it('parses events split across chunks, CRLF lines, comments and multi-line data', async () => {
    expect(
      await collect([
        'event: a\r',
        '\ndata: {"x":',
        '1}\r\n\r\n: keep-alive\n\nevent:b\ndata: l1\ndata: l2\n\n',
        'data: tail',
      ]),
    ).toEqual([
      { event: 'a', data: '{"x":1}' },
      { event: 'b', data: 'l1\nl2' },
    ]);
  });

  it('yields promotion changes, sends Last-Event-ID: current, and stops when aborted', async () => {
    const s = await sseServer((res) => {
      res.write(
        'event: may-promote-change\ndata: {"resource_name":"vm-1","node_name":"pve1","may_promote":true}\n\n',
      );
      setTimeout(
        () =>
          res.write(
            'event: may-promote-change\ndata: {"resource_name":"vm-1","node_name":"pve1","may_promote":false}\n\n',
          ),
        50,
      );
    });
    const abort = new AbortController();
    const seen: unknown[] = [];
    for await (const change of client(s.origin).events.promotion({ signal: abort.signal })) {
      seen.push(change);
      if (seen.length === 2) abort.abort();
    }
    expect(seen).toEqual([
      { resource_name: 'vm-1', node_name: 'pve1', may_promote: true },
      { resource_name: 'vm-1', node_name: 'pve1', may_promote: false },
    ]);
    const request = s.requests.find((r) => r.url === '/v1/events/drbd/promotion')!;
    expect(request.headers['last-event-id']).toBe('current');
    expect(request.headers.accept).toBe('text/event-stream');
  });

  it('is ended by the client-wide signal', async () => {
    const s = await sseServer((res) => {
      res.write(
        'event: may-promote-change\ndata: {"resource_name":"r","node_name":"n","may_promote":true}\n\n',
      );
    });
    const shutdown = new AbortController();
    const c = createLinstorClient({
      controllers: s.origin,
      env: {},
      tokenFile: false,
      signal: shutdown.signal,
    });
    cleanups.push(() => c.close());
    const seen: unknown[] = [];
    const consume = async () => {
      for await (const change of c.events.promotion()) {
        seen.push(change);
        shutdown.abort(new Error('shutting down'));
      }
    };
    await expect(consume()).rejects.toThrow('shutting down');
    expect(seen).toHaveLength(1);
  });

  it('ends when the controller closes the stream', async () => {
    const s = await sseServer((res) => {
      res.end(
        'event: may-promote-change\ndata: {"resource_name":"r","node_name":"n","may_promote":true}\n\n',
      );
    });
    const seen: unknown[] = [];
    for await (const change of client(s.origin).events.promotion({ lastEventId: null })) seen.push(change);
    expect(seen).toHaveLength(1);
    expect(
      s.requests.find((r) => r.url === '/v1/events/drbd/promotion')!.headers['last-event-id'],
    ).toBeUndefined();
  });

  it('turns an error event into a LinstorApiError', async () => {
    const s = await sseServer((res) => {
      res.end(
        'event: error\ndata: [{"ret_code":-4611686018427386906,"message":"stream registration failed"}]\n\n',
      );
    });
    const iterate = async () => {
      for await (const _ of client(s.origin).events.promotion()) {
        // no events expected before the error
      }
    };
    const error = (await iterate().catch((e: unknown) => e)) as LinstorApiError;
    expect(error).toBeInstanceOf(LinstorApiError);
    expect(error.message).toContain('stream registration failed');
  });
});
