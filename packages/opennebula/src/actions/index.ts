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
import { dsMkfs } from './ds/mkfs';
import { dsRm } from './ds/rm';
import { tmClone } from './tm/clone';
import { tmDelete } from './tm/delete';
import { tmLn } from './tm/ln';

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
};

/** `tm/linstor/<action>`. */
export const TM_ACTIONS: Readonly<Record<string, OneAction>> = {
  clone: action(tm.parseTmImageDisk, tmClone),
  ln: action(tm.parseTmImageDisk, tmLn),
  delete: action(tm.parseTmDelete, tmDelete),
};
