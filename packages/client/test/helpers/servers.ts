import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as HttpsServerOptions } from 'node:https';
import { connect, createServer as createNetServer, type Socket } from 'node:net';

/** A request as a test server saw it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A handler gets the request with its body already read. */
export type TestHandler = (
  req: SeenRequest,
  res: ServerResponse,
  raw: IncomingMessage,
) => void | Promise<void>;

/** A tiny HTTP(S) server on 127.0.0.1 with a request log. */
export interface TestServer {
  origin: string;
  port: number;
  requests: SeenRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

async function listen(
  server: Server,
  scheme: 'http' | 'https',
  requests: SeenRequest[],
): Promise<TestServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  server.on(scheme === 'https' ? 'secureConnection' : 'connection', (s: Socket) => {
    accepted++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    origin: `${scheme}://127.0.0.1:${port}`,
    port,
    requests,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function wrap(handler: TestHandler, requests: SeenRequest[]) {
  return (raw: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    raw.on('data', (c: Buffer) => chunks.push(c));
    raw.on('end', () => {
      const seen: SeenRequest = {
        method: raw.method ?? '',
        url: raw.url ?? '',
        headers: raw.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(seen);
      Promise.resolve(handler(seen, res, raw)).catch((e: unknown) => {
        res.statusCode = 599;
        res.end(String(e));
      });
    });
  };
}

/** Starts a plain HTTP server. */
export function startHttpServer(handler: TestHandler): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  return listen(createServer(wrap(handler, requests)), 'http', requests);
}

/** Starts an HTTPS server. */
export function startHttpsServer(options: HttpsServerOptions, handler: TestHandler): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  return listen(createHttpsServer(options, wrap(handler, requests)) as unknown as Server, 'https', requests);
}

/** A port that accepts TCP connections and never answers (a hung controller). */
export async function startBlackhole(): Promise<{
  origin: string;
  connections: () => number;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createNetServer((s) => {
    count++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 where nothing listens (bound once, then released). */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Writes a JSON reply whose text is given verbatim (so int64 numbers stay exact). */
export function sendJsonText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(text);
}

/** Answers `/health` with 200 and hands every other request to `handler`. */
export function withHealth(handler: TestHandler): TestHandler {
  return (req, res, raw) => {
    if (req.url === '/health') {
      res.writeHead(200);
      res.end();
      return;
    }
    return handler(req, res, raw);
  };
}

/**
 * An `openssl s_server` on 127.0.0.1 (answers any GET with its status page). Unlike Node's TLS
 * server it refuses a client certificate the way most TLS stacks (and LINSTOR's Java controller)
 * do, with a TLS alert, so the client's reading of those alerts can be tested.
 */
export async function startOpensslServer(
  args: string[],
): Promise<{ origin: string; close(): Promise<void> }> {
  const port = await closedPort();
  const child = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-www', '-quiet', ...args], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let tries = 0; ; tries++) {
    const listening = await new Promise<boolean>((resolve) => {
      const probe = connect(port, '127.0.0.1', () => {
        probe.destroy();
        resolve(true);
      });
      probe.once('error', () => resolve(false));
    });
    if (listening) break;
    if (tries > 100 || child.exitCode !== null) {
      child.kill();
      throw new Error(`openssl s_server did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    origin: `https://127.0.0.1:${port}`,
    close: async () => {
      child.kill();
      await exited;
    },
  };
}
