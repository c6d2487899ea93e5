import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Paths of a throw-away PKI made with the openssl CLI: a CA, a server and a client certificate. */
export interface TestPki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second CA that signed nothing we use (for "wrong CA" checks). */
  otherCaCert: string;
  /** Server certificate (for 127.0.0.1) that expired before it was valid (`-days -1`). */
  expiredServerCert: string;
  expiredServerKey: string;
  /** A self-signed server certificate for 127.0.0.1 (no CA behind it). */
  selfSignedServerCert: string;
  selfSignedServerKey: string;
  /** A client certificate signed by the other CA (a server trusting only `ca` rejects it). */
  foreignClientCert: string;
  foreignClientKey: string;
  /** A client certificate of the main CA that has expired. */
  expiredClientCert: string;
  expiredClientKey: string;
  read(path: string): string;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A self-signed certificate `<name>.crt` with its key, carrying the given `-addext` extensions. */
function makeSelfSigned(dir: string, name: string, extensions: string[]): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    ...extensions.flatMap((ext) => ['-addext', ext]),
  ]);
}

function makeCa(dir: string, name: string): void {
  makeSelfSigned(dir, name, ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']);
}

/** A leaf certificate signed by `ca` (default the main CA), valid for `days` (-1: already expired). */
function makeLeaf(dir: string, name: string, ext: string, ca = 'ca', days = 2): void {
  openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    `/CN=${name}`,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
  ]);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-days',
    String(days),
    '-out',
    `${name}.crt`,
    '-extfile',
    `${name}.ext`,
  ]);
}

/** Generates the PKI in a fresh temporary directory (a few hundred ms). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'client-pki-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  const serverExt = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n';
  makeLeaf(dir, 'server', serverExt);
  makeLeaf(dir, 'client', 'extendedKeyUsage=clientAuth\n');
  makeLeaf(dir, 'server-expired', serverExt, 'ca', -1);
  makeLeaf(dir, 'client-foreign', 'extendedKeyUsage=clientAuth\n', 'other-ca');
  makeLeaf(dir, 'client-expired', 'extendedKeyUsage=clientAuth\n', 'ca', -1);
  makeSelfSigned(dir, 'self-signed', ['subjectAltName=IP:127.0.0.1']);
  const p = (f: string) => join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    otherCaCert: p('other-ca.crt'),
    expiredServerCert: p('server-expired.crt'),
    expiredServerKey: p('server-expired.key'),
    selfSignedServerCert: p('self-signed.crt'),
    selfSignedServerKey: p('self-signed.key'),
    foreignClientCert: p('client-foreign.crt'),
    foreignClientKey: p('client-foreign.key'),
    expiredClientCert: p('client-expired.crt'),
    expiredClientKey: p('client-expired.key'),
    read: (path) => readFileSync(path, 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
