/**
 * Remotes (`/v1/remotes`), after linstor-server's CtrlRemoteApiCallHandler:
 *
 * - LINSTOR remotes (another controller) are stored: `url` gets the controller's defaults
 *   (`http://`, port 3370, or 3371 for `https://`), `cluster_id` must be a UUID; the list shows
 *   name and url (the passphrase is never sent back).
 * - EBS remotes need an unlocked master passphrase (the keys are stored encrypted); the region
 *   comes from the availability zone when not given, the endpoint from the region. The keys are
 *   kept only as a hash, and never sent back.
 * - S3 remotes need the master passphrase too, and the controller then lists the bucket to check
 *   the endpoint and keys. The emulator reaches no object store, so that check fails as it does
 *   for an unreachable endpoint, and no S3 remote is ever created.
 *
 * Names follow LINSTOR's name rules, are case-insensitive, and one name is one remote of any type.
 */
import { createHash } from 'node:crypto';
import {
  type ApiCallRc,
  CREATED,
  DELETED,
  FAIL_EXISTS_REMOTE,
  FAIL_INVLD_BACKUP_CONFIG,
  FAIL_NOT_FOUND_REMOTE,
  FAIL_UNKNOWN_ERROR,
  MASK_BACKUP,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_REMOTE,
  MODIFIED,
  nameKey,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import { FAIL_INVLD_CONF, FAIL_INVLD_REMOTE_NAME, FAIL_MISSING_EBS_TARGET, notFoundError } from './codes';
import { requireMasterKey } from './encryption';

export type RemoteType = 's3' | 'linstor' | 'ebs';

export interface RemoteRec {
  name: string;
  type: RemoteType;
  /** LINSTOR: the controller URL with defaults applied. */
  url?: string;
  clusterId?: string;
  /** EBS: EC2 endpoint, region, availability zone. */
  endpoint?: string;
  region?: string;
  availabilityZone?: string;
  /** SHA-256 of the secrets (never sent back; only to notice a change). */
  secretDigest?: string;
}

/** Remote names: LINSTOR's object name rule (a letter first; letters, digits, `_` and `-`). */
const REMOTE_NAME = /^[A-Za-z][A-Za-z0-9_-]{1,47}$/;
const LINSTOR_URL = /(https?:\/\/)?([^:]+)(:[0-9]+)?/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const AWS_REGION_FROM_AZ = /([^-]+-[^-]+-.)/;

/** The remote of that name, any type. */
export function getRemote(ctx: EmulatorContext, name: string): RemoteRec | undefined {
  return name ? ctx.store.get<RemoteRec>('remotes', [nameKey(name)]) : undefined;
}

/** Every remote, sorted by name. */
export function listRemotes(ctx: EmulatorContext, type?: RemoteType): RemoteRec[] {
  return ctx.store
    .list<RemoteRec>('remotes')
    .filter((r) => !type || r.type === type)
    .sort((a, b) => nameKey(a.name).localeCompare(nameKey(b.name)));
}

/** Throws FAIL_NOT_FOUND_REMOTE (404) unless the remote exists. */
export function requireRemote(ctx: EmulatorContext, name: string, opObjMask = 0n): RemoteRec {
  const remote = getRemote(ctx, name);
  if (!remote) throw notFoundError(FAIL_NOT_FOUND_REMOTE, 'remote', name, opObjMask);
  return remote;
}

/** The wire form of a remote, as its type's list shows it. */
export function remoteView(remote: RemoteRec): Record<string, unknown> {
  switch (remote.type) {
    case 'linstor':
      return { remote_name: remote.name, url: remote.url };
    case 'ebs':
      return {
        remote_name: remote.name,
        endpoint: remote.endpoint,
        region: remote.region,
        availability_zone: remote.availabilityZone,
      };
    default:
      return { remote_name: remote.name, endpoint: remote.endpoint, region: remote.region };
  }
}

function missing(body: Record<string, unknown>, fields: readonly string[]): void {
  const absent = fields.filter((f) => typeof body[f] !== 'string' || body[f] === '');
  if (absent.length === 0) return;
  throw new ApiCallError(
    entry(
      FAIL_INVLD_BACKUP_CONFIG | MASK_BACKUP,
      `The remote could not be created because the following required ${
        absent.length === 1 ? 'parameter is' : 'parameters are'
      } missing: [${absent.join(', ')}]`,
    ),
  );
}

function checkNewName(ctx: EmulatorContext, name: string, mask: bigint): void {
  if (!REMOTE_NAME.test(name)) {
    throw new ApiCallError(entry(FAIL_INVLD_REMOTE_NAME | mask, `Invalid remote name '${name}'.`));
  }
  if (getRemote(ctx, name)) {
    throw new ApiCallError(
      entry(
        FAIL_EXISTS_REMOTE | mask,
        `A remote with the name '${name}' already exists. Please use a different name or try to modify the remote instead.`,
      ),
    );
  }
}

function requireTyped(ctx: EmulatorContext, name: string, type: RemoteType, mask: bigint): RemoteRec {
  const remote = requireRemote(ctx, name, mask);
  if (remote.type !== type) {
    const what = type === 'ebs' ? 'EBS' : type === 's3' ? 'S3' : 'LINSTOR';
    throw new ApiCallError(
      entry(FAIL_EXISTS_REMOTE | mask, `The remote with the name '${remote.name}' is not a ${what} remote.`),
    );
  }
  return remote;
}

function linstorUrl(raw: string, mask: bigint): string {
  const m = LINSTOR_URL.exec(raw);
  if (!m) {
    throw new ApiCallError(
      entry(
        FAIL_UNKNOWN_ERROR | mask,
        `Given URL '${raw}' did not match expected pattern of ${LINSTOR_URL.source}`,
      ),
    );
  }
  const protocol = m[1] || 'http://';
  const port = m[3] || (protocol === 'https://' ? ':3371' : ':3370');
  return `${protocol}${m[2]}${port}`;
}

function checkClusterId(value: unknown, mask: bigint): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !UUID.test(value)) {
    throw new ApiCallError(entry(FAIL_INVLD_CONF | mask, 'The given cluster id is not a valid UUID'));
  }
  return value;
}

function digest(...secrets: unknown[]): string {
  return createHash('sha256').update(secrets.map(String).join('\0')).digest('hex');
}

function put(ctx: EmulatorContext, remote: RemoteRec): void {
  ctx.store.put('remotes', [nameKey(remote.name)], remote);
}

/** `POST /v1/remotes/linstor`. */
export function createLinstorRemote(ctx: EmulatorContext, body: Record<string, unknown>): ApiCallRc[] {
  const mask = MASK_CRT | MASK_REMOTE;
  missing(body, ['remote_name', 'url']);
  const name = String(body.remote_name);
  checkNewName(ctx, name, mask);
  const remote: RemoteRec = {
    name,
    type: 'linstor',
    url: linstorUrl(String(body.url), mask),
    clusterId: checkClusterId(body.cluster_id, mask),
  };
  if (typeof body.passphrase === 'string' && body.passphrase !== '') {
    requireMasterKey(ctx, mask);
    remote.secretDigest = digest(body.passphrase);
  }
  put(ctx, remote);
  return [entry(CREATED | mask, 'Linstor remote successfully created')];
}

/** `PUT /v1/remotes/linstor/{name}`. */
export function modifyLinstorRemote(
  ctx: EmulatorContext,
  name: string,
  body: Record<string, unknown>,
): ApiCallRc[] {
  const mask = MASK_MOD | MASK_REMOTE;
  const remote = { ...requireTyped(ctx, name, 'linstor', mask) };
  if (typeof body.url === 'string' && body.url !== '') remote.url = linstorUrl(body.url, mask);
  if (body.cluster_id !== undefined) remote.clusterId = checkClusterId(body.cluster_id, mask);
  if (typeof body.passphrase === 'string' && body.passphrase !== '') {
    requireMasterKey(ctx, mask);
    remote.secretDigest = digest(body.passphrase);
  }
  put(ctx, remote);
  return [entry(MODIFIED | mask, 'Linstor remote successfully updated')];
}

/**
 * `POST /v1/remotes/s3`: validated and stored like the controller does, then the bucket check
 * fails because no object store is reachable, which undoes the whole call.
 */
export function createS3Remote(ctx: EmulatorContext, body: Record<string, unknown>): ApiCallRc[] {
  const mask = MASK_CRT | MASK_REMOTE;
  missing(body, ['remote_name', 'endpoint', 'bucket', 'region', 'access_key', 'secret_key']);
  checkNewName(ctx, String(body.remote_name), mask);
  requireMasterKey(ctx, mask);
  throw new ApiCallError(
    entry(
      FAIL_UNKNOWN_ERROR | MASK_BACKUP,
      "The remote could not be reached with the given parameters and therefore wasn't created.\n" +
        'Please check for spelling errors and that you have the correct access-key and secret-key.\n' +
        'For more information on the error, please check the error-report.',
      {
        cause: `Unable to reach the S3 endpoint '${String(body.endpoint)}' for bucket '${String(body.bucket)}'.`,
      },
    ),
  );
}

/** `PUT /v1/remotes/s3/{name}`: only an existing S3 remote could be modified, and none exists. */
export function modifyS3Remote(ctx: EmulatorContext, name: string): ApiCallRc[] {
  requireTyped(ctx, name, 's3', MASK_MOD | MASK_REMOTE);
  return [];
}

function ebsRegion(region: unknown, zone: string, mask: bigint): string {
  if (typeof region === 'string' && region !== '') return region;
  const m = AWS_REGION_FROM_AZ.exec(zone);
  if (!m) {
    throw new ApiCallError(
      entry(FAIL_MISSING_EBS_TARGET | mask, 'Cannot construct region. You have to specify the region'),
    );
  }
  return m[1]!;
}

function ebsEndpoint(endpoint: unknown, region: string): string {
  return typeof endpoint === 'string' && endpoint !== '' ? endpoint : `https://ec2.${region}.amazonaws.com`;
}

/** `POST /v1/remotes/ebs`. */
export function createEbsRemote(ctx: EmulatorContext, body: Record<string, unknown>): ApiCallRc[] {
  const mask = MASK_CRT | MASK_REMOTE;
  missing(body, ['remote_name', 'availability_zone', 'access_key', 'secret_key']);
  const name = String(body.remote_name);
  checkNewName(ctx, name, mask);
  requireMasterKey(ctx, mask);
  const zone = String(body.availability_zone);
  const region = ebsRegion(body.region, zone, mask);
  put(ctx, {
    name,
    type: 'ebs',
    availabilityZone: zone,
    region,
    endpoint: ebsEndpoint(body.endpoint, region),
    secretDigest: digest(body.access_key, body.secret_key),
  });
  return [entry(CREATED | mask, 'Remote created')];
}

/** `PUT /v1/remotes/ebs/{name}`: a new zone may bring a new region, a new region a new endpoint. */
export function modifyEbsRemote(
  ctx: EmulatorContext,
  name: string,
  body: Record<string, unknown>,
): ApiCallRc[] {
  const mask = MASK_MOD | MASK_REMOTE;
  const remote = { ...requireTyped(ctx, name, 'ebs', mask) };
  const entries = [entry(MODIFIED | mask, 'EBS remote successfully updated')];
  if (body.access_key !== undefined || body.secret_key !== undefined) {
    requireMasterKey(ctx, mask);
    remote.secretDigest = digest(body.access_key, body.secret_key);
  }
  if (typeof body.availability_zone === 'string' && body.availability_zone !== '') {
    remote.availabilityZone = body.availability_zone;
    if (body.region === undefined) {
      const region = ebsRegion(undefined, body.availability_zone, mask);
      if (region !== remote.region) {
        remote.region = region;
        entries.push(
          entry(
            MODIFIED | mask,
            `Automatically updated region to ${region} due to changed availability zone`,
          ),
        );
      }
    }
  }
  if (typeof body.region === 'string' && body.region !== '') remote.region = body.region;
  if (typeof body.endpoint === 'string' && body.endpoint !== '') remote.endpoint = body.endpoint;
  else if (remote.endpoint !== ebsEndpoint(undefined, remote.region ?? '')) {
    remote.endpoint = ebsEndpoint(undefined, remote.region ?? '');
    entries.push(
      entry(MODIFIED | mask, `Automatically updated endpoint to ${remote.endpoint} due to changed region`),
    );
  }
  put(ctx, remote);
  return entries;
}

/** `DELETE /v1/remotes?remote_name=`: a missing remote is WARN_NOT_FOUND; schedule props of it go too. */
export function deleteRemote(ctx: EmulatorContext, name: string): ApiCallRc[] {
  const mask = MASK_DEL | MASK_REMOTE;
  const remote = getRemote(ctx, name);
  if (!remote) return [entry(WARN_NOT_FOUND | mask, `Remote '${name}' not found.`)];
  ctx.store.delete('remotes', [nameKey(remote.name)]);
  return [entry(DELETED | mask, `Remote '${remote.name}' deleted.`)];
}
