/**
 * Remotes and backups (linstor-server's rest/v1/Remotes.java and Backups.java; domain/remotes.ts).
 * Every remote call answers 200. Backups go to S3 remotes (which the emulator cannot have, see
 * domain/remotes.ts) or, with `ship`, to another controller the emulator does not reach; each
 * backup call therefore ends in the error a controller gives for a missing remote, a remote of
 * the wrong type, or a remote cluster it cannot connect to. The backup queue is empty.
 */
import { type ApiCallRc, FAIL_NOT_FOUND_REMOTE, FAIL_UNKNOWN_ERROR, MASK_BACKUP } from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { FAIL_INVLD_REMOTE_NAME } from '../domain/codes';
import {
  createEbsRemote,
  createLinstorRemote,
  createS3Remote,
  deleteRemote,
  getRemote,
  listRemotes,
  modifyEbsRemote,
  modifyLinstorRemote,
  modifyS3Remote,
  type RemoteRec,
  type RemoteType,
  remoteView,
} from '../domain/remotes';
import { deleteSchedulesOfRemote } from '../domain/schedules';
import { ApiCallError, entry, replyEntries } from '../http/apicall';
import { type EmuReply, type RouteDef, route } from '../http/route';
import { withObjectBody } from './body';

type Body = Record<string, unknown>;

function ok(entries: ApiCallRc[]): EmuReply {
  return replyEntries(entries, 200);
}

/** The remote a backup call names, with the controller's checks (CtrlBackupApiHelper.getRemote). */
function backupRemote(ctx: EmulatorContext, name: string, wanted: RemoteType): RemoteRec {
  const remote = getRemote(ctx, name);
  if (!remote) {
    throw new ApiCallError(
      entry(
        FAIL_NOT_FOUND_REMOTE | MASK_BACKUP,
        `The remote ${name} does not exist. Please provide a valid remote or create a new one.`,
      ),
    );
  }
  if (remote.type !== wanted) {
    throw new ApiCallError(
      entry(
        FAIL_INVLD_REMOTE_NAME | MASK_BACKUP,
        `The remote ${name} is not ${wanted === 's3' ? 'an s3' : 'a linstor'} remote.`,
      ),
    );
  }
  return remote;
}

/** An S3 backup call: no S3 remote can exist in the emulator, so this always throws. */
function s3Backup(ctx: EmulatorContext, name: string): EmuReply {
  backupRemote(ctx, name, 's3');
  return ok([]);
}

/** `ship` to another LINSTOR cluster: the remote controller is never reachable from the emulator. */
function shipBackup(ctx: EmulatorContext, name: string): EmuReply {
  const remote = backupRemote(ctx, name, 'linstor');
  throw new ApiCallError(
    entry(FAIL_UNKNOWN_ERROR | MASK_BACKUP, `Could not connect to the remote cluster '${remote.name}'.`, {
      cause: `The controller at '${remote.url}' did not answer.`,
      correction: 'Check the URL of the remote and that its controller is running.',
    }),
  );
}

const typedList = (type: RemoteType): RouteDef => ({
  method: 'GET',
  template: `/v1/remotes/${type}`,
  handler: (_req, ctx) => ({ status: 200, json: listRemotes(ctx, type).map(remoteView) }),
});

export const remoteRoutes: RouteDef[] = [
  route({
    method: 'GET',
    template: '/v1/remotes',
    handler: (_req, ctx) => {
      const list: Record<string, unknown> = {};
      const s3 = listRemotes(ctx, 's3').map(remoteView);
      const linstor = listRemotes(ctx, 'linstor').map(remoteView);
      const ebs = listRemotes(ctx, 'ebs').map(remoteView);
      if (s3.length) list.s3_remotes = s3;
      if (linstor.length) list.linstor_remotes = linstor;
      if (ebs.length) list.ebs_remotes = ebs;
      // One RemoteList object, as linstor-server's rest/v1/Remotes.java writes it (the spec says an
      // array of them, which python-linstor's remote_list() cannot read).
      return { status: 200, json: list };
    },
  }),
  route({
    method: 'DELETE',
    template: '/v1/remotes',
    handler: (req, ctx) => {
      const name = req.query.get('remote_name') ?? '';
      const entries = deleteRemote(ctx, name);
      deleteSchedulesOfRemote(ctx, name);
      return ok(entries);
    },
  }),
  typedList('s3'),
  typedList('linstor'),
  typedList('ebs'),
  route({
    method: 'POST',
    template: '/v1/remotes/s3',
    handler: withObjectBody((body: Body, _req, ctx) => ok(createS3Remote(ctx, body))),
  }),
  route({
    method: 'PUT',
    template: '/v1/remotes/s3/{remote}',
    handler: withObjectBody((_body: Body, req, ctx) => ok(modifyS3Remote(ctx, req.params.remote))),
  }),
  route({
    method: 'POST',
    template: '/v1/remotes/linstor',
    handler: withObjectBody((body: Body, _req, ctx) => ok(createLinstorRemote(ctx, body))),
  }),
  route({
    method: 'PUT',
    template: '/v1/remotes/linstor/{remote}',
    handler: withObjectBody((body: Body, req, ctx) => ok(modifyLinstorRemote(ctx, req.params.remote, body))),
  }),
  route({
    method: 'POST',
    template: '/v1/remotes/ebs',
    handler: withObjectBody((body: Body, _req, ctx) => ok(createEbsRemote(ctx, body))),
  }),
  route({
    method: 'PUT',
    template: '/v1/remotes/ebs/{remote}',
    handler: withObjectBody((body: Body, req, ctx) => ok(modifyEbsRemote(ctx, req.params.remote, body))),
  }),
  route({
    method: 'GET',
    template: '/v1/remotes/{remote}/backups',
    handler: (req, ctx) => s3Backup(ctx, req.params.remote),
  }),
  route({
    method: 'POST',
    template: '/v1/remotes/{remote}/backups',
    handler: withObjectBody((_body: Body, req, ctx) => s3Backup(ctx, req.params.remote)),
  }),
  route({
    method: 'DELETE',
    template: '/v1/remotes/{remote}/backups',
    handler: (req, ctx) => s3Backup(ctx, req.params.remote),
  }),
  route({
    method: 'POST',
    template: '/v1/remotes/{remote}/backups/restore',
    handler: withObjectBody((_body: Body, req, ctx) => s3Backup(ctx, req.params.remote)),
  }),
  route({
    method: 'POST',
    template: '/v1/remotes/{remote}/backups/info',
    handler: withObjectBody((_body: Body, req, ctx) => s3Backup(ctx, req.params.remote)),
  }),
  route({
    method: 'POST',
    template: '/v1/remotes/{remote}/backups/abort',
    handler: withObjectBody((_body: Body, req, ctx) => s3Backup(ctx, req.params.remote)),
  }),
  route({
    method: 'POST',
    template: '/v1/remotes/{remote}/backups/ship',
    handler: withObjectBody((_body: Body, req, ctx) => shipBackup(ctx, req.params.remote)),
  }),
  route({
    method: 'GET',
    template: '/v1/view/backup/queue',
    handler: () => ({ status: 200, json: {} }),
  }),
];
