/**
 * `tm context`: the contextualization ISO (context.sh and the CONTEXT FILES) built on the
 * front-end with genisoimage, as OpenNebula's own drivers do, and written as the plain file
 * `<vmdir>/disk.<n>` on the host. It is small and rebuilt on every deploy and update, so it is not
 * a LINSTOR volume (addon-linstor stopped making context volumes too; old ones are never created).
 */

import { createReadStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { ActionContext } from '../../context';
import { makeVmDir } from '../../hosts';
import type { TmContextRequest } from '../../requests/tm';

export async function tmContext(ctx: ActionContext, request: TmContextRequest): Promise<undefined> {
  const { target } = request;
  const work = await mkdtemp(join(tmpdir(), 'linstor-hv-context-'));
  try {
    const content = join(work, 'content');
    await mkdir(content);
    for (const file of request.files) {
      const [path = '', alias] = file.split(':', 2);
      await copyFile(path, join(content, alias ?? basename(path)));
    }
    const iso = join(work, 'context.iso');
    await ctx
      .localExecutor()
      .run(['genisoimage', '-quiet', '-o', iso, '-V', 'CONTEXT', '-J', '-R', content], ctx.runOptions());
    const executor = ctx.executor(target.host);
    await makeVmDir(ctx, target.host, dirname(target.path));
    await executor.run(['rm', '-f', target.path], ctx.runOptions());
    await executor.run(
      ['dd', `of=${target.path}`, 'bs=1M', 'status=none'],
      ctx.runOptions({ input: createReadStream(iso) }),
    );
    ctx.log.info(`context ISO written to ${target.path} on ${target.host}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return undefined;
}
