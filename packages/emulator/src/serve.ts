/**
 * `serve`: the command-line front of the emulator (`linstor-hv-emulator serve ...`, later wrapped as
 * `linstor-hv emulator serve`). Prints one JSON startup line `{"urls","blackholeUrls","dataDir"}`
 * on stdout and stops cleanly on SIGTERM/SIGINT.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ClusterDescription } from './cluster';
import { type ListenerSpec, type RunningEmulator, startEmulator } from './start';

export const SERVE_USAGE = `usage: linstor-hv-emulator serve [options]
  --data-dir DIR            state and volume data (default: a temporary directory)
  --cluster FILE|three-node cluster created on first start (default: three-node)
  --listen URL              http://HOST:PORT or https://HOST:PORT (repeatable; default http://127.0.0.1:3370)
  --blackhole HOST:PORT     a port that accepts TCP and never answers (repeatable)
  --tls-cert FILE --tls-key FILE [--tls-ca FILE] [--require-client-cert]
  --redirect-http           plain listeners answer /v1/... with a 302 to the first https listener
  --token-file FILE         bearer tokens, one per line (or {"token": "..."}); turns token mode on
  --rest-api-version X.Y.Z  REST API version to advertise (default 1.28.0)
  --journal-limit BYTES     journal size that triggers a state snapshot (default 16 MiB)
  --flush-each-commit       wait for the disk on every commit (default: flushed within 500 ms,
                            as the controller's default H2 database does)`;

/** Splits `host:port` (IPv6 as `[::1]:port`). */
function hostPort(value: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value);
  if (!m) throw new Error(`${what} must be HOST:PORT, got '${value}'`);
  return { host: m[1] ?? m[2]!, port: Number(m[3]) };
}

function listenerFromUrl(value: string): ListenerSpec {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`--listen must be a URL such as http://127.0.0.1:3370, got '${value}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`--listen supports http:// and https:// only, got '${value}'`);
  }
  const kind = url.protocol === 'https:' ? 'https' : 'http';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? (kind === 'https' ? 3371 : 3370) : Number(url.port);
  return { kind, host, port };
}

/** Reads bearer tokens: `{"token": "..."}` / `{"tokens": [...]}` JSON, or one token per line. */
async function readTokens(file: string): Promise<string[]> {
  const text = (await readFile(file, 'utf8')).trim();
  if (text.startsWith('{')) {
    const parsed = JSON.parse(text) as { token?: string; tokens?: string[] };
    return [...(parsed.token ? [parsed.token] : []), ...(parsed.tokens ?? [])];
  }
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/**
 * Runs `serve` with command-line arguments (without the node and script paths). Resolves once the
 * emulator listens; installs SIGTERM/SIGINT handlers that stop it and exit the process. With
 * `--help` it prints the usage on stdout and resolves to undefined without starting anything.
 */
export async function runServe(argv: string[]): Promise<RunningEmulator | undefined> {
  const args = argv[0] === 'serve' ? argv.slice(1) : argv;
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${SERVE_USAGE}\n`);
    return undefined;
  }
  const { values } = parseArgs({
    args,
    options: {
      'data-dir': { type: 'string' },
      cluster: { type: 'string' },
      listen: { type: 'string', multiple: true },
      blackhole: { type: 'string', multiple: true },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-ca': { type: 'string' },
      'require-client-cert': { type: 'boolean' },
      'redirect-http': { type: 'boolean' },
      'token-file': { type: 'string' },
      'rest-api-version': { type: 'string' },
      'journal-limit': { type: 'string' },
      'flush-each-commit': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  let cluster: ClusterDescription | 'three-node' = 'three-node';
  if (values.cluster && values.cluster !== 'three-node') {
    cluster = JSON.parse(await readFile(values.cluster, 'utf8')) as ClusterDescription;
  }
  const listeners: ListenerSpec[] = (values.listen ?? ['http://127.0.0.1:3370']).map(listenerFromUrl);
  if (values['redirect-http']) for (const l of listeners) if (l.kind === 'http') l.redirectToHttps = true;
  for (const b of values.blackhole ?? [])
    listeners.push({ kind: 'blackhole', ...hostPort(b, '--blackhole') });
  const wantsTls = values['tls-cert'] || values['tls-key'];
  if (wantsTls && !(values['tls-cert'] && values['tls-key']))
    throw new Error('--tls-cert and --tls-key go together');
  const journalLimit = values['journal-limit'] === undefined ? undefined : Number(values['journal-limit']);
  if (journalLimit !== undefined && !(Number.isSafeInteger(journalLimit) && journalLimit > 0)) {
    throw new Error(`--journal-limit must be a positive number of bytes, got '${values['journal-limit']}'`);
  }
  const emulator = await startEmulator({
    dataDir: values['data-dir'],
    cluster,
    listeners,
    tls: wantsTls
      ? {
          cert: values['tls-cert']!,
          key: values['tls-key']!,
          ca: values['tls-ca'],
          requireClientCert: values['require-client-cert'] ?? false,
        }
      : undefined,
    tokens: values['token-file'] ? await readTokens(values['token-file']) : undefined,
    restApiVersion: values['rest-api-version'],
    compactAfterBytes: journalLimit,
    flushEachCommit: values['flush-each-commit'] ?? false,
  });
  const shutdown = () => {
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  process.stdout.write(
    `${JSON.stringify({ urls: emulator.urls, blackholeUrls: emulator.blackholeUrls, dataDir: emulator.dataDir })}\n`,
  );
  // For people: stdout carries only the machine-readable line above.
  process.stderr.write(
    `LINSTOR controller emulator: REST API v1 at ${emulator.urls.join(', ')} (data in ${emulator.dataDir}); ` +
      'stop with Ctrl-C.\n',
  );
  return emulator;
}
