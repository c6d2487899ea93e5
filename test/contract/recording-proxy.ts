/**
 * A recording HTTP proxy for request-contract tests: a client under test talks to the proxy, which
 * forwards every request unchanged to the real target (the emulator) and keeps an exact copy of what
 * arrived — method, URL with its query string, headers and body bytes. Replies stream through
 * untouched, so event streams work too. Listens on 127.0.0.1, port 0.
 *
 * Idle connections are never closed by either side of the proxy: Node's server closes an idle
 * keep-alive connection after 5 s, and on a loaded machine a client whose timers run late reuses
 * it just then and gets ECONNRESET before its request arrives, which would fail a call for a
 * reason that has nothing to do with the contract. Towards the emulator each request gets a fresh
 * connection for the same reason.
 */
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query string exactly as the client sent them. */
  url: string;
  headers: IncomingHttpHeaders;
  /** The request body as text ('' when none was sent). */
  body: string;
}

export interface RecordingProxy {
  /** Base URL the client under test should use, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Requests received since start or the last `clear()`, in arrival order. */
  readonly requests: RecordedRequest[];
  clear(): void;
  stop(): Promise<void>;
}

/** The headers without the hop-by-hop ones, which describe one connection and are not forwarded. */
function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const { connection: _connection, 'keep-alive': _keepAlive, ...rest } = headers;
  return rest;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const requests: RecordedRequest[] = [];
  const agent = new Agent({ keepAlive: false });
  const server = createServer({ keepAliveTimeout: 0 }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: body.toString('utf8'),
      });
      const forward = httpRequest(
        new URL(req.url ?? '/', upstream),
        { method: req.method, headers: { ...endToEnd(req.headers), host: upstream.host }, agent },
        (reply) => {
          res.writeHead(reply.statusCode ?? 502, endToEnd(reply.headers));
          reply.pipe(res);
        },
      );
      // A client that hangs up (e.g. leaving an event stream) must end the upstream request too.
      res.on('close', () => forward.destroy());
      forward.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('recording proxy: upstream request failed');
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    clear: () => {
      requests.length = 0;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
