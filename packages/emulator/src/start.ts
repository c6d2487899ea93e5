/**
 * Starting the emulator in-process: open the store in the data directory, bootstrap the cluster on
 * an empty state, and serve the pipeline on every listener (HTTP, HTTPS with optional required
 * client certificates, and black-hole ports that accept TCP and never answer).
 */
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROP_TOKEN_AUTH_ENABLED } from '@linstor-hv/api';
import { bootstrapCluster, type ClusterDescription, isEmptyState, resolveCluster } from './cluster';
import type { EmulatorConfig, EmulatorContext } from './context';
import { type ConsistencyReport, DataPlane } from './dataplane';
import { resumeClones, settleClones } from './domain/clone';
import type { PropsRec } from './domain/model';
import { forgetThinUsage } from './domain/storage';
import { openJournalStore } from './infra/journal-store';
import type { Store } from './infra/store';
import { allRoutes, controlRoutes } from './routes';
import { EmulatorServer } from './server';
import { type ControlTls, EmulatorControl } from './testing';

/** Directory under the data dir that holds the store (everything else belongs to the data plane). */
export const STATE_DIR = 'state';
export const DEFAULT_VERSION = '1.34.1';
export const DEFAULT_REST_API_VERSION = '1.28.0';

export interface ListenerSpec {
  kind: 'http' | 'https' | 'blackhole';
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /**
   * For `http`: answer `/v1/...` with a 302 to the first HTTPS listener, as the controller's plain
   * port does when HTTPS is configured (clients probe this and switch to TLS). `/health` and the
   * control API are still served.
   */
  redirectToHttps?: boolean;
}

/** TLS material as PEM text or as paths of PEM files. */
export interface TlsOptions {
  cert: string;
  key: string;
  /** CA that client certificates must chain to. */
  ca?: string;
  /** Refuse TLS connections that present no valid client certificate (needs `ca`). */
  requireClientCert?: boolean;
}

export interface StartOptions {
  /** Where state and volume data live; default: a fresh temp directory, removed on stop. */
  dataDir?: string;
  /** Cluster written on first start (empty state); default 'three-node'. Ignored when state exists. */
  cluster?: ClusterDescription | 'three-node';
  /** Default: one HTTP listener on 127.0.0.1, any port. */
  listeners?: ListenerSpec[];
  /** Needed by https listeners. */
  tls?: TlsOptions;
  /** Bearer tokens; when given, token mode is on (`Auth/TokenAuthenticationEnabled=true`). */
  tokens?: string[];
  /** REST API version to advertise (default 1.28.0). */
  restApiVersion?: string;
  /** Clock for records and error reports (tests). */
  now?: () => number;
  /** Journal size in bytes that triggers a snapshot (default 16 MiB). */
  compactAfterBytes?: number;
  /** Wait for the disk on every commit instead of flushing within H2's write delay (see JournalStoreOptions). */
  flushEachCommit?: boolean;
}

export interface RunningEmulator {
  /** The first HTTP(S) listener's base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Base URLs of every HTTP(S) listener, in the order given. */
  urls: string[];
  /** `http://host:port` of every black-hole listener. */
  blackholeUrls: string[];
  dataDir: string;
  /** Client of the test control API on the first listener. */
  control: EmulatorControl;
  /** The handlers' context (store, services) for in-process tests. */
  context: EmulatorContext;
  store: Store;
  /**
   * What the startup repair found in the data directory (files and device links left behind by a
   * crash, which it removed or recreated; data files that records reference but that are missing).
   */
  startupReport: ConsistencyReport;
  /** Stops listeners, ends streams, closes the store (and removes a temporary data dir). */
  stop(): Promise<void>;
}

/** Reads PEM text, or the file it names. */
export async function readPem(value: string): Promise<string> {
  return value.includes('-----BEGIN') ? value : await readFile(value, 'utf8');
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The host name of a Host header (`name:port`, `[v6]:port`), without the port. */
function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^\[([^\]]+)\](?::\d+)?$|^([^:]+)(?::\d+)?$/.exec(header);
  return m ? (m[1] ?? m[2]) : undefined;
}

function hostnameOfUrl(url: string): string {
  return new URL(url).hostname.replace(/^\[|\]$/g, '');
}

/** Starts an emulator in this process. */
export async function startEmulator(options: StartOptions = {}): Promise<RunningEmulator> {
  // Read once: the listeners and the returned control client share the PEM text.
  const tls = options.tls
    ? {
        cert: await readPem(options.tls.cert),
        key: await readPem(options.tls.key),
        ca: options.tls.ca ? await readPem(options.tls.ca) : undefined,
        requireClientCert: options.tls.requireClientCert ?? false,
      }
    : undefined;
  if (tls?.requireClientCert && !tls.ca) throw new Error('requireClientCert needs a CA (tls.ca)');
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'linstor-hv-emulator-')));
  await mkdir(dataDir, { recursive: true });
  const cluster = resolveCluster(options.cluster);
  const tokens = options.tokens ?? [];
  const store = await openJournalStore(join(dataDir, STATE_DIR), {
    compactAfterBytes: options.compactAfterBytes,
    flushEachCommit: options.flushEachCommit,
  });

  const prepareState = async () => {
    if (isEmptyState(store)) await bootstrapCluster(store, cluster);
    if (tokens.length > 0) {
      await store.transaction(() => {
        const rec = store.get<PropsRec>('controller', ['props']) ?? { props: {} };
        rec.props[PROP_TOKEN_AUTH_ENABLED] = 'true';
        store.put('controller', ['props'], rec);
      });
    }
  };
  await prepareState();
  // A crash between a data-plane file operation and its commit leaves orphans or missing links.
  const startupReport = new DataPlane(dataDir).reconcile(store);

  const config: EmulatorConfig = {
    version: DEFAULT_VERSION,
    restApiVersion: options.restApiVersion ?? DEFAULT_REST_API_VERSION,
    tokenAuth: tokens.length > 0,
  };
  const server = new EmulatorServer({
    store,
    dataDir,
    config,
    tokens,
    routes: allRoutes(),
    now: options.now,
  });
  // A clone that a stop or crash interrupted would otherwise stay CLONING forever: copy it again.
  resumeClones(server.ctx);
  server.addRoutes(
    controlRoutes({
      faults: server.faults,
      log: server.log,
      reset: async () => {
        // Let background clone copies finish first, so none writes into the emptied state.
        await settleClones(server.ctx);
        await store.clear();
        for (const name of await readdir(dataDir)) {
          if (name !== STATE_DIR) await rm(join(dataDir, name), { recursive: true, force: true });
        }
        forgetThinUsage();
        server.faults.clear();
        server.log.clear();
        await prepareState();
      },
    }),
  );

  const httpServers: HttpServer[] = [];
  const blackholes: { server: NetServer; sockets: Set<Socket> }[] = [];
  const urls: string[] = [];
  const blackholeUrls: string[] = [];
  const stopAll = async () => {
    server.stop();
    // Background clone copies end at their next step once stopped; wait so no file is written after.
    await settleClones(server.ctx);
    await Promise.all(
      httpServers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
    await Promise.all(
      blackholes.map(
        (b) =>
          new Promise<void>((resolve) => {
            b.server.close(() => resolve());
            for (const socket of b.sockets) socket.destroy();
          }),
      ),
    );
    await store.close();
    if (temporary) await rm(dataDir, { recursive: true, force: true });
  };

  try {
    const listenerSpecs = options.listeners ?? [{ kind: 'http' }];
    if (listenerSpecs.some((l) => l.redirectToHttps) && !listenerSpecs.some((l) => l.kind === 'https')) {
      throw new Error('redirectToHttps needs an https listener to redirect to');
    }
    for (const spec of listenerSpecs) {
      const host = spec.host ?? '127.0.0.1';
      const port = spec.port ?? 0;
      if (spec.kind === 'blackhole') {
        const sockets = new Set<Socket>();
        const hole = createNetServer((socket) => {
          // Accept and hold the connection; never read a reply into it (a hung controller).
          sockets.add(socket);
          socket.on('error', () => {});
          socket.on('close', () => sockets.delete(socket));
        });
        blackholes.push({ server: hole, sockets });
        await listen(hole, host, port);
        blackholeUrls.push(`http://${urlHost(host)}:${(hole.address() as AddressInfo).port}`);
        continue;
      }
      let httpServer: HttpServer;
      if (spec.kind === 'https') {
        if (!tls) throw new Error('an https listener needs tls.cert and tls.key');
        httpServer = createHttpsServer(
          {
            cert: tls.cert,
            key: tls.key,
            ca: tls.ca,
            requestCert: tls.ca !== undefined,
            rejectUnauthorized: tls.requireClientCert,
          },
          server.handle,
        );
      } else if (spec.redirectToHttps) {
        httpServer = createHttpServer((req, res) => {
          const httpsUrl = urls.find((u) => u.startsWith('https:'));
          const path = req.url ?? '/';
          if (httpsUrl && (path.startsWith('/v1/') || path === '/metrics')) {
            const host = hostOf(req.headers.host) ?? hostnameOfUrl(httpsUrl);
            const location = `https://${urlHost(host)}:${new URL(httpsUrl).port}${path}`;
            req.resume();
            res.writeHead(302, { Location: location, 'Content-Length': '0' });
            res.end();
          } else server.handle(req, res);
        });
      } else httpServer = createHttpServer(server.handle);
      httpServers.push(httpServer);
      await listen(httpServer, host, port);
      const scheme = spec.kind === 'https' ? 'https' : 'http';
      urls.push(`${scheme}://${urlHost(host)}:${(httpServer.address() as AddressInfo).port}`);
    }
  } catch (e) {
    await stopAll();
    throw e;
  }

  const url = urls[0] ?? '';
  const controlTls: ControlTls | undefined =
    url.startsWith('https:') && tls ? { ca: tls.ca ?? tls.cert } : undefined;
  let stopped: Promise<void> | undefined;
  return {
    url,
    urls,
    blackholeUrls,
    dataDir,
    control: new EmulatorControl(url, controlTls),
    context: server.ctx,
    store,
    startupReport,
    stop: () => {
      stopped ??= stopAll();
      return stopped;
    },
  };
}

function listen(server: NetServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
