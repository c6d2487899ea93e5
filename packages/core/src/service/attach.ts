/**
 * Attach and detach on a node, and live migration with dual-primary allowed only for the node
 * pair that needs it, only while the migration runs.
 */

import {
  CREATED,
  FAIL_EXISTS_RSC,
  FAIL_NOT_FOUND_RSC,
  INFO_RSC_ALREADY_EXISTS,
  PROP_ALLOW_TWO_PRIMARIES,
  PROP_DRBD_PROTOCOL,
  PROP_HV_MIGRATION,
  type Props,
  type ResourceDefinition,
  type ResourceWithVolumes,
  sameName,
} from '@linstor-hv/api';
import { type CallOptions, LinstorApiError } from '@linstor-hv/client';
import { VolumeError, VolumeInUseError, VolumeNotFoundError, VolumeValidationError } from '../errors';
import { wrapFailure, wrapFailureAfterCleanup } from '../failure';
import { attachmentProps } from '../naming';
import {
  beforeChange,
  callOf,
  definitionPropInView,
  isDeleting,
  isDiskless,
  isTieBreaker,
  migrationOf,
  type ServiceCore,
  type SignalOptions,
} from './core';
import { createOrAdopt } from './idempotent';
import type { AttachOptions, AttachResult, DetachResult, MigrationRecord } from './types';

/** The dual-primary settings a migration changes, with the values DRBD needs while it runs. */
const DUAL_PRIMARY: Props = { [PROP_ALLOW_TWO_PRIMARIES]: 'yes', [PROP_DRBD_PROTOCOL]: 'C' };

/** The resource of a volume on `node` (not being deleted), from a resource view. */
export function onNode(
  resources: readonly ResourceWithVolumes[],
  node: string,
): ResourceWithVolumes | undefined {
  return resources.find((r) => r.node_name !== undefined && sameName(r.node_name, node) && !isDeleting(r));
}

/**
 * Makes the volume available on `node` and returns its device path once it exists. A node without
 * a replica gets a diskless attachment tagged with this owner (created in one request, so a crash
 * never leaves an untagged one); a tie-breaker is turned into a wanted diskless and tagged too.
 *
 * Requests after the resource view (none when the caller passes it): none where the node has a
 * resource, one (the create) where it has none, two where LINSTOR put a tie-breaker. The
 * tie-breaker needs two because no single request of LINSTOR's API both removes the TIE_BREAKER
 * flag and sets a property: make-available takes no properties, a create over a tie-breaker takes
 * it over but ignores the create's properties, and a resource modify changes properties only.
 */
export async function ensureAttached(
  core: ServiceCore,
  resourceName: string,
  node: string,
  extraProps: Props = {},
  /** The volume's resources when the caller has just read them (saves a request). */
  known?: readonly ResourceWithVolumes[],
  call: CallOptions = {},
): Promise<AttachResult> {
  const existing = onNode(known ?? (await core.resources(resourceName, [node], call)), node);
  let created = false;
  const readNode = async () => onNode(await core.resources(resourceName, [node], call), node);
  if (existing && isTieBreaker(existing)) {
    // Tag first, then convert: a tagged tie-breaker is still a tie-breaker (never ours to remove),
    // and a converted one is always tagged, whichever step a crash interrupts.
    await core.client.resources.modify(
      resourceName,
      node,
      { override_props: { ...attachmentProps(core.ownership), ...extraProps } },
      beforeChange(call),
    );
    // A lost reply is settled by the state: no longer a tie-breaker means the conversion landed.
    await createOrAdopt({
      create: () =>
        core.client.resources.makeAvailable(resourceName, node, { diskful: false }, beforeChange(call)),
      read: async () => {
        const now = await readNode();
        return now && !isTieBreaker(now) ? now : undefined;
      },
      adopt: () => undefined,
    });
    created = true;
  } else if (!existing) {
    // Exists: another attach won the race. Outcome unknown: ours may have landed. Either way the
    // state decides whether a resource is there now, and whether it is this owner's attachment.
    created = await createOrAdopt({
      create: async () => {
        const reply = await core.client.resources.createOnNode(
          resourceName,
          node,
          {
            resource: {
              flags: ['DRBD_DISKLESS'],
              props: { ...attachmentProps(core.ownership), ...extraProps },
            },
          },
          beforeChange(call),
        );
        if (reply.has(CREATED) && !reply.has(INFO_RSC_ALREADY_EXISTS)) return true;
        // A resource appeared there since the read: the controller (CtrlRscCrtApiHelper, since linstor-server 6f6a5c16) then
        // answers 201 without creating ours, with INFO_RSC_ALREADY_EXISTS, or converts a diskless
        // one without writing our props. Whether it is this owner's decides, as for a lost reply.
        const now = await readNode();
        return now !== undefined && core.isOwnAttachment(now);
      },
      exists: FAIL_EXISTS_RSC,
      read: readNode,
      adopt: (now) => core.isOwnAttachment(now),
    });
  }
  const devicePath = await core.waitForDevice(node, resourceName, call);
  return { devicePath, created, diskful: existing !== undefined && !isDiskless(existing) };
}

/** Removes the diskless attachment on `node` if this owner created it; anything else is kept. */
export async function removeOwnAttachment(
  core: ServiceCore,
  resourceName: string,
  node: string,
  call: CallOptions = {},
  /** The volume's resources when the caller has just read them (saves a request). */
  known?: readonly ResourceWithVolumes[],
): Promise<DetachResult> {
  const existing = onNode(known ?? (await core.resources(resourceName, [node], call)), node);
  if (!existing) return { removed: false, kept: 'absent' };
  if (!isDiskless(existing)) return { removed: false, kept: 'diskful' };
  if (isTieBreaker(existing)) return { removed: false, kept: 'tie-breaker' };
  if (!core.isOwnAttachment(existing)) return { removed: false, kept: 'not-ours' };
  // keep_tiebreaker: if LINSTOR wants a tie-breaker here it turns the resource into one instead
  // of a second quick delete removing the tie-breaker the first one created.
  await core.client.resources.delete(resourceName, node, { keepTiebreaker: true }, beforeChange(call));
  return { removed: true };
}

/**
 * Attaches a volume on a node (see {@link ensureAttached}); heals a stale migration record first.
 * One resource view serves the common cases: it shows where replicas are, where the volume is
 * open, and, through the resources' effective props, the definition's migration record. So a node
 * with a resource costs that one request, a node without one a second (the tagged create), a
 * tie-breaker two more (see {@link ensureAttached}). A controller whose view lacks effective props
 * costs one more read, of the definition.
 */
export async function attachVolume(
  core: ServiceCore,
  name: string,
  node: string,
  options: AttachOptions & SignalOptions = {},
): Promise<AttachResult> {
  const call = callOf(options);
  const resourceName = core.resourceName(name);
  const what = `Attaching volume '${name}' on node '${node}' failed`;
  try {
    const resources = await core.resources(resourceName, undefined, call);
    if (resources.every((r) => isDiskless(r) || isDeleting(r))) {
      const definition = await healMigration(core, resourceName, call);
      if (!definition) throw new VolumeNotFoundError(`${what}: the volume does not exist.`, { volume: name });
      throw new VolumeError('placement', `${what}: the volume has no replica with data to attach to.`, {
        volume: name,
      });
    }
    const record = definitionPropInView(resources, PROP_HV_MIGRATION);
    if (record === undefined) await healMigration(core, resourceName, call);
    else if (record !== null) await healRecord(core, resourceName, record, resources, call);
    const elsewhere = core
      .inUseOn(resources.filter((r) => !isDeleting(r)))
      .filter((user) => user !== '' && !sameName(user, node));
    const policy = options.whenOpenElsewhere ?? 'attach';
    if (elsewhere.length > 0 && policy !== 'attach') {
      const [source] = elsewhere;
      if (policy === 'migrate' && source !== undefined && elsewhere.length === 1) {
        return await beginMigration(core, name, source, node, options);
      }
      throw new VolumeInUseError(
        `${what}: the volume is open on ${elsewhere.map((n) => `'${n}'`).join(' and ')}.`,
        elsewhere,
        { volume: name },
      );
    }
    return await ensureAttached(core, resourceName, node, {}, resources, call);
  } catch (error) {
    throw wrapFailure(what, error, { volume: name });
  }
}

/**
 * Detaches a volume from a node: removes only a diskless attachment this owner created; diskful
 * replicas, tie-breakers and other owners' attachments are kept. Already detached succeeds.
 */
export async function detachVolume(
  core: ServiceCore,
  name: string,
  node: string,
  options: SignalOptions = {},
): Promise<DetachResult> {
  const call = callOf(options);
  const resourceName = core.resourceName(name);
  const what = `Detaching volume '${name}' from node '${node}' failed`;
  try {
    await healMigration(core, resourceName, call);
    return await removeOwnAttachment(core, resourceName, node, call);
  } catch (error) {
    throw wrapFailure(what, error, { volume: name });
  }
}

async function connectionProps(
  core: ServiceCore,
  resourceName: string,
  a: string,
  b: string,
  call: CallOptions,
): Promise<Props> {
  const connection = await core.client.resourceConnections.get(resourceName, a, b, call);
  return connection?.props ?? {};
}

/** Puts the dual-primary keys back to the values the record saved (deleting those that were unset). */
async function restoreDualPrimary(
  core: ServiceCore,
  resourceName: string,
  record: MigrationRecord,
  call: CallOptions,
): Promise<void> {
  const override: Props = {};
  const remove: string[] = [];
  for (const key of Object.keys(DUAL_PRIMARY)) {
    const before = record.previous[key];
    if (before === null || before === undefined) remove.push(key);
    else override[key] = before;
  }
  const modify = {
    ...(Object.keys(override).length > 0 ? { override_props: override } : {}),
    ...(remove.length > 0 ? { delete_props: remove } : {}),
  };
  if (record.scope === 'connection') {
    try {
      await core.client.resourceConnections.modify(
        resourceName,
        record.from,
        record.to,
        modify,
        beforeChange(call),
      );
    } catch (error) {
      // A node of the pair has no resource any more (a commit removed the source's attachment
      // and was cut off before it removed the record): LINSTOR deleted the connection and its
      // settings with that resource, so there is nothing left to put back.
      if (!(error instanceof LinstorApiError && error.has(FAIL_NOT_FOUND_RSC))) throw error;
    }
  } else {
    await core.client.resourceDefinitions.modify(resourceName, modify, beforeChange(call));
  }
}

/**
 * Heals a migration record left by a crashed or forgotten migration: unless the volume is open on
 * both nodes (the migration is running) or, within `migrationGraceMs` of its start, on the source
 * only (the target has not opened it yet), the dual-primary settings are put back and the
 * record is removed. Attachments stay; detaching them is the platform's call. Returns the
 * definition as read (undefined when the volume does not exist).
 */
export async function healMigration(
  core: ServiceCore,
  resourceName: string,
  call: CallOptions = {},
): Promise<ResourceDefinition | undefined> {
  const definition = await core.definition(resourceName, call);
  const text = definition?.props?.[PROP_HV_MIGRATION];
  if (text !== undefined) await healRecord(core, resourceName, text, undefined, call);
  return definition;
}

/**
 * {@link healMigration} for the record's text as already read (`Aux/linstor-hv/migration`), with
 * the volume's resources when the caller has them (saves a request). An unreadable record is removed.
 */
export async function healRecord(
  core: ServiceCore,
  resourceName: string,
  text: string,
  known: readonly ResourceWithVolumes[] | undefined,
  call: CallOptions,
): Promise<void> {
  const record = migrationOf({ [PROP_HV_MIGRATION]: text });
  if (record) {
    const users = core.inUseOn(known ?? (await core.resources(resourceName, undefined, call)));
    const onSource = users.some((u) => sameName(u, record.from));
    const onTarget = users.some((u) => sameName(u, record.to));
    if (onSource && onTarget) return; // the migration is running
    // Begun, and the guest still runs on the source only: the target may not have opened yet.
    const age = Date.now() - Date.parse(record.startedAt);
    if (onSource && !(age > core.deadlines.migrationGraceMs)) return;
    await restoreDualPrimary(core, resourceName, record, call);
  }
  await core.client.resourceDefinitions.modify(
    resourceName,
    { delete_props: [PROP_HV_MIGRATION] },
    beforeChange(call),
  );
}

/**
 * Starts a live migration of `name` from `from` to `to`: attaches on the target, allows dual
 * primary for that pair only (allow-two-primaries=yes and protocol C on their resource connection;
 * on the definition only when both are diskless, since diskless peers have no direct connection),
 * and records it in `Aux/linstor-hv/migration`. Returns the target's device path. Repeating it
 * for the same pair is harmless.
 */
export async function beginMigration(
  core: ServiceCore,
  name: string,
  from: string,
  to: string,
  options: SignalOptions = {},
): Promise<AttachResult> {
  const call = callOf(options);
  const resourceName = core.resourceName(name);
  const what = `Starting the migration of volume '${name}' from '${from}' to '${to}' failed`;
  if (sameName(from, to))
    throw new VolumeValidationError(`${what}: source and target are the same node.`, { volume: name });
  try {
    const definition = await core.definition(resourceName, call);
    if (!definition) throw new VolumeNotFoundError(`${what}: the volume does not exist.`, { volume: name });
    const current = migrationOf(definition.props);
    if (current && !(sameName(current.from, from) && sameName(current.to, to))) {
      await healMigration(core, resourceName, call);
      const still = migrationOf((await core.definition(resourceName, call))?.props);
      if (still) {
        throw new VolumeError(
          'blocked',
          `${what}: a migration from '${still.from}' to '${still.to}' is still running; finish or abort it first.`,
          { volume: name },
        );
      }
    }
    const resources = await core.resources(resourceName, undefined, call);
    const source = onNode(resources, from);
    if (!source)
      throw new VolumeNotFoundError(`${what}: the volume is not attached on '${from}'.`, { volume: name });
    const target = onNode(resources, to);

    if (current && sameName(current.from, from) && sameName(current.to, to)) {
      // A repeat after a lost reply or a crash: make sure the target and the settings are in place.
      const attached = await ensureAttached(core, resourceName, to, {}, undefined, call);
      await applyDualPrimary(core, resourceName, current, call);
      return attached;
    }

    const targetWillBeDiskless = !target || isDiskless(target);
    const scope: MigrationRecord['scope'] =
      isDiskless(source) && targetWillBeDiskless ? 'definition' : 'connection';
    const before =
      scope === 'connection'
        ? await connectionProps(core, resourceName, from, to, call)
        : (definition.props ?? {});
    const previous: Record<string, string | null> = {};
    for (const key of Object.keys(DUAL_PRIMARY)) previous[key] = before[key] ?? null;
    const record: MigrationRecord = {
      from: source.node_name ?? from,
      to,
      scope,
      targetAttached: !target || isTieBreaker(target),
      previous,
      startedAt: new Date().toISOString(),
    };
    // The record goes first: whatever happens after it, commit, abort or healing can undo it.
    await core.client.resourceDefinitions.modify(
      resourceName,
      { override_props: { [PROP_HV_MIGRATION]: JSON.stringify(record) } },
      beforeChange(call),
    );
    try {
      const attached = await ensureAttached(core, resourceName, to, {}, undefined, call);
      await applyDualPrimary(core, resourceName, record, call);
      return attached;
    } catch (error) {
      // Undo in reverse: settings, the attachment this migration made, then the record.
      const leftover = await core.cleanup([
        (undo) => restoreDualPrimary(core, resourceName, record, undo),
        ...(record.targetAttached
          ? [(undo: CallOptions) => removeOwnAttachment(core, resourceName, to, undo)]
          : []),
        (undo) =>
          core.client.resourceDefinitions.modify(resourceName, { delete_props: [PROP_HV_MIGRATION] }, undo),
      ]);
      throw wrapFailureAfterCleanup(what, error, leftover, { volume: name });
    }
  } catch (error) {
    throw wrapFailure(what, error, { volume: name });
  }
}

async function applyDualPrimary(
  core: ServiceCore,
  resourceName: string,
  record: MigrationRecord,
  call: CallOptions,
): Promise<void> {
  if (record.scope === 'connection') {
    await core.client.resourceConnections.modify(
      resourceName,
      record.from,
      record.to,
      { override_props: DUAL_PRIMARY },
      beforeChange(call),
    );
  } else {
    await core.client.resourceDefinitions.modify(
      resourceName,
      { override_props: DUAL_PRIMARY },
      beforeChange(call),
    );
  }
}

/**
 * Finishes a migration: the dual-primary settings go back to what they were, the source's
 * diskless attachment (if this owner made it) is removed, and the record is deleted. The source
 * must no longer have the volume open. Repeating it is harmless.
 */
export async function commitMigration(
  core: ServiceCore,
  name: string,
  from: string,
  to: string,
  options: SignalOptions = {},
): Promise<void> {
  await finishMigration(core, name, from, to, 'commit', callOf(options));
}

/** Undoes a migration: settings restored, the target's attachment removed if the migration made it. */
export async function abortMigration(
  core: ServiceCore,
  name: string,
  from: string,
  to: string,
  options: SignalOptions = {},
): Promise<void> {
  await finishMigration(core, name, from, to, 'abort', callOf(options));
}

async function finishMigration(
  core: ServiceCore,
  name: string,
  from: string,
  to: string,
  how: 'commit' | 'abort',
  call: CallOptions,
): Promise<void> {
  const resourceName = core.resourceName(name);
  const verb = how === 'commit' ? 'Committing' : 'Aborting';
  const what = `${verb} the migration of volume '${name}' from '${from}' to '${to}' failed`;
  try {
    const definition = await core.definition(resourceName, call);
    if (!definition) throw new VolumeNotFoundError(`${what}: the volume does not exist.`, { volume: name });
    const record = migrationOf(definition.props);
    if (record && !(sameName(record.from, from) && sameName(record.to, to))) {
      throw new VolumeError(
        'blocked',
        `${what}: the recorded migration goes from '${record.from}' to '${record.to}'.`,
        { volume: name },
      );
    }
    const leaving = how === 'commit' ? from : to;
    const resources = await core.resources(resourceName, undefined, call);
    const leavingResource = onNode(resources, leaving);
    if (leavingResource?.state?.in_use === true) {
      throw new VolumeError(
        'in-use',
        `${what}: the volume is still open on '${leaving}'; ${how === 'commit' ? 'the guest must have left the source' : 'stop the guest on the target'} first.`,
        { volume: name },
      );
    }
    if (record) await restoreDualPrimary(core, resourceName, record, call);
    // The source leaves on commit (only this owner's diskless attachment is ever removed); on abort
    // the target's attachment goes only when the recorded migration made it.
    if (how === 'commit' || record?.targetAttached === true) {
      await removeOwnAttachment(core, resourceName, leaving, call);
    }
    if (definition.props?.[PROP_HV_MIGRATION] !== undefined) {
      await core.client.resourceDefinitions.modify(
        resourceName,
        { delete_props: [PROP_HV_MIGRATION] },
        beforeChange(call),
      );
    }
  } catch (error) {
    throw wrapFailure(what, error, { volume: name });
  }
}
