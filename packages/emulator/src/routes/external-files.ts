/**
 * External files (linstor-server's rest/v1/ExternalFiles.java, CtrlExternalFilesApiCallHandler):
 * files the controller keeps (path + base64 content) and deploys to the nodes of the resource
 * definitions that name them (`POST|DELETE /v1/resource-definitions/{rd}/files/{path}`, kept as the
 * RD prop `files/<path>` = `True`). The list leaves the content out unless `content=true`; a
 * single file always has it. A satellite writes only paths its own configuration whitelists, and
 * the emulated satellites whitelist none, so `check` says not allowed and `status` finds no file.
 */
import {
  API_CALL_PARSE_ERROR,
  DELETED,
  FAIL_UNKNOWN_ERROR,
  MASK_DEL,
  MASK_EXT_FILES,
  MASK_MOD,
  MASK_RSC_DFN,
  MODIFIED,
  nameKey,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { FAIL_INVLD_EXT_FILE, FAIL_INVLD_EXT_FILE_NAME } from '../domain/codes';
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

/** The RD prop that deploys a file: the controller's `files` namespace plus the path (props collapse `//`). */
function filePropKey(path: string): string {
  return `${FILES_NAMESPACE}${path.replace(/^\/+/, '')}`;
}

function key(path: string): string[] {
  return [path.toLowerCase()];
}

function normalized(raw: string): string {
  return raw.startsWith('/') ? raw : `/${raw}`;
}

function checkPath(path: string, mask: bigint): void {
  if (!path.startsWith('/'))
    throw new ApiCallError(entry(FAIL_INVLD_EXT_FILE | mask, 'The path must be absolute'));
  if (path.endsWith('/') || path.split('/').some((part) => part === '..')) {
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

function setRdFile(ctx: EmulatorContext, rdName: string, rawPath: string, deploy: boolean) {
  const mask = (deploy ? MASK_MOD : MASK_DEL) | MASK_RSC_DFN;
  const rd = requireRd(ctx, rdName, mask);
  const path = normalized(rawPath);
  const file = getFile(ctx, path);
  if (!file) {
    throw new ApiCallError(entry(FAIL_UNKNOWN_ERROR | mask, `External file '${path}' not found.`));
  }
  const props = { ...rd.props };
  if (deploy) props[filePropKey(file.path)] = 'True';
  else delete props[filePropKey(file.path)];
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
        // CtrlExternalFilesApiCallHandler.set: a new file needs content and an absolute path; an
        // existing one keeps its content when the body has none.
        const path = req.params.path;
        const existing = getFile(ctx, path);
        const mask = MASK_MOD | MASK_EXT_FILES;
        const content = typeof body.content === 'string' ? body.content : '';
        if (!existing && content === '') {
          throw new ApiCallError(entry(FAIL_INVLD_EXT_FILE | mask, 'The content must not be null or empty'));
        }
        if (!existing) checkPath(path, mask);
        if (
          content &&
          Buffer.from(content, 'base64').toString('base64').replace(/=+$/, '') !== content.replace(/=+$/, '')
        ) {
          throw new ApiCallError(entry(API_CALL_PARSE_ERROR, 'Unable to parse input json.'));
        }
        const rec: ExtFileRec = { path: existing?.path ?? path, content: content || existing?.content || '' };
        if (body.alt_suffixes?.length) rec.altSuffixes = body.alt_suffixes;
        ctx.store.put('extFiles', key(path), rec);
        return replyEntries(
          [entry(MODIFIED | mask, `External file: ${rec.path} ${existing ? 'modified' : 'created'}.`)],
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
      if (!file) {
        return replyEntries(
          [entry(WARN_NOT_FOUND | mask, `External file: ${path} not found in LINSTOR database.`)],
          200,
        );
      }
      // The controller undeploys the file from every RD that has it, then deletes it.
      const entries = [entry(DELETED | mask, `External file: ${file.path} marked for deletion.`)];
      for (const rd of ctx.store.list<RdRec>('rds')) {
        const propKey = Object.keys(rd.props).find(
          (k) => k.toLowerCase() === filePropKey(file.path).toLowerCase(),
        );
        if (!propKey) continue;
        const props = { ...rd.props };
        delete props[propKey];
        ctx.store.put('rds', [nameKey(rd.name)], { ...rd, props });
      }
      ctx.store.delete('extFiles', key(path));
      entries.push(entry(DELETED | mask, `External file: ${file.path} deleted.`));
      return replyEntries(entries, 200);
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
