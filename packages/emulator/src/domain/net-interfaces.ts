/**
 * Node net interfaces (`/v1/nodes/{node}/net-interfaces`), following linstor-server's
 * CtrlNetIfApiCallHandler: names are case-insensitive, a second interface of the same name is
 * FAIL_EXISTS_NET_IF, the satellite connection runs over the interface the node prop
 * `CurStltConnName` names (the one reported `is_active`), and an interface with a satellite port
 * can become that connection (`is_active: true`). A node starts with the one interface `default`
 * on its address; the full list is kept on the node record once the API changes it.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import {
  type ApiCallRc,
  CREATED,
  DELETED,
  FAIL_EXISTS_NET_IF,
  FAIL_INVLD_NET_ADDR,
  FAIL_INVLD_NET_NAME,
  FAIL_INVLD_NET_PORT,
  FAIL_NOT_FOUND_NET_IF,
  MASK_CRT,
  MASK_DEL,
  MASK_MOD,
  MASK_NET_IF,
  MODIFIED,
  type NetInterface,
  nameKey,
  sameName,
  WARN_NOT_FOUND,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { ApiCallError, entry } from '../http/apicall';
import { newUuid, requireNode } from './lookup';
import type { NetIfRec, NodeRec } from './model';

/** The port satellites listen on for plain connections. */
export const SATELLITE_PORT = 3366;
/** The interface every node is created with. */
export const DEFAULT_NET_IF = 'default';
const ACTIVE_PROP = 'CurStltConnName';
const NET_IF_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,47}$/;

/** A UUID derived from the node's, so the implicit `default` interface keeps its id across restarts. */
function derivedUuid(base: string, purpose: string): string {
  const h = createHash('sha1').update(`${base}:${purpose}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Every interface of a node (the implicit `default` one until the API changed the list). */
export function netInterfacesOf(node: NodeRec): NetIfRec[] {
  return (
    node.netInterfaces ?? [
      {
        name: DEFAULT_NET_IF,
        address: node.address,
        satellitePort: SATELLITE_PORT,
        satelliteEncryptionType: 'PLAIN',
        uuid: derivedUuid(node.uuid, 'netif-default'),
      },
    ]
  );
}

function activeName(node: NodeRec): string {
  return node.props[ACTIVE_PROP] ?? DEFAULT_NET_IF;
}

/** The wire form of a node's interfaces; the active one says so, the others leave `is_active` out. */
export function netInterfaceViews(node: NodeRec): NetInterface[] {
  return netInterfacesOf(node).map((nif) => {
    const view: NetInterface = { name: nif.name, address: nif.address };
    if (nif.satellitePort !== undefined) view.satellite_port = nif.satellitePort;
    if (nif.satelliteEncryptionType !== undefined)
      view.satellite_encryption_type = nif.satelliteEncryptionType;
    if (sameName(nif.name, activeName(node))) view.is_active = true;
    view.uuid = nif.uuid;
    return view;
  });
}

function describe(nodeName: string, netIfName: string): string {
  return `netInterface '${netIfName}' on node '${nodeName}'`;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function checkAddress(address: unknown, mask: bigint): string {
  if (typeof address !== 'string' || isIP(address) === 0) {
    throw new ApiCallError(
      entry(FAIL_INVLD_NET_ADDR | mask, `Invalid network address '${String(address)}'.`, {
        correction: 'Give an IPv4 or IPv6 address.',
      }),
    );
  }
  return address;
}

function applyConnection(nif: NetIfRec, body: NetInterface, mask: bigint): void {
  if (body.satellite_port !== undefined) {
    const port = Number(body.satellite_port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new ApiCallError(
        entry(FAIL_INVLD_NET_PORT | mask, `Invalid port number ${body.satellite_port}.`),
      );
    }
    nif.satellitePort = port;
  }
  if (body.satellite_encryption_type !== undefined) {
    nif.satelliteEncryptionType =
      String(body.satellite_encryption_type).toUpperCase() === 'SSL' ? 'SSL' : 'PLAIN';
  }
}

function save(ctx: EmulatorContext, node: NodeRec, list: NetIfRec[], active: string): void {
  const nodeRec: NodeRec = { ...node, netInterfaces: list, props: { ...node.props, [ACTIVE_PROP]: active } };
  const def = list.find((n) => sameName(n.name, active));
  if (def) nodeRec.address = def.address;
  ctx.store.put('nodes', [nameKey(node.name)], nodeRec);
}

/** `POST /v1/nodes/{node}/net-interfaces` → CREATED entry (201). */
export function createNetInterface(ctx: EmulatorContext, nodeName: string, body: NetInterface): ApiCallRc[] {
  const mask = MASK_CRT | MASK_NET_IF;
  const node = requireNode(ctx, nodeName, mask);
  const name = typeof body.name === 'string' ? body.name : '';
  if (!NET_IF_NAME.test(name)) {
    throw new ApiCallError(
      entry(FAIL_INVLD_NET_NAME | mask, `Invalid name for a network interface: '${name}'.`),
    );
  }
  const list = netInterfacesOf(node).map((n) => ({ ...n }));
  if (list.some((n) => sameName(n.name, name))) {
    throw new ApiCallError(
      entry(FAIL_EXISTS_NET_IF | mask, `${capitalized(describe(node.name, name))} already exists.`, {
        objRefs: { Node: node.name },
      }),
    );
  }
  const nif: NetIfRec = { name, address: checkAddress(body.address, mask), uuid: newUuid() };
  applyConnection(nif, body, mask);
  list.push(nif);
  const active = body.is_active === true && nif.satellitePort !== undefined ? nif.name : activeName(node);
  save(ctx, node, list, active);
  return [
    entry(CREATED | mask, `New ${describe(node.name, name)} registered.`, {
      details: `${capitalized(describe(node.name, name))} UUID is: ${nif.uuid}`,
      objRefs: { Node: node.name },
    }),
  ];
}

function requireNetIf(node: NodeRec, list: NetIfRec[], netIfName: string, mask: bigint): NetIfRec {
  const nif = list.find((n) => sameName(n.name, netIfName));
  if (!nif) {
    throw new ApiCallError(
      entry(
        FAIL_NOT_FOUND_NET_IF | mask,
        `Node '${node.name}' has no network interface named '${netIfName}'.`,
        { objRefs: { Node: node.name } },
      ),
    );
  }
  return nif;
}

/** `PUT /v1/nodes/{node}/net-interfaces/{netif}`: address, satellite port/encryption, `is_active`. */
export function modifyNetInterface(
  ctx: EmulatorContext,
  nodeName: string,
  netIfName: string,
  body: NetInterface,
): ApiCallRc[] {
  const mask = MASK_MOD | MASK_NET_IF;
  const node = requireNode(ctx, nodeName, mask);
  const list = netInterfacesOf(node).map((n) => ({ ...n }));
  const nif = requireNetIf(node, list, netIfName, mask);
  if (body.address !== undefined) nif.address = checkAddress(body.address, mask);
  applyConnection(nif, body, mask);
  const active = body.is_active === true && nif.satellitePort !== undefined ? nif.name : activeName(node);
  save(ctx, node, list, active);
  return [
    entry(MODIFIED | mask, `${capitalized(describe(node.name, nif.name))} modified.`, {
      details: `${capitalized(describe(node.name, nif.name))} UUID is: ${nif.uuid}`,
      objRefs: { Node: node.name },
    }),
  ];
}

/**
 * `DELETE /v1/nodes/{node}/net-interfaces/{netif}`: a missing interface is WARN_NOT_FOUND ("had no
 * effect"). The interface of the satellite connection is kept: the emulated satellite has no
 * other way to be reached, so deleting it is refused as the last connection would be.
 */
export function deleteNetInterface(ctx: EmulatorContext, nodeName: string, netIfName: string): ApiCallRc[] {
  const mask = MASK_DEL | MASK_NET_IF;
  const node = requireNode(ctx, nodeName, mask);
  const list = netInterfacesOf(node).map((n) => ({ ...n }));
  const nif = list.find((n) => sameName(n.name, netIfName));
  if (!nif) {
    return [
      entry(WARN_NOT_FOUND | mask, `Deletion of ${describe(node.name, netIfName)} had no effect.`, {
        cause: `${capitalized(describe(node.name, netIfName))} does not exist.`,
        objRefs: { Node: node.name },
      }),
    ];
  }
  if (sameName(nif.name, activeName(node))) {
    throw new ApiCallError(
      entry(
        FAIL_EXISTS_NET_IF | mask,
        `${capitalized(describe(node.name, nif.name))} carries the satellite connection and cannot be deleted.`,
        {
          correction: 'Make another net interface with a satellite port active first (is_active: true).',
          objRefs: { Node: node.name },
        },
      ),
    );
  }
  save(
    ctx,
    node,
    list.filter((n) => n !== nif),
    activeName(node),
  );
  return [
    entry(DELETED | mask, `${capitalized(describe(node.name, nif.name))} deleted.`, {
      details: `${capitalized(describe(node.name, nif.name))} UUID was: ${nif.uuid}`,
      objRefs: { Node: node.name },
    }),
  ];
}
