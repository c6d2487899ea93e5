/**
 * The action table: each DS and TM action of the `linstor` drivers as a parser (argv, stdin →
 * typed request, in ../requests) and one function over core (in ./ds and ./tm). The runner looks
 * actions up here; the bridge exposes the same table as `one.ds.<action>` / `one.tm.<action>`.
 */

import type { ActionContext } from '../context';
import * as ds from '../requests/ds';
import * as tm from '../requests/tm';
import { dsClone } from './ds/clone';
import { dsCp } from './ds/cp';
import { dsExport } from './ds/export';
import { dsMkfs } from './ds/mkfs';
import { dsMonitor } from './ds/monitor';
import { dsRm } from './ds/rm';
import { dsSnapDelete, dsSnapFlatten, dsSnapRevert } from './ds/snapshots';
import { dsStat } from './ds/stat';
import { tmClone } from './tm/clone';
import { tmContext } from './tm/context';
import { tmDelete } from './tm/delete';
import { tmLn } from './tm/ln';
import { tmFailmigrate, tmPostmigrate, tmPremigrate } from './tm/migrate';
import { tmMonitor } from './tm/monitor';
import { tmMv } from './tm/mv';
import { tmResize } from './tm/resize';
import { tmRestore } from './tm/restore';
import { tmCpds, tmMvds } from './tm/save';
import { tmSnapCreate, tmSnapCreateLive, tmSnapDelete, tmSnapRevert } from './tm/snapshots';
import { tmMkimage } from './tm/volatile';

type Stdin = () => Promise<string>;

/** One driver action: how its request is read and what it does; `run` returns the stdout payload. */
export interface OneAction {
  readonly parse: (argv: readonly string[], stdin: Stdin) => Promise<unknown>;
  readonly run: (ctx: ActionContext, request: never) => Promise<string | undefined>;
}

function action<R>(
  parse: (argv: readonly string[], stdin: Stdin) => Promise<R>,
  run: (ctx: ActionContext, request: R) => Promise<string | undefined>,
): OneAction {
  return { parse, run: run as OneAction['run'] };
}

/** `datastore/linstor/<action>`. */
export const DS_ACTIONS: Readonly<Record<string, OneAction>> = {
  cp: action(ds.parseDsCp, dsCp),
  mkfs: action(ds.parseDsMkfs, dsMkfs),
  clone: action(ds.parseDsClone, dsClone),
  rm: action(ds.parseDsRm, dsRm),
  stat: action(ds.parseDsStat, dsStat),
  monitor: action(ds.parseDsMonitor, dsMonitor),
  snap_delete: action(ds.parseDsSnapshot, dsSnapDelete),
  snap_revert: action(ds.parseDsSnapshot, dsSnapRevert),
  snap_flatten: action(ds.parseDsSnapshot, dsSnapFlatten),
  export: action(ds.parseDsExport, dsExport),
};

/** `tm/linstor/<action>`. */
export const TM_ACTIONS: Readonly<Record<string, OneAction>> = {
  clone: action(tm.parseTmImageDisk, tmClone),
  ln: action(tm.parseTmImageDisk, tmLn),
  mkimage: action(tm.parseTmMkimage, tmMkimage),
  mkswap: action(tm.parseTmMkswap, tmMkimage),
  context: action(tm.parseTmContext, tmContext),
  mv: action(tm.parseTmMv, tmMv),
  mvds: action(tm.parseTmMvds, tmMvds),
  cpds: action(tm.parseTmCpds, tmCpds),
  delete: action(tm.parseTmDelete, tmDelete),
  resize: action(tm.parseTmResize, tmResize),
  snap_create: action(tm.parseTmSnapshot, tmSnapCreate),
  snap_create_live: action(tm.parseTmSnapshot, tmSnapCreateLive),
  snap_delete: action(tm.parseTmSnapshot, tmSnapDelete),
  snap_revert: action(tm.parseTmSnapshot, tmSnapRevert),
  premigrate: action(tm.parseTmMigrate, tmPremigrate),
  postmigrate: action(tm.parseTmMigrate, tmPostmigrate),
  failmigrate: action(tm.parseTmMigrate, tmFailmigrate),
  monitor: action(ds.parseDsMonitor, tmMonitor),
  restore: action(tm.parseTmRestore, tmRestore),
};
