/**
 * A backup datastore as `tm restore` reaches it, for a sandbox front-end: the datastore and backup
 * image documents `onedatastore`/`oneimage show -x` print, its driver's `ls` (records its argv and
 * stdin, prints the disk map last set) and OpenNebula's downloader.sh (reads the file a
 * `rsync://<ds>//0:<id>/<path>` URL names, and logs each URL), installed in the remotes tree.
 */

import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OneSandbox } from './sandbox';

export interface SandboxBackup {
  /** Where backup files go, and where `ls.args`, `ls.stdin` and `downloads` are written. */
  readonly dir: string;
  /** The URL `ls` lists for a file in `dir`. */
  url(file: string): string;
  /** What the next `ls` prints (disk id or `tpm` → URL). */
  setListing(disks: Record<string, string>): Promise<void>;
  /** The URLs downloader.sh has read so far. */
  downloads(): Promise<string[]>;
}

/** Installs a backup datastore `dsId` holding backup image `imageId` (SOURCE `3ffce7`). */
export async function installBackupDatastore(
  sandbox: Pick<OneSandbox, 'dir' | 'remotes' | 'putXml'>,
  options: { dsId: number; imageId: number; vmId: number },
): Promise<SandboxBackup> {
  const { dsId, imageId, vmId } = options;
  const dir = join(sandbox.dir, 'backup');
  await mkdir(dir, { recursive: true });
  await sandbox.putXml(
    'datastore',
    dsId,
    `<DATASTORE><ID>${dsId}</ID><NAME>backups</NAME><DS_MAD><![CDATA[fakebk]]></DS_MAD><TM_MAD><![CDATA[-]]></TM_MAD><BASE_PATH><![CDATA[/var/lib/one//datastores/${dsId}]]></BASE_PATH><TYPE>3</TYPE><TEMPLATE><DS_MAD><![CDATA[fakebk]]></DS_MAD><TYPE><![CDATA[BACKUP_DS]]></TYPE></TEMPLATE></DATASTORE>`,
  );
  await sandbox.putXml(
    'image',
    imageId,
    `<IMAGE><ID>${imageId}</ID><NAME>vm${vmId}-backup</NAME><TYPE>6</TYPE><FORMAT><![CDATA[raw]]></FORMAT><DATASTORE_ID>${dsId}</DATASTORE_ID><DATASTORE>backups</DATASTORE><SOURCE><![CDATA[3ffce7]]></SOURCE></IMAGE>`,
  );
  await mkdir(join(sandbox.remotes, 'datastore', 'fakebk'), { recursive: true });
  const ls = join(sandbox.remotes, 'datastore', 'fakebk', 'ls');
  await writeFile(
    ls,
    `#!/bin/sh\necho "$*" > '${dir}/ls.args'\ncat > '${dir}/ls.stdin'\ncat '${dir}/listing.json'\n`,
  );
  const downloader = join(sandbox.remotes, 'datastore', 'downloader.sh');
  await writeFile(
    downloader,
    `#!/bin/sh\n[ "$1" = --nodecomp ] && [ "$3" = - ] || { echo "unexpected: $*" >&2; exit 2; }\necho "$2" >> '${dir}/downloads'\nexec cat "\${2#rsync://${dsId}//0:3ffce7}"\n`,
  );
  await chmod(ls, 0o755);
  await chmod(downloader, 0o755);
  return {
    dir,
    url: (file) => `rsync://${dsId}//0:3ffce7${join(dir, file)}`,
    setListing: (disks) => writeFile(join(dir, 'listing.json'), JSON.stringify(disks)),
    downloads: async () =>
      (await readFile(join(dir, 'downloads'), 'utf8').catch(() => '')).split('\n').filter((l) => l !== ''),
  };
}
