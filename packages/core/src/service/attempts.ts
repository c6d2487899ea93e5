/**
 * Attempts: which create or clone a pending definition belongs to, and when an unfinished one
 * counts as dead, so a repeated call resumes its own attempt and never takes over a live one.
 */

import { createHash } from 'node:crypto';
import {
  PROP_HV_ATTEMPT,
  PROP_HV_CREATED_AT,
  PROP_HV_NAME,
  PROP_HV_PENDING,
  type Props,
  type ResourceDefinition,
} from '@linstor-hv/api';

/**
 * How old a pending definition of another attempt must be before a create takes it for a dead
 * attempt and replaces it. Longer than any verb may run (PVE's longest deadline is 5 minutes, a
 * clone's wait 10), so a live attempt is never taken over; the orphan sweep removes such leftovers
 * sooner when an operator runs it.
 */
export const DEAD_ATTEMPT_MS = 15 * 60_000;

/**
 * The attempt id of a create or clone when the caller gives none: derived from the volume's name
 * and what tells such calls apart (a create's preferred node, a clone's source), so the same call
 * repeated on the same node after a crash (a restarted bridge, a killed process) resumes its
 * attempt, while the same name created from another node at once is another attempt. Callers
 * that may run two creates of one name from one node at once (Proxmox serialises them under its
 * storage lock) pass their own ids.
 */
export function defaultAttemptId(name: string, ...context: (string | undefined)[]): string {
  return createHash('sha256')
    .update([name, ...context.map((part) => part ?? '')].join('\u0000'))
    .digest('hex')
    .slice(0, 16);
}

/**
 * Whose unfinished create a pending definition of this owner is: `ours` (this attempt: resume it),
 * `dead` (written before attempt ids, or older than {@link DEAD_ATTEMPT_MS}: replace it), or `live`
 * (another attempt, perhaps on another node, is building it right now: leave it alone).
 */
export function pendingAttempt(props: Props | undefined, attempt: string): 'ours' | 'dead' | 'live' {
  const owner = props?.[PROP_HV_ATTEMPT];
  if (owner === attempt) return 'ours';
  const created = Date.parse(props?.[PROP_HV_CREATED_AT] ?? '');
  if (owner === undefined || !Number.isFinite(created)) return 'dead';
  return Date.now() - created > DEAD_ATTEMPT_MS ? 'dead' : 'live';
}

/** The props that make a definition pending for one attempt, with its creation time. */
export function pendingProps(verb: string, attempt: string): Props {
  return {
    [PROP_HV_PENDING]: verb,
    [PROP_HV_ATTEMPT]: attempt,
    [PROP_HV_CREATED_AT]: new Date().toISOString(),
  };
}

/** The sentence for "already exists and is not ours", telling a case-only collision apart. */
export function collisionMessage(
  what: string,
  resourceName: string,
  existing: ResourceDefinition,
  name: string,
): string {
  const existingName = existing.props?.[PROP_HV_NAME];
  const clash =
    existingName !== undefined && existingName !== name
      ? ` by the name '${existingName}' (LINSTOR names ignore case)`
      : '';
  return `${what}: LINSTOR already has a resource definition '${existing.name ?? resourceName}'${clash} that this owner did not create; choose another name.`;
}
