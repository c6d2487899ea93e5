/**
 * External files (linstor-server's rest/v1/ExternalFiles.java, CtrlExternalFilesApiCallHandler):
 * files the controller keeps (path + base64 content) and deploys to the nodes of the resource
 * definitions that name them (`POST|DELETE /v1/resource-definitions/{rd}/files/{path}`, kept as the
 * RD prop `files/<path>` = `True`). The list leaves the content out unless `content=true`; a
 * single file always has it. A satellite writes only paths its own configuration whitelists, and
 * the emulated satellites whitelist none, so `check` says not allowed and `status` finds no file.
 */
import {
  CREATED,
  DELETED,
  FAIL_IN_USE,
  FAIL_UNKNOWN_ERROR,
  MASK_CRT,
  MASK_DEL,
  MASK_EXT_FILES,
  MASK_MOD,
  MASK_RSC_DFN,
  MODIFIED,
  nameKey,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { FAIL_INVLD_EXT_FILE_NAME } from '../domain/codes';
import { queryFlag } from '../domain/filters';
import { requireNode, requireRd } from '../domain/lookup';
import type { RdRec } from '../domain/model';
import { ApiCallError, entry, replyEntries } from '../http/apicall';
import { type RouteDef, route } from '../http/route';
import { withObjectBody } from './body';

interface ExtFileRec {
  path: string;
  /** Base64 content. */
  content: string;
  altSuffixes?: string[];
}

const FILES_NAMESPACE = 'files/';

function key(path: string): string[] {
  return [path.toLowerCase()];
}

function normalized(raw: string): string {
  return raw.startsWith('/') ? raw : `/${raw}`;
}

function checkPath(path: string, mask: bigint): void {
  if (!path.startsWith('/') || path.endsWith('/') || path.split('/').some((part) => part === '..')) {
    throw new ApiCallError(entry(FAIL_INVLD_EXT_FILE_NAME | mask, `Invalid external file name '${path}'.`));
  }
}

function view(rec: ExtFileRec, withContent: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { path: rec.path };
  if (withContent && rec.content) out.content = rec.content;
  if (rec.altSuffixes?.length) out.alt_suffixes = rec.altSuffixes;
  return out;
}

function getFile(ctx: EmulatorContext, path: string): ExtFileRec | undefined {
  return ctx.store.get<ExtFileRec>('extFiles', key(path));
}

function usedBy(ctx: EmulatorContext, path: string): string[] {
  return ctx.store
    .list<RdRec>('rds')
    .filter((rd) =>
      Object.keys(rd.props).some((k) => k.toLowerCase() === `${FILES_NAMESPACE}${path}`.toLowerCase()),
    )
    .map((rd) => rd.name);
}

function setRdFile(ctx: EmulatorContext, rdName: string, rawPath: string, deploy: boolean) {
  const mask = (deploy ? MASK_MOD : MASK_DEL) | MASK_RSC_DFN;
  const rd = requireRd(ctx, rdName, mask);
  const path = normalized(rawPath);
  const file = getFile(ctx, path);
  if (!file) {
    throw new ApiCallError(entry(FAIL_UNKNOWN_ERROR | mask, `External file '${path}' not found.`));
  }
  const props = { ...rd.props };
  if (deploy) props[`${FILES_NAMESPACE}${file.path}`] = 'True';
  else delete props[`${FILES_NAMESPACE}${file.path}`];
  ctx.store.put('rds', [nameKey(rd.name)], { ...rd, props });
  return replyEntries(
    [
      entry(
        MODIFIED | mask,
        `External file '${file.path}' ${deploy ? 'activated' : 'deactivated'} on resource definition '${rd.name}'.`,
      ),
    ],
    200,
  );
}

export const externalFileRoutes: RouteDef[] = [
  route({
    method: 'GET',
    template: '/v1/files',
    handler: (req, ctx) => {
      const withContent = queryFlag(req.query, 'content');
      const files = ctx.store.list<ExtFileRec>('extFiles').sort((a, b) => a.path.localeCompare(b.path));
      return { status: 200, json: files.map((f) => view(f, withContent)) };
    },
  }),
  route({
    method: 'GET',
    template: '/v1/files/{path:.*}',
    handler: (req, ctx) => {
      const path = normalized(req.params.path);
      const check = /^(.*)\/(check|status)\/([^/]+)$/.exec(path);
      if (check && !getFile(ctx, path)) {
        // `/v1/files/{file}/check/{node}` and `.../status/{node}` share the greedy file path.
        const node = requireNode(ctx, check[3]!);
        if (check[2] === 'check') return { status: 200, json: { allowed: false } };
        // The satellite looks for the file; an offline one cannot answer (503, no body).
        return node.online ? { status: 200, json: { content_match: false } } : { status: 503 };
      }
      const file = getFile(ctx, path);
      // The controller's not-found answer for a file uses FAIL_UNKNOWN_ERROR but is still a 404.
      if (!file)
        return { status: 404, json: [entry(FAIL_UNKNOWN_ERROR, `External file '${path}' not found.`)] };
      return { status: 200, json: view(file, true) };
    },
  }),
  route({
    method: 'PUT',
    template: '/v1/files/{path:.*}',
    handler: withObjectBody(
      (body: { path?: string; content?: string; alt_suffixes?: string[] }, req, ctx) => {
        const path = normalized(req.params.path);
        const existing = getFile(ctx, path);
        const mask = (existing ? MASK_MOD : MASK_CRT) | MASK_EXT_FILES;
        checkPath(path, mask);
        const content = typeof body.content === 'string' ? body.content : '';
        if (
          content &&
          Buffer.from(content, 'base64').toString('base64').replace(/=+$/, '') !== content.replace(/=+$/, '')
        ) {
          throw new ApiCallError(entry(FAIL_INVLD_EXT_FILE_NAME | mask, 'The content is not valid base64.'));
        }
        const rec: ExtFileRec = { path: existing?.path ?? path, content };
        if (body.alt_suffixes?.length) rec.altSuffixes = body.alt_suffixes;
        ctx.store.put('extFiles', key(path), rec);
        return replyEntries(
          [
            existing
              ? entry(MODIFIED | mask, `External file '${rec.path}' modified.`)
              : entry(CREATED | mask, `External file '${rec.path}' created.`),
          ],
          200,
        );
      },
    ),
  }),
  route({
    method: 'DELETE',
    template: '/v1/files/{path:.*}',
    handler: (req, ctx) => {
      const mask = MASK_DEL | MASK_EXT_FILES;
      const path = normalized(req.params.path);
      const file = getFile(ctx, path);
      if (!file)
        return replyEntries([entry(WARN_NOT_FOUND | mask, `External file '${path}' not found.`)], 200);
      const users = usedBy(ctx, file.path);
      if (users.length) {
        throw new ApiCallError(
          entry(FAIL_IN_USE | mask, `External file '${file.path}' is still used by: ${users.join(', ')}.`, {
            correction: 'Deactivate the file on these resource definitions first.',
          }),
        );
      }
      ctx.store.delete('extFiles', key(path));
      return replyEntries([entry(DELETED | mask, `External file '${file.path}' deleted.`)], 200);
    },
  }),
  route({
    method: 'POST',
    template: '/v1/resource-definitions/{rd}/files/{path:.*}',
    handler: (req, ctx) => setRdFile(ctx, req.params.rd, req.params.path, true),
  }),
  route({
    method: 'DELETE',
    template: '/v1/resource-definitions/{rd}/files/{path:.*}',
    handler: (req, ctx) => setRdFile(ctx, req.params.rd, req.params.path, false),
  }),
];
