/**
 * `ds export` (marketplace): where the marketplace downloader can read the image. The image's
 * device on one of its diskful hosts is offered as `ssh://<host>:<device>` (downloader.sh reads
 * ssh sources), with the MD5 of the data, its size and format, in a well-formed IMPORT_INFO.
 * Nothing is staged, so there is nothing to dispose of (addon-linstor left a staging copy behind).
 */

import type { ActionContext } from '../../context';
import { attachOn } from '../../disks';
import { OneProtocolError } from '../../protocol';
import type { DsExportRequest } from '../../requests/ds';

const cdata = (value: string) => `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;

export async function dsExport(ctx: ActionContext, request: DsExportRequest): Promise<string> {
  const service = ctx.service(request.datastore);
  const info = await service.info(request.source, ctx.call());
  const replica =
    info.replicas.find((r) => r.diskful && ctx.config.nodes[ctx.hostOf(r.node)] !== undefined) ??
    info.replicas.find((r) => r.diskful);
  if (!replica) throw new OneProtocolError(`${request.source} has no diskful replica to export from.`);
  const host = ctx.hostOf(replica.node);
  const { devicePath } = await attachOn(ctx, service, request.source, host);
  let md5 = request.md5;
  if (md5 === undefined) {
    const { stdout } = await ctx.executor(host).run(['md5sum', devicePath], ctx.runOptions());
    md5 = stdout.trim().split(/\s+/)[0] ?? '';
  }
  const sizeMb = Math.ceil(info.sizeBytes / (1024 * 1024));
  return (
    '<IMPORT_INFO>' +
    `<IMPORT_SOURCE>${cdata(`ssh://${host}:${devicePath}`)}</IMPORT_SOURCE>` +
    `<MD5>${cdata(md5)}</MD5>` +
    `<SIZE>${cdata(String(sizeMb))}</SIZE>` +
    `<FORMAT>${cdata('raw')}</FORMAT>` +
    `<DISPOSE>${cdata('NO')}</DISPOSE>` +
    '</IMPORT_INFO>'
  );
}
