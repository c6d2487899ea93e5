/**
 * Platform names → LINSTOR names, and the ownership properties that let linstor-hv find, adopt and
 * clean up what it created.
 *
 * A platform name that already is a valid LINSTOR name is used verbatim, so volumes created by the
 * official plugins (`vm-100-disk-1`, `pm-1a2b3c4d`, `volume-<uuid>`) keep their names. Any other
 * name maps to a short stable form: a readable, sanitised prefix plus a hash of the full name. The
 * original always travels in `Aux/linstor-hv/name`, which is how a case-only collision
 * (`VM-1` vs `vm-1`; LINSTOR names are case-insensitive) is told apart from our own earlier attempt.
 */

import { createHash } from 'node:crypto';
import {
  type NameRule,
  nameProblem,
  PROP_HV_CREATED_BY,
  PROP_HV_NAME,
  PROP_HV_OWNER,
  PROP_HV_PLATFORM,
  type Props,
  RESOURCE_NAME_RULE,
  SNAPSHOT_NAME_RULE,
} from '@linstor-hv/api';
import { VolumeValidationError } from './errors';

/** Who a LINSTOR object belongs to: the platform (e.g. `proxmox`) and one installation of it. */
export interface Ownership {
  /** The platform that created the object: `proxmox`, `opennebula`, `cinder`, or a test name. */
  readonly platform: string;
  /** One installation of the platform (a storage id, a datastore id, a backend name); optional. */
  readonly ownerId?: string | undefined;
}

/** Hex digits of the sha256 kept in a hashed name: 48 bits, so collisions need ~16 million names. */
const HASH_HEX_LENGTH = 12;
/** Separates the readable prefix from the hash; the `h` guarantees the name contains a letter. */
const HASH_MARK = '_h';
const INVALID_NAME_CHARACTERS = /[^A-Za-z0-9_-]/g;

/**
 * Ownership values go into `props=key=value` list filters. Since LINSTOR 1.34 a value containing a
 * regex metacharacter is matched as a regular expression, before that literally; restricting values
 * to characters that are literal in both keeps the filter meaning the same on every controller.
 */
const OWNERSHIP_VALUE = /^[A-Za-z0-9._:@-]{1,128}$/;

function mapName(platformName: string, rule: NameRule, what: string): string {
  if (platformName.length === 0) {
    throw new VolumeValidationError(`The ${what} is empty; give the ${what} a name.`);
  }
  if (nameProblem(platformName, rule) === undefined) return platformName;
  const digest = createHash('sha256').update(platformName, 'utf8').digest('hex').slice(0, HASH_HEX_LENGTH);
  let readable = platformName.replace(INVALID_NAME_CHARACTERS, '_');
  if (!/^[A-Za-z_]/.test(readable)) readable = `_${readable}`;
  const budget = rule.maxLength - HASH_HEX_LENGTH - HASH_MARK.length;
  return `${readable.slice(0, budget)}${HASH_MARK}${digest}`;
}

/**
 * The LINSTOR resource-definition name for a platform volume name: the name itself when LINSTOR
 * accepts it, otherwise a deterministic short form (readable prefix + `_h` + 12 hex of its sha256).
 */
export function resourceNameFor(platformName: string): string {
  return mapName(platformName, RESOURCE_NAME_RULE, 'volume name');
}

/** The LINSTOR snapshot name for a platform snapshot name, mapped by the same rule as volumes. */
export function snapshotNameFor(platformName: string): string {
  return mapName(platformName, SNAPSHOT_NAME_RULE, 'snapshot name');
}

/** True when `linstorName` is the mapped form of a name that LINSTOR would not accept verbatim. */
export function isHashedName(linstorName: string): boolean {
  const mark = linstorName.length - HASH_HEX_LENGTH - HASH_MARK.length;
  return (
    mark > 0 &&
    linstorName.slice(mark, mark + HASH_MARK.length) === HASH_MARK &&
    /^[0-9a-f]+$/.test(linstorName.slice(mark + HASH_MARK.length))
  );
}

/** Rejects ownership values that could not be matched literally by a LINSTOR `props=` filter. */
export function validateOwnership(ownership: Ownership): void {
  if (!OWNERSHIP_VALUE.test(ownership.platform)) {
    throw new VolumeValidationError(
      `The platform name '${ownership.platform}' is not usable as an ownership tag; use 1 to 128 letters, digits, '.', '_', ':', '@' or '-'.`,
    );
  }
  if (ownership.ownerId !== undefined && !OWNERSHIP_VALUE.test(ownership.ownerId)) {
    throw new VolumeValidationError(
      `The owner id '${ownership.ownerId}' is not usable as an ownership tag; use 1 to 128 letters, digits, '.', '_', ':', '@' or '-'.`,
    );
  }
}

/** The platform and owner-id tags of an ownership (what every object linstor-hv creates carries). */
export function ownerTags(ownership: Ownership): Props {
  const props: Props = { [PROP_HV_PLATFORM]: ownership.platform };
  if (ownership.ownerId !== undefined) props[PROP_HV_OWNER] = ownership.ownerId;
  return props;
}

/** The ownership properties linstor-hv writes on a volume it creates. */
export function ownershipProps(ownership: Ownership, platformName: string): Props {
  return { ...ownerTags(ownership), [PROP_HV_NAME]: platformName };
}

/** True when `props` carry exactly this ownership (platform and owner id; a missing owner id matches a missing one). */
export function isOwnedBy(props: Props | undefined, ownership: Ownership): boolean {
  if (props === undefined || props[PROP_HV_PLATFORM] !== ownership.platform) return false;
  return props[PROP_HV_OWNER] === ownership.ownerId;
}

/** True when `props` say linstor-hv created the object under this ownership for `platformName`. */
export function isOwnVolume(props: Props | undefined, ownership: Ownership, platformName: string): boolean {
  return isOwnedBy(props, ownership) && props?.[PROP_HV_NAME] === platformName;
}

/** The value of `Aux/linstor-hv/created-by` on a diskless attachment this ownership made. */
export function attachmentCreator(ownership: Ownership): string {
  return ownership.ownerId === undefined ? ownership.platform : `${ownership.platform}:${ownership.ownerId}`;
}

/** Properties of a diskless attachment created by this ownership. */
export function attachmentProps(ownership: Ownership): Props {
  return { [PROP_HV_CREATED_BY]: attachmentCreator(ownership) };
}

/**
 * `props=` filter values that select the objects of one ownership (send each as a repeated query key;
 * LINSTOR ANDs them). Without an owner id, every object of the platform matches.
 */
export function ownerFilter(ownership: Ownership): string[] {
  validateOwnership(ownership);
  const filter = [`${PROP_HV_PLATFORM}=${ownership.platform}`];
  if (ownership.ownerId !== undefined) filter.push(`${PROP_HV_OWNER}=${ownership.ownerId}`);
  return filter;
}
