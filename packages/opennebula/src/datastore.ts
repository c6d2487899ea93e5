/**
 * The attributes the `linstor` drivers read from a datastore template (`onedatastore create`),
 * the same ones addon-linstor reads, plus the image-import settings OpenNebula's own drivers take
 * from the datastore (RESTRICTED_DIRS, SAFE_DIRS, NO_DECOMPRESS, LIMIT_TRANSFER_BW, STAGING_DIR).
 */

import { checkHostName, OneProtocolError, parseId, requiredText, shown } from './protocol';
import { child, textAt, type XmlElement } from './xml';

/** A datastore as the drivers use it. */
export interface DatastoreSettings {
  readonly id: number;
  readonly name: string;
  /** 0 image, 1 system, 2 file, 3 backup. */
  readonly type: number;
  /** `LINSTOR_RESOURCE_GROUP` (required). */
  readonly resourceGroup: string;
  /** `LINSTOR_CONTROLLERS` (default `localhost`). */
  readonly controllers: string;
  /** `BRIDGE_LIST` hosts (where images are imported). */
  readonly bridgeList: readonly string[];
  readonly restrictedDirs: readonly string[];
  readonly safeDirs: readonly string[];
  readonly noDecompress: boolean;
  /** `LIMIT_TRANSFER_BW` in bytes per second (undefined: no limit). */
  readonly limitTransferBps: number | undefined;
  readonly stagingDir: string | undefined;
}

const GROUP = /^[A-Za-z_][A-Za-z0-9_-]{1,47}$/;
/** Controller lists: `host[:port]`, `linstor://`, `linstor+ssl://`, `http(s)://` entries, comma separated. */
const CONTROLLERS = /^[A-Za-z0-9_.:/+[\]%,\s-]+$/;

/** Bytes per second of a `LIMIT_TRANSFER_BW` value (`10M`, `500K`, `1G`, plain bytes). */
export function parseBandwidth(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^([0-9]+)\s*([KMGT]?)(?:i?B)?(?:\/s)?$/i.exec(value.trim());
  if (!match)
    throw new OneProtocolError(`LIMIT_TRANSFER_BW '${shown(value)}' is not a rate such as 10M or 500K.`);
  const scale = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 }[match[2]!.toUpperCase()] ?? 1;
  const rate = Number(match[1]) * scale;
  return rate > 0 ? rate : undefined;
}

function words(value: string | undefined): string[] {
  return (value ?? '').split(/\s+/).filter((w) => w.length > 0);
}

/** Reads a `<DATASTORE>` element (from a DS document or `onedatastore show -x`). */
export function datastoreSettings(datastore: XmlElement): DatastoreSettings {
  const template = child(datastore, 'TEMPLATE');
  const id = parseId(requiredText(datastore, 'ID'), 'datastore ID');
  const resourceGroup = textAt(template, 'LINSTOR_RESOURCE_GROUP');
  if (resourceGroup === undefined) {
    throw new OneProtocolError(
      `Datastore ${id} has no LINSTOR_RESOURCE_GROUP; add it with onedatastore update ${id}.`,
    );
  }
  if (!GROUP.test(resourceGroup)) {
    throw new OneProtocolError(
      `LINSTOR_RESOURCE_GROUP '${shown(resourceGroup)}' of datastore ${id} is not a resource group name.`,
    );
  }
  const controllers = textAt(template, 'LINSTOR_CONTROLLERS') ?? 'localhost';
  if (!CONTROLLERS.test(controllers)) {
    throw new OneProtocolError(
      `LINSTOR_CONTROLLERS '${shown(controllers)}' of datastore ${id} is not a controller list.`,
    );
  }
  const bridgeList = words(textAt(template, 'BRIDGE_LIST')).map((h) => checkHostName(h, 'BRIDGE_LIST host'));
  return {
    id,
    name: textAt(datastore, 'NAME') ?? String(id),
    type: Number(textAt(datastore, 'TYPE') ?? '0'),
    resourceGroup,
    controllers,
    bridgeList,
    restrictedDirs: words(textAt(template, 'RESTRICTED_DIRS')),
    safeDirs: words(textAt(template, 'SAFE_DIRS')),
    noDecompress: /^(yes|1|true)$/i.test(textAt(template, 'NO_DECOMPRESS') ?? ''),
    limitTransferBps: parseBandwidth(textAt(template, 'LIMIT_TRANSFER_BW')),
    stagingDir: textAt(template, 'STAGING_DIR'),
  };
}
