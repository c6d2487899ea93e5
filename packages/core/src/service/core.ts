/**
 * What every verb of the volume service shares: the bound client and group, the ownership tags,
 * cached group placement, one-request reads of a volume's definition and resources, device paths
 * and their appearance on a host, and cleanup that never hides the original failure.
 */

import { setTimeout as delay } from 'node:timers/promises';
import {
  nameKey,
  PROP_HV_CREATED_BY,
  PROP_HV_MIGRATION,
  PROP_HV_NAME,
  PROP_HV_OWNER,
  PROP_HV_PLATFORM,
  type ResourceDefinition,
  type ResourceWithVolumes,
  sameName,
} from '@linstor-hv/api';
import {
  AllControllersFailedError,
  type CallOptions,
  type LinstorClient,
  LinstorTransportError,
  OutcomeUnknownError,
  pollUntil,
  untilAborted,
} from '@linstor-hv/client';
import { type GroupPlacement, placementOf } from '../capacity';
import { VolumeValidationError } from '../errors';
import { LocalExecutor } from '../exec/local';
import type { HostExecutor } from '../exec/types';
import { attachmentCreator, isOwnedBy, type Ownership, resourceNameFor, validateOwnership } from '../naming';
import type {
  MigrationRecord,
  PlacementCache,
  ReplicaInfo,
  ServiceDeadlines,
  SizeSpec,
  VolumeServiceOptions,
} from './types';

/** The only volume number linstor-hv uses: one volume per resource definition, as the official plugins do. */
export const VOLUME_NUMBER = 0;
export const KIB = 1024;
/** LINSTOR sizes are KiB in a Java long; JavaScript numbers stay exact up to 2^53. */
const MAX_KIB = Math.floor(Number.MAX_SAFE_INTEGER / KIB);

/** What every verb takes last: the caller's signal (a deadline or a caller going away aborts it). */
export interface SignalOptions {
  /** Aborts the verb between its steps (and the request in flight); its undo still runs. */
  readonly signal?: AbortSignal | undefined;
}

/** The client's per-call options for a verb's signal. */
export function callOf(options: SignalOptions = {}): CallOptions {
  return options.signal ? { signal: options.signal } : {};
}

/**
 * The call options for a request that changes something. The signal is checked before the request
 * is sent, but does not cut it off in flight: the controller applies a change whose reply was cut
 * off all the same, so aborting it would only turn a known outcome into an unknown one that the
 * undo cannot see. An abort therefore stops a verb between its steps, as the caller expects.
 */
export function beforeChange(call: CallOptions): CallOptions {
  call.signal?.throwIfAborted();
  const { signal: _inFlight, ...rest } = call;
  return rest;
}

/**
 * How long the undo of a half-done operation may take. It gets its own budget rather than the
 * caller's signal: the signal has usually fired already when the undo starts, and an undo cut off
 * mid-way leaves the very half-done state it exists to remove.
 */
export const CLEANUP_BUDGET_MS = 15_000;

/** A step of an undo: gets the call options of the undo's own budget. */
export type CleanupStep = (call: CallOptions) => Promise<unknown>;

/** The call options of an undo: its own budget of {@link CLEANUP_BUDGET_MS}. */
export function undoCall(): CallOptions {
  return { signal: AbortSignal.timeout(CLEANUP_BUDGET_MS), deadlineMs: CLEANUP_BUDGET_MS };
}

/** The longest pause between two tries of an undo step while the controller is away. */
const UNDO_PAUSE_MAX_MS = 2_000;

/** The controller could not be reached, or its reply was lost: the same request may work soon. */
function controllerAway(error: unknown): boolean {
  return (
    error instanceof AllControllersFailedError ||
    error instanceof LinstorTransportError ||
    error instanceof OutcomeUnknownError
  );
}

/**
 * Runs one step of an undo (or a read that settles an unknown outcome) within `call`'s budget:
 * tried twice, and while the controller is away, again with a growing pause until the budget
 * ends. Throws the step's last error.
 */
export async function underUndoBudget<T>(
  step: (call: CallOptions) => Promise<T>,
  call: CallOptions = undoCall(),
): Promise<T> {
  let pause = 200;
  for (let tries = 1; ; tries++) {
    try {
      return await step(call);
    } catch (error) {
      if (call.signal?.aborted || (tries >= 2 && !controllerAway(error))) throw error;
      if (tries >= 2) {
        const slept = await delay(pause, true, { signal: call.signal }).catch(() => false);
        if (!slept) throw error;
        pause = Math.min(pause * 2, UNDO_PAUSE_MAX_MS);
      }
    }
  }
}

/** How long a group's placement is reused; a long-running daemon sees a changed place count after this. */
const PLACEMENT_TTL_MS = 60_000;

const DEFAULT_DEADLINES: ServiceDeadlines = {
  notInUseMs: 10_000,
  deviceMs: 15_000,
  cloneMs: 600_000,
  resizeMs: 60_000,
  migrationGraceMs: 600_000,
};

/** KiB for a size given in bytes (rounded up: a volume is never smaller than asked) or KiB. */
export function sizeKibOf(spec: SizeSpec, what = 'size'): number {
  const bytes = spec.sizeBytes;
  const kib = bytes !== undefined ? Math.ceil(bytes / KIB) : spec.sizeKib;
  if (bytes !== undefined && spec.sizeKib !== undefined) {
    throw new VolumeValidationError(`Give the ${what} in bytes or in KiB, not both.`);
  }
  const given = bytes ?? spec.sizeKib;
  if (kib === undefined || given === undefined || !Number.isInteger(given) || given <= 0 || kib > MAX_KIB) {
    throw new VolumeValidationError(
      `The ${what} ${String(given)} is not usable; give a whole number of ${bytes !== undefined ? 'bytes' : 'KiB'} above 0.`,
    );
  }
  return kib;
}

/** True when a resource holds no data of its own (diskless attachment or tie-breaker). */
export function isDiskless(resource: ResourceWithVolumes): boolean {
  const flags = resource.flags ?? [];
  return flags.includes('DISKLESS') || flags.includes('DRBD_DISKLESS');
}

/** True for the diskless quorum tie-breaker LINSTOR manages itself. */
export function isTieBreaker(resource: ResourceWithVolumes): boolean {
  return (resource.flags ?? []).includes('TIE_BREAKER');
}

/** True while LINSTOR is removing the resource. */
export function isDeleting(resource: ResourceWithVolumes): boolean {
  return (resource.flags ?? []).includes('DELETE');
}

/** Reads the migration record of a definition's props (undefined when none or unreadable). */
export function migrationOf(props: Record<string, string> | undefined): MigrationRecord | undefined {
  const text = props?.[PROP_HV_MIGRATION];
  if (text === undefined) return undefined;
  try {
    const record = JSON.parse(text) as MigrationRecord;
    return typeof record.from === 'string' && typeof record.to === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** How `effective_props` names a resource definition: older controllers spell it out, newer ones abbreviate. */
const DEFINITION_PROP_TYPES: ReadonlySet<string> = new Set(['RESOURCE_DEFINITION', 'RSC_DFN']);

/**
 * The value the resource definition gives `key`, read from the `effective_props` of its resources
 * in the resource view, so a verb that reads the view anyway need not read the definition too.
 * `null`: the view shows effective props and the definition does not set the key; `undefined`:
 * the view shows none (an older controller, or no resources), so the definition must be read.
 */
export function definitionPropInView(
  resources: readonly ResourceWithVolumes[],
  key: string,
): string | null | undefined {
  for (const resource of resources) {
    const effective = resource.effective_props;
    if (effective === undefined) continue;
    const entry = effective[key];
    if (entry === undefined) return null; // the same definition stands behind every resource
    const layers = [entry, ...((entry.other ?? []) as { type?: string; value?: string }[])];
    const own = layers.find((layer) => layer.type !== undefined && DEFINITION_PROP_TYPES.has(layer.type));
    return own?.value ?? null;
  }
  return undefined;
}

/**
 * Every property the resource definition sets under `prefix`, read from the `effective_props` of
 * its resources in the resource view (as {@link definitionPropInView}); empty when none is set.
 */
export function definitionPropsInView(
  resources: readonly ResourceWithVolumes[],
  prefix: string,
): Record<string, string> {
  const found: Record<string, string> = {};
  const first = resources.find((resource) => resource.effective_props !== undefined);
  for (const key of Object.keys(first?.effective_props ?? {})) {
    if (!key.startsWith(prefix)) continue;
    const value = definitionPropInView([first!], key);
    if (typeof value === 'string') found[key] = value;
  }
  return found;
}

/** Shared state and helpers of one volume service. */
export class ServiceCore {
  readonly client: LinstorClient;
  readonly group: string;
  readonly ownership: Ownership;
  readonly deadlines: ServiceDeadlines;
  readonly overSubscriptionRatio: number | undefined;
  private readonly deviceRootOf: (node: string) => string;
  private readonly executorOf: (node: string) => HostExecutor;
  private readonly placements: PlacementCache;

  constructor(options: VolumeServiceOptions) {
    this.client = options.client;
    this.group = options.resourceGroup;
    this.ownership = { platform: options.platform, ownerId: options.ownerId };
    validateOwnership(this.ownership);
    this.deadlines = { ...DEFAULT_DEADLINES, ...options.deadlines };
    this.overSubscriptionRatio = options.overSubscriptionRatio;
    this.deviceRootOf = options.deviceRoot ?? (() => '/dev');
    const local = new LocalExecutor();
    this.executorOf = options.executorFor ?? (() => local);
    this.placements = options.placementCache ?? new Map();
  }

  /** The LINSTOR resource-definition name of a platform volume name. */
  resourceName(name: string): string {
    return resourceNameFor(name);
  }

  /** The executor for commands on `node`. */
  executor(node: string): HostExecutor {
    return this.executorOf(node);
  }

  /** The by-res device path of a resource on a node, under that node's device root. */
  devicePath(node: string, resourceName: string): string {
    const root = this.deviceRootOf(node).replace(/\/+$/, '');
    return `${root}/drbd/by-res/${resourceName}/${VOLUME_NUMBER}`;
  }

  /**
   * Waits until the by-res path exists on the node (udev creates it after LINSTOR reports the
   * resource; returning earlier is the race behind linstor-server#456) and returns it.
   */
  async waitForDevice(node: string, resourceName: string, call: CallOptions = {}): Promise<string> {
    const path = this.devicePath(node, resourceName);
    const executor = this.executor(node);
    const signal = call.signal;
    await pollUntil(
      `the device ${path} to appear on node '${node}'`,
      async () =>
        (await executor.pathExists(path, { signal }))
          ? { done: true, value: undefined }
          : { done: false, state: 'absent' },
      {
        timeoutMs: this.deadlines.deviceMs,
        intervalMs: 50,
        maxIntervalMs: 500,
        ...(signal ? { signal } : {}),
      },
    );
    return path;
  }

  /**
   * Placement rules of a resource group, reused for a minute (groups change rarely) or for
   * `maxAgeMs` when the caller can live with older rules. Failures are the client's; callers wrap
   * them in their verb's words. The read is shared by concurrent callers, so it does not take one
   * caller's signal; each caller stops waiting when its own fires.
   */
  placement(
    group = this.group,
    call: CallOptions = {},
    maxAgeMs = PLACEMENT_TTL_MS,
  ): Promise<GroupPlacement> {
    return untilAborted(this.sharedPlacement(group, maxAgeMs), call.signal);
  }

  private sharedPlacement(group: string, maxAgeMs: number): Promise<GroupPlacement> {
    const key = nameKey(group);
    const cached = this.placements.get(key);
    if (cached && Date.now() - cached.at < maxAgeMs) return cached.placement;
    const placement = this.client.resourceGroups.get(group).then(placementOf, (error: unknown) => {
      this.placements.delete(key); // not cached: the group may be created later
      throw error;
    });
    this.placements.set(key, { at: Date.now(), placement });
    return placement;
  }

  /** Drops a group's cached placement (after the group was changed). */
  forgetPlacement(group: string): void {
    this.placements.delete(nameKey(group));
  }

  /** A resource definition with its volume definitions, in one request; undefined when absent. */
  async definition(resourceName: string, call: CallOptions = {}): Promise<ResourceDefinition | undefined> {
    const [found] = await this.definitions([resourceName], call);
    return found;
  }

  /**
   * Several resource definitions with their volume definitions, in one request: one entry per
   * name, in the order asked (undefined where absent).
   */
  async definitions(
    resourceNames: readonly string[],
    call: CallOptions = {},
  ): Promise<(ResourceDefinition | undefined)[]> {
    const list = await this.client.resourceDefinitions.list(
      { resourceDefinitions: [...resourceNames], withVolumeDefinitions: true },
      call,
    );
    return resourceNames.map((name) => list.find((rd) => rd.name !== undefined && sameName(rd.name, name)));
  }

  /** The resources of a definition with volumes and state, in one request. */
  async resources(
    resourceName: string,
    nodes?: readonly string[],
    call: CallOptions = {},
  ): Promise<ResourceWithVolumes[]> {
    const list = await this.client.resources.view(
      { resources: [resourceName], ...(nodes ? { nodes } : {}) },
      call,
    );
    return list.filter((r) => r.name !== undefined && sameName(r.name, resourceName));
  }

  /** Size of volume 0 of a definition read with {@link definition}, in KiB. */
  sizeKibOf(definition: ResourceDefinition): number | undefined {
    return definition.volume_definitions?.find((vd) => (vd.volume_number ?? 0) === VOLUME_NUMBER)?.size_kib;
  }

  /**
   * Why this owner must not destroy or overwrite a volume: it carries another owner's tags. A
   * volume without linstor-hv tags (made by an official plugin) is adoptable and passes.
   */
  foreignOwner(props: Record<string, string> | undefined): string | undefined {
    const platform = props?.[PROP_HV_PLATFORM];
    if (platform === undefined || isOwnedBy(props, this.ownership)) return undefined;
    const owner = props?.[PROP_HV_OWNER];
    return owner === undefined ? platform : `${platform}:${owner}`;
  }

  /** The platform name stored on an object, else its LINSTOR name. */
  platformName(props: Record<string, string> | undefined, linstorName: string): string {
    return props?.[PROP_HV_NAME] ?? linstorName;
  }

  /** True when the resource is a diskless attachment created under this service's ownership. */
  isOwnAttachment(resource: ResourceWithVolumes): boolean {
    return (
      isDiskless(resource) &&
      !isTieBreaker(resource) &&
      resource.props?.[PROP_HV_CREATED_BY] === attachmentCreator(this.ownership)
    );
  }

  /** Replicas of a volume as the view shows them (resources being deleted left out). */
  replicas(resources: readonly ResourceWithVolumes[]): ReplicaInfo[] {
    return resources
      .filter((r) => !isDeleting(r))
      .map((r) => {
        const volume = r.volumes?.find((v) => (v.volume_number ?? 0) === VOLUME_NUMBER);
        const diskless = isDiskless(r);
        return {
          node: r.node_name ?? '',
          diskful: !diskless,
          tieBreaker: isTieBreaker(r),
          diskState: volume?.state?.disk_state,
          inUse: r.state?.in_use,
          storagePool: volume?.storage_pool_name,
          devicePath: volume?.device_path,
          allocatedBytes:
            !diskless && volume?.allocated_size_kib !== undefined
              ? volume.allocated_size_kib * KIB
              : undefined,
          attachedByOwner: this.isOwnAttachment(r),
        };
      })
      .sort((a, b) => a.node.localeCompare(b.node));
  }

  /** Nodes where the volume is open. */
  inUseOn(resources: readonly ResourceWithVolumes[]): string[] {
    return resources.filter((r) => r.state?.in_use === true).map((r) => r.node_name ?? '');
  }

  /**
   * Runs cleanup steps and returns a sentence about any that still failed, so the error the caller
   * sees names the original failure first and the leftover second. The steps share a budget of
   * their own ({@link CLEANUP_BUDGET_MS}), never the caller's signal, which may be what ended the
   * verb. Each step is tried twice (a cleanup often runs right after the controller had a hiccup),
   * and while the controller cannot be reached or its reply is lost (it is restarting) it is tried
   * again until the budget ends: an undo given up after two quick refusals leaves the very
   * half-done state it exists to remove.
   */
  async cleanup(steps: readonly CleanupStep[]): Promise<string> {
    const problems: string[] = [];
    const call = undoCall();
    for (const step of steps) {
      try {
        await underUndoBudget(step, call);
      } catch (error) {
        problems.push(error instanceof Error ? error.message : String(error));
      }
    }
    return problems.length === 0
      ? ''
      : ` Cleaning up failed too (${problems.join('; ')}); run the orphan audit.`;
  }
}
