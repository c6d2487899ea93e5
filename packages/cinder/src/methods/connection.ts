/**
 * Attaching: `local` DRBD devices on compute nodes (direct), exports on the Cinder host's node
 * (iSCSI through Cinder's target helpers, image copies), detaching without ever removing a
 * diskful replica or a tie-breaker, and live migration through core's migration protocol.
 */

import { sameName } from '@linstor-hv/api';
import type { Backend, BackendRegistry } from '../backend';
import { volumeNameCandidates } from '../names';
import { CinderParamsError, parseConnector, parseVolume } from '../protocol';
import { firstFound, method } from './common';

/**
 * The device path a host is given: udev's by-res link, or with `linstor_force_udev = False` (hosts
 * and containers without udev's DRBD rules) the DRBD minor's node that LINSTOR reports.
 */
async function devicePathFor(
  backend: Backend,
  name: string,
  node: string,
  byRes: string,
  signal: AbortSignal,
): Promise<string> {
  if (backend.config.forceUdev) return byRes;
  const info = await backend.service().info(name, { signal });
  const reported = info.replicas.find((r) => sameName(r.node, node))?.devicePath;
  if (reported === undefined) return byRes;
  return reported.startsWith('/dev/')
    ? `${backend.deviceRoot(node)}${reported.slice('/dev'.length)}`
    : reported;
}

/** Methods for connections and exports. */
export function connectionMethods(registry: BackendRegistry) {
  return {
    /**
     * Makes the volume available on the connector's node (diskless where it has no replica) and
     * returns its device. When the volume is open on exactly one other node, Nova is live-migrating:
     * dual-primary is allowed for that pair only until the source detaches.
     */
    initialize_connection: method(registry, async ({ params, backend, signal }) => {
      const volume = parseVolume(params);
      const connector = parseConnector(params);
      if (!connector) throw new CinderParamsError("'connector' is required to attach a volume.");
      const node = await backend.nodeOf(connector, signal);
      return firstFound(volumeNameCandidates(volume), async (name) => {
        const attached = await backend.service().attach(name, node, { whenOpenElsewhere: 'migrate', signal });
        return {
          driverVolumeType: 'local',
          data: { device_path: await devicePathFor(backend, name, node, attached.devicePath, signal) },
          node,
          resourceName: name,
          created: attached.created,
        };
      });
    }),

    /**
     * Detaches from the connector's node: ends a live migration when the node is its source
     * (commit) or its target (abort); keeps the attachment while another attachment of the
     * volume uses the same host (`shared`). No connector (force detach) detaches everywhere.
     */
    terminate_connection: method(registry, async ({ params, backend, signal }) => {
      const volume = parseVolume(params);
      const connector = parseConnector(params);
      const service = backend.service();
      return firstFound(volumeNameCandidates(volume), async (name) => {
        const info = await service.info(name, { signal });
        const migration = info.migration;
        if (!connector) {
          if (migration) await service.abortMigration(name, migration.from, migration.to, { signal });
          const detached: string[] = [];
          for (const replica of info.replicas.filter((r) => r.attachedByOwner)) {
            if ((await service.detach(name, replica.node, { signal })).removed) detached.push(replica.node);
          }
          return { shared: false, detached };
        }
        const sameHost = volume.attachments.filter((a) => a.host === connector.host).length;
        if (sameHost > 1) return { shared: true, detached: [] };
        const node = await backend.nodeOf(connector, signal);
        const same = (a: string) => a.toLowerCase() === node.toLowerCase();
        if (migration && same(migration.from)) {
          await service.commitMigration(name, migration.from, migration.to, { signal });
          return { shared: false, detached: [node], migration: 'committed' };
        }
        if (migration && same(migration.to)) {
          await service.abortMigration(name, migration.from, migration.to, { signal });
          return { shared: false, detached: [node], migration: 'aborted' };
        }
        const result = await service.detach(name, node, { signal });
        return { shared: false, detached: result.removed ? [node] : [], kept: result.kept ?? null };
      });
    }),

    /**
     * Makes the volume available on the Cinder host's node (never as part of a migration) and
     * returns the device path, for a target helper to export or for a local copy.
     */
    create_export: method(registry, async ({ params, backend, signal }) => {
      const volume = parseVolume(params);
      const node = await backend.cinderNode(signal);
      return firstFound(volumeNameCandidates(volume), async (name) => {
        const attached = await backend.service().attach(name, node, { signal });
        return {
          devicePath: await devicePathFor(backend, name, node, attached.devicePath, signal),
          node,
          resourceName: name,
        };
      });
    }),

    /** Removes the Cinder host's attachment (made by create_export); replicas stay. */
    remove_export: method(registry, async ({ params, backend, signal }) => {
      const volume = parseVolume(params);
      const node = await backend.cinderNode(signal);
      return firstFound(volumeNameCandidates(volume), async (name) => {
        const result = await backend.service().detach(name, node, { signal });
        return { removed: result.removed, kept: result.kept ?? null, node };
      });
    }),
  };
}
