/**
 * Controller administration and the `.../properties/info` lists (linstor-server's
 * rest/v1/Controller.java, ControllerAuth.java, Encryption.java, ErrorReports.java, SosReport.java
 * and the properties-info routes of every object kind):
 *
 * - properties info: domain/props-info.ts, per object kind and all at once;
 * - controller config: the emulator's own settings in the controller's shape; a change of the log
 *   level is kept; database backup/export are refused because the emulator keeps a journal, not
 *   one of the controller's databases (H2, SQL, etcd, k8s) they copy;
 * - auth tokens: created, listed, changed and revoked here; the token text is shown once, in the
 *   create reply, as the controller does, and only its hash is stored;
 * - the master passphrase: domain/encryption.ts;
 * - error reports: deleted by id or by filter (`PATCH`);
 * - sos-report: the controller collects logs and command output from every satellite into a
 *   tarball; the emulated satellites have no such tools, so the collection fails.
 */
import { randomBytes } from 'node:crypto';
import {
  type ApiCallRc,
  CREATED,
  DELETED,
  FAIL_NOT_FOUND_NODE,
  FAIL_UNKNOWN_ERROR,
  MASK_CRT,
  MASK_CTRL_CONF,
  MASK_DEL,
  MASK_INFO,
  MASK_MOD,
  MODIFIED,
  sameName,
  WARN_NO_EFFECT,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { type AuthTokenRec, tokenDigest } from '../domain/auth-tokens';
import { FAIL_INVLD_CONF } from '../domain/codes';
import { enterPassphrase, passphraseStatus, setPassphrase } from '../domain/encryption';
import { DEFAULT_LOG_LEVELS, type LogLevels, withLogLevels } from '../domain/log-levels';
import type { ErrorReportRec } from '../domain/model';
import { allPropsInfo, type PropsObject, propsInfo } from '../domain/props-info';
import { ApiCallError, entry, replyEntries } from '../http/apicall';
import { type EmuReply, type RouteDef, route } from '../http/route';
import { withObjectBody } from './body';

const INFO_NOOP = 10007n | MASK_INFO;

/** What sos-report answers: the emulated satellites have none of the tools it collects from. */
const SOS_REPORT_FAILURE = entry(FAIL_UNKNOWN_ERROR, 'Failed to create the SOS report.', {
  cause: 'The satellites could not collect their logs and command output (drbdadm, lsblk, journalctl).',
});

const infoRoute = (template: string, object: PropsObject): RouteDef => ({
  method: 'GET',
  template,
  handler: () => ({ status: 200, json: propsInfo(object) }),
});

function ok(entries: ApiCallRc[], status = 200): EmuReply {
  return replyEntries(entries, status);
}

// --- controller config -----------------------------------------------------------------------

function ctrlConfig(ctx: EmulatorContext): LogLevels {
  return ctx.store.get<LogLevels>('controller', ['config']) ?? DEFAULT_LOG_LEVELS;
}

function configView(ctx: EmulatorContext): Record<string, unknown> {
  const conf = ctrlConfig(ctx);
  return {
    config: { dir: ctx.dataDir },
    debug: { console_enabled: false },
    log: {
      print_stack_trace: false,
      directory: ctx.dataDir,
      level: conf.logLevel,
      level_global: conf.logLevel,
      level_linstor: conf.logLevelLinstor,
      level_linstor_global: conf.logLevelLinstor,
      rest_access_mode: 'NO_LOG',
    },
    db: { connection_url: `journal:${ctx.dataDir}` },
    http: { enabled: true },
    https: { enabled: false },
    ldap: { enabled: false, public_access_allowed: true },
  };
}

function setConfig(
  ctx: EmulatorContext,
  body: { log?: { level?: unknown; level_linstor?: unknown } },
): EmuReply {
  const mask = MASK_MOD | MASK_CTRL_CONF;
  const conf = withLogLevels(ctrlConfig(ctx), body.log, mask);
  ctx.store.put('controller', ['config'], conf);
  return ok([entry(MODIFIED | mask, 'Successfully updated controller config')]);
}

function databaseCopy(what: string): EmuReply {
  return ok(
    [
      entry(FAIL_UNKNOWN_ERROR | MASK_CTRL_CONF, `${what} failed: the database type is not supported.`, {
        cause: 'This controller keeps its state in a journal, not in an H2, SQL, etcd or k8s database.',
      }),
    ],
    500,
  );
}

// --- auth tokens -----------------------------------------------------------------------------

function tokenView(t: AuthTokenRec): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: t.id,
    created_at: t.createdAt,
    is_active: t.isActive,
    description: t.description,
    is_user_token: t.isUserToken,
  };
  if (t.deletedAt) view.deleted_at = t.deletedAt;
  if (t.expiresAt) view.expires_at = t.expiresAt;
  if (t.ipFilter) view.ip_filter = t.ipFilter;
  return view;
}

function checkIpFilter(value: unknown, mask: bigint): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = String(value);
  const address = text.split('/')[0] ?? '';
  if (!/^[0-9.]+$/.test(address) && !/^[0-9a-fA-F:]+$/.test(address)) {
    throw new ApiCallError(
      entry(FAIL_INVLD_CONF | mask, `Invalid IP filter: ${text}`, {
        cause: 'The IP filter must be a valid IPv4 or IPv6 address',
      }),
    );
  }
  return text;
}

function newToken(
  ctx: EmulatorContext,
  description: string,
  isUserToken: boolean,
  extra: Partial<AuthTokenRec>,
): { rec: AuthTokenRec; token: string } {
  const tokens = ctx.store.list<AuthTokenRec>('authTokens');
  const id = tokens.reduce((max, t) => Math.max(max, t.id), 0) + 1;
  const token = randomBytes(32).toString('base64url');
  const rec: AuthTokenRec = {
    id,
    createdAt: new Date(ctx.now()).toISOString(),
    description,
    isActive: true,
    isUserToken,
    digest: tokenDigest(token),
    ...extra,
  };
  ctx.store.put('authTokens', [String(id)], rec);
  return { rec, token };
}

function requireToken(ctx: EmulatorContext, rawId: string, mask: bigint): AuthTokenRec {
  const rec = ctx.store.get<AuthTokenRec>('authTokens', [String(Number(rawId))]);
  if (!rec || rec.deletedAt) {
    throw new ApiCallError(
      entry(FAIL_NOT_FOUND_NODE | mask, 'Auth token not found', {
        cause: 'The specified auth token does not exist',
      }),
    );
  }
  return rec;
}

// --- error reports ---------------------------------------------------------------------------

interface ErrorReportDeleteBody {
  since?: number;
  to?: number;
  nodes?: string[];
  exception?: string;
  version?: string;
  ids?: string[];
}

function deleteReports(ctx: EmulatorContext, match: (r: ErrorReportRec) => boolean): EmuReply {
  const doomed = ctx.store.list<ErrorReportRec>('errorReports').filter(match);
  for (const r of doomed) ctx.store.delete('errorReports', [r.id]);
  return ok([
    doomed.length
      ? entry(DELETED, `Deleted ${doomed.length} error-report(s)`)
      : entry(INFO_NOOP, 'No error reports deleted.'),
  ]);
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '') ?? '';
}

export const controllerAdminRoutes: RouteDef[] = [
  infoRoute('/v1/controller/properties/info', 'CTRL'),
  route({
    method: 'GET',
    template: '/v1/controller/properties/info/all',
    handler: () => ({ status: 200, json: allPropsInfo() }),
  }),
  infoRoute('/v1/nodes/properties/info', 'NODE'),
  infoRoute('/v1/nodes/{node}/storage-pools/properties/info', 'STOR_POOL'),
  infoRoute('/v1/storage-pool-definitions/properties/info', 'STOR_POOL_DFN'),
  infoRoute('/v1/resource-groups/properties/info', 'RSC_GRP'),
  infoRoute('/v1/resource-groups/{rg}/volume-groups/properties/info', 'VLM_GRP'),
  infoRoute('/v1/resource-definitions/properties/info', 'RSC_DFN'),
  infoRoute('/v1/resource-definitions/{rd}/volume-definitions/properties/info', 'VLM_DFN'),
  infoRoute('/v1/resource-definitions/{rd}/resources/properties/info', 'RSC'),
  infoRoute('/v1/resource-definitions/{rd}/resources/{node}/volumes/properties/info', 'VLM'),
  infoRoute('/v1/resource-definitions/{rd}/resource-connections/properties/info', 'RSC_CONN'),
  infoRoute('/v1/resource-definitions/{rd}/drbd-proxy/properties/info', 'DRBD_PROXY'),
  route({
    method: 'GET',
    template: '/v1/controller/config',
    handler: (_req, ctx) => ({ status: 200, json: configView(ctx) }),
  }),
  route({
    method: 'PUT',
    template: '/v1/controller/config',
    parseErrorStatus: 400,
    handler: withObjectBody((body: { log?: { level?: unknown; level_linstor?: unknown } }, _req, ctx) =>
      setConfig(ctx, body),
    ),
  }),
  route({
    method: 'POST',
    template: '/v1/controller/backup/db',
    handler: () => databaseCopy('Database backup'),
  }),
  route({
    method: 'POST',
    template: '/v1/controller/database/export',
    handler: () => databaseCopy('Database export'),
  }),
  route({
    method: 'POST',
    template: '/v1/controller/auth/initialize-token-auth',
    handler: withObjectBody((body: { description?: string }, _req, ctx) => {
      const mask = MASK_CRT | MASK_CTRL_CONF;
      const props = ctx.store.get<{ props: Record<string, string> }>('controller', ['props'])?.props ?? {};
      if (props['Auth/TokenAuthenticationEnabled']?.toLowerCase() === 'true') {
        return ok([entry(WARN_NO_EFFECT | mask, 'Token authentication is already enabled')]);
      }
      const { token } = newToken(ctx, body.description ?? 'init-client', true, {});
      ctx.store.put('controller', ['props'], {
        props: { ...props, 'Auth/TokenAuthenticationEnabled': 'true' },
      });
      return ok(
        [entry(CREATED | mask, `Token authentication initialized successfully. Init token ${token}`)],
        201,
      );
    }),
  }),
  route({
    method: 'GET',
    template: '/v1/controller/auth/token',
    handler: (_req, ctx) => {
      const list = ctx.store
        .list<AuthTokenRec>('authTokens')
        .sort((a, b) => a.id - b.id)
        .map(tokenView);
      return { status: 200, json: { count: list.length, list } };
    },
  }),
  route({
    method: 'POST',
    template: '/v1/controller/auth/token',
    handler: withObjectBody(
      (body: { description?: unknown; expires_at?: unknown; ip_filter?: unknown }, _req, ctx) => {
        const mask = MASK_CRT | MASK_CTRL_CONF;
        const extra: Partial<AuthTokenRec> = {};
        if (body.expires_at !== undefined && body.expires_at !== null) {
          const t = Date.parse(String(body.expires_at));
          if (Number.isNaN(t)) {
            throw new ApiCallError(
              entry(FAIL_INVLD_CONF | mask, `Invalid expiration date format: ${String(body.expires_at)}`, {
                cause: 'The expiration date must start with a valid date (e.g., 2025-12-31)',
              }),
            );
          }
          extra.expiresAt = new Date(t).toISOString();
        }
        const ipFilter = checkIpFilter(body.ip_filter, mask);
        if (ipFilter) extra.ipFilter = ipFilter;
        const { token } = newToken(ctx, String(body.description ?? ''), true, extra);
        return ok([entry(CREATED | mask, `Auth token created successfully: ${token}`)], 201);
      },
    ),
  }),
  route({
    method: 'PUT',
    template: '/v1/controller/auth/token/{id}',
    handler: withObjectBody(
      (body: { description?: unknown; ip_filter?: unknown; is_active?: unknown }, req, ctx) => {
        const mask = MASK_MOD | MASK_CTRL_CONF;
        const rec = { ...requireToken(ctx, req.params.id, mask) };
        if (typeof body.description === 'string') rec.description = body.description;
        if (body.ip_filter !== undefined) {
          const filter = checkIpFilter(body.ip_filter, mask);
          if (filter) rec.ipFilter = filter;
          else delete rec.ipFilter;
        }
        if (typeof body.is_active === 'boolean') rec.isActive = body.is_active;
        ctx.store.put('authTokens', [String(rec.id)], rec);
        return ok([entry(MODIFIED | mask, 'Auth token modified successfully')]);
      },
    ),
  }),
  route({
    method: 'DELETE',
    template: '/v1/controller/auth/token/{id}',
    handler: (req, ctx) => {
      const mask = MASK_DEL | MASK_CTRL_CONF;
      const rec = requireToken(ctx, req.params.id, mask);
      ctx.store.put('authTokens', [String(rec.id)], {
        ...rec,
        isActive: false,
        deletedAt: new Date(ctx.now()).toISOString(),
      });
      return ok([entry(DELETED | mask, 'Auth token revoked successfully')]);
    },
  }),
  route({
    method: 'GET',
    template: '/v1/encryption/passphrase',
    // The object itself, as linstor-server's rest/v1/Encryption.java writes it (the spec and
    // linstor-api.md say a one-element list, which breaks python-linstor's crypt_status()).
    handler: (_req, ctx) => ({ status: 200, json: { status: passphraseStatus(ctx) } }),
  }),
  route({
    method: 'POST',
    template: '/v1/encryption/passphrase',
    handler: withObjectBody((body: { new_passphrase?: unknown }, _req, ctx) =>
      ok(setPassphrase(ctx, body.new_passphrase, undefined, false), 201),
    ),
  }),
  route({
    method: 'PUT',
    template: '/v1/encryption/passphrase',
    handler: withObjectBody((body: { new_passphrase?: unknown; old_passphrase?: unknown }, _req, ctx) =>
      ok(setPassphrase(ctx, body.new_passphrase, body.old_passphrase, true)),
    ),
  }),
  route({
    method: 'PATCH',
    template: '/v1/encryption/passphrase',
    handler: (req, ctx) => ok(enterPassphrase(ctx, req.body)),
  }),
  route({
    method: 'DELETE',
    template: '/v1/error-reports/{reportid}',
    handler: (req, ctx) => deleteReports(ctx, (r) => r.id === req.params.reportid),
  }),
  route({
    method: 'PATCH',
    template: '/v1/error-reports',
    handler: withObjectBody((body: ErrorReportDeleteBody, _req, ctx) =>
      deleteReports(ctx, (r) => {
        if (body.ids?.length && !body.ids.includes(r.id)) return false;
        if (body.since !== undefined && r.time < body.since) return false;
        if (body.to !== undefined && r.time > body.to) return false;
        if (body.nodes?.length && !body.nodes.some((n) => sameName(n, r.nodeName))) return false;
        if (body.exception && !firstLine(r.text).includes(body.exception)) return false;
        if (body.version && body.version !== ctx.config.version) return false;
        return true;
      }),
    ),
  }),
  ...['/v1/sos-report', '/v1/sos-report/download'].map((template) =>
    route({ method: 'GET', template, handler: () => ok([SOS_REPORT_FAILURE], 500) }),
  ),
];
