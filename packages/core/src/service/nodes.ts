/**
 * Which LINSTOR node a platform's host is. Platforms name hosts their own way (Nova's `host`, a
 * container's pod name), so a host is matched, in this order, by a node property the operator
 * set, the node name, the satellite's `NodeUname`, and an address of its network interfaces; the
 * first rule with exactly one match wins, and two matches are an error naming both.
 */

import { isIP } from 'node:net';
import { type Node, sameName } from '@linstor-hv/api';
import { VolumeError, VolumeNotFoundError } from '../errors';
import { wrapFailure } from '../failure';
import { callOf, type ServiceCore, type SignalOptions } from './core';

/** What is known about a host. */
export interface HostIdentity {
  /** Names the host goes by (first match wins among rules, not among names). */
  readonly names: readonly string[];
  /** The host's IP address, when known. */
  readonly ip?: string | undefined;
  /** A node property whose value is the host's name (e.g. `Aux/openstack-host`). */
  readonly property?: string | undefined;
}

function sameAddress(a: string, b: string): boolean {
  if (isIP(a) === 0 || isIP(b) === 0) return false;
  const norm = (x: string) => x.toLowerCase().replace(/^::ffff:/, '');
  return norm(a) === norm(b);
}

/** Picks the node of a host from a node list (see the module comment for the rules). */
export function matchNode(nodes: readonly Node[], host: HostIdentity): Node {
  const names = host.names.filter((n) => n !== '');
  const rules: [string, (node: Node) => boolean][] = [];
  if (host.property) {
    const key = host.property;
    rules.push([`property ${key}`, (node) => names.some((n) => node.props?.[key] === n)]);
  }
  rules.push(['node name', (node) => names.some((n) => sameName(node.name, n))]);
  rules.push([
    'NodeUname',
    (node) => names.some((n) => (node.props?.NodeUname ?? '').toLowerCase() === n.toLowerCase()),
  ]);
  if (host.ip) {
    const ip = host.ip;
    rules.push(['address', (node) => (node.net_interfaces ?? []).some((i) => sameAddress(i.address, ip))]);
  }
  for (const [rule, test] of rules) {
    const found = nodes.filter(test);
    if (found.length === 1 && found[0]) return found[0];
    if (found.length > 1) {
      throw new VolumeError(
        'invalid-argument',
        `Host '${names[0] ?? host.ip}' matches several LINSTOR nodes by ${rule}: ${found.map((n) => n.name).join(', ')}; set a node property that tells them apart.`,
      );
    }
  }
  throw new VolumeNotFoundError(
    `No LINSTOR node matches host '${names.join("', '")}'${host.ip ? ` (address ${host.ip})` : ''}; name the node after the host, or set the node property that carries the host's name.`,
  );
}

/** The LINSTOR node name of a host, from one node list. */
export async function findNode(
  core: ServiceCore,
  host: HostIdentity,
  options: SignalOptions = {},
): Promise<string> {
  let nodes: Node[];
  try {
    nodes = await core.client.nodes.list(undefined, callOf(options));
  } catch (error) {
    throw wrapFailure('Reading the LINSTOR nodes failed', error);
  }
  return matchNode(nodes, host).name;
}
