/**
 * The node routes beyond plain CRUD (linstor-server's rest/v1/Nodes.java): lost, reconnect,
 * evacuate, restore (domain/node-lifecycle.ts), the net interfaces (domain/net-interfaces.ts), the
 * satellite configuration, EBS nodes and `drbd-reactorctl`. The emulated satellites run no
 * drbd-reactor, so `drbd-reactorctl` answers per node as a satellite without the program does.
 */
import {
  type ApiCallRc,
  FAIL_EXISTS_REMOTE,
  FAIL_NOT_FOUND_NET_IF,
  FAIL_NOT_FOUND_REMOTE,
  MASK_CRT,
  MASK_MOD,
  MASK_NODE,
  MODIFIED,
  type NetInterface,
  nameKey,
  sameName,
  WARN_NOT_CONNECTED,
} from '@linstor-hv/api';
import type { EmulatorContext } from '../context';
import { FAIL_MISSING_EBS_TARGET } from '../domain/codes';
import { paginate } from '../domain/filters';
import { DEFAULT_LOG_LEVELS, type LogLevels, withLogLevels } from '../domain/log-levels';
import { requireNode } from '../domain/lookup';
import type { NodeRec } from '../domain/model';
import {
  createNetInterface,
  deleteNetInterface,
  modifyNetInterface,
  netInterfaceViews,
} from '../domain/net-interfaces';
import { evacuateNode, lostNode, reconnectNode, restoreNode } from '../domain/node-lifecycle';
import { getRemote } from '../domain/remotes';
import { ApiCallError, entry, replyEntries } from '../http/apicall';
import { type EmuReply, type RouteDef, route } from '../http/route';
import { badRequestBody, withObjectBody } from './body';
import { NODES_STREAM, nodeView } from './nodes';

interface NodeEvacuateBody {
  target?: string[];
  do_not_target?: string[];
}

interface NodeRestoreBody {
  delete_resources?: boolean;
  delete_snapshots?: boolean;
}

interface SatelliteConfigBody {
  log?: { level?: string; level_linstor?: string };
}

function stltConfig(ctx: EmulatorContext, node: NodeRec): LogLevels {
  return ctx.store.get<LogLevels>('stltConfigs', [nameKey(node.name)]) ?? DEFAULT_LOG_LEVELS;
}

/** The satellite configuration a connected satellite reports (`null` from an offline one → 503). */
function satelliteConfigReply(ctx: EmulatorContext, nodeName: string): EmuReply {
  const node = requireNode(ctx, nodeName);
  if (!node.online) {
    return { status: 503, json: [entry(WARN_NOT_CONNECTED | MASK_NODE, 'Node is offline')] };
  }
  const conf = stltConfig(ctx, node);
  return {
    status: 200,
    json: {
      config: { dir: '/etc/linstor' },
      debug: { console_enabled: false },
      log: {
        print_stack_trace: false,
        directory: '/var/log/linstor-satellite',
        level: conf.logLevel,
        level_linstor: conf.logLevelLinstor,
      },
      remote_spdk: false,
      ebs: false,
      special_satellite: false,
      net: { bind_address: '::', port: 3366, com_type: 'PLAIN' },
    },
  };
}

function setSatelliteConfig(ctx: EmulatorContext, nodeName: string, body: SatelliteConfigBody): EmuReply {
  const mask = MASK_MOD | MASK_NODE;
  const node = requireNode(ctx, nodeName, mask);
  const conf = withLogLevels(stltConfig(ctx, node), body.log, mask);
  ctx.store.put('stltConfigs', [nameKey(node.name)], conf);
  return replyEntries(
    [entry(MODIFIED | mask, `Successfully updated satellite config of node ${node.name}`)],
    200,
  );
}

type ReactorCommand = 'status' | 'evict' | 'disable' | 'enable' | 'restart';

interface ReactorBody {
  nodes?: unknown;
  config?: unknown;
  wait?: unknown;
}

/**
 * `POST /v1/nodes/exec/drbd-reactorctl/{command}`: one answer per node. Unknown and offline nodes
 * are answered by the controller; a connected satellite tries to run `drbd-reactorctl`, which the
 * emulated hosts do not have, so the start of the program fails (exit code -1, the error text).
 */
function reactorExec(ctx: EmulatorContext, command: ReactorCommand, body: ReactorBody): EmuReply {
  if (!Array.isArray(body.nodes) || body.nodes.some((n) => typeof n !== 'string')) {
    return badRequestBody();
  }
  const needsConfig = command !== 'status';
  const answers = (body.nodes as string[]).map((name) => {
    const node = ctx.store.get<NodeRec>('nodes', [nameKey(name)]);
    if (!node) return { node: name, exit_code: -1, stderr_utf8: `Node '${name}' not found` };
    if (!node.online) return { node: name, exit_code: -1, stderr_utf8: `Node '${name}' is offline` };
    if (needsConfig && (typeof body.config !== 'string' || body.config === '')) {
      return {
        node: name,
        exit_code: -1,
        stderr_utf8: `Invalid command or missing config parameter for ${command.toUpperCase()}`,
      };
    }
    const failure = 'Cannot run program "drbd-reactorctl": error=2, No such file or directory';
    const asyncEvict = command === 'evict' && body.wait !== true;
    return {
      node: name,
      exit_code: -1,
      stderr_utf8: asyncEvict ? `Failed to start evict: ${failure}` : failure,
    };
  });
  return { status: 200, json: answers };
}

/**
 * `POST /v1/nodes/ebs`: an EBS node needs an EBS remote; with one, the controller creates the
 * special satellite and must reach AWS EC2, which the emulator cannot, so the node is never created.
 */
function createEbsNode(ctx: EmulatorContext, body: { name?: unknown; ebs_remote_name?: unknown }): EmuReply {
  const mask = MASK_CRT | MASK_NODE;
  const remoteName = typeof body.ebs_remote_name === 'string' ? body.ebs_remote_name : '';
  const remote = getRemote(ctx, remoteName);
  if (!remote) {
    throw new ApiCallError(
      entry(FAIL_NOT_FOUND_REMOTE | mask, `Remote '${remoteName}' not found.`, {
        cause: `The specified remote '${remoteName}' could not be found in the database`,
        correction: `Create a remote with the name '${remoteName}' first.`,
      }),
    );
  }
  if (remote.type !== 'ebs') {
    throw new ApiCallError(
      entry(FAIL_EXISTS_REMOTE | mask, `The remote with the name '${remote.name}' is not a EBS remote.`),
    );
  }
  throw new ApiCallError(
    entry(
      FAIL_MISSING_EBS_TARGET | mask,
      `Node '${String(body.name)}' could not be created: the EBS endpoint is unreachable.`,
      {
        cause: `The controller could not connect to the EC2 endpoint '${remote.endpoint ?? ''}' of remote '${remote.name}'.`,
        correction: 'Check the endpoint, region and keys of the EBS remote.',
      },
    ),
  );
}

function publishNode(ctx: EmulatorContext, event: string, node: NodeRec | undefined): void {
  if (node) ctx.store.afterCommit(() => ctx.publish(NODES_STREAM, event, { node: nodeView(node) }));
}

function reply(entries: ApiCallRc[], status = 200): EmuReply {
  return replyEntries(entries, status);
}

const reactorRoute = (command: ReactorCommand): RouteDef => ({
  method: 'POST',
  template: `/v1/nodes/exec/drbd-reactorctl/${command}`,
  parseErrorStatus: 400,
  handler: withObjectBody((body: ReactorBody, _req, ctx) => reactorExec(ctx, command, body)),
});

export const nodeOperationRoutes: RouteDef[] = [
  route({
    method: 'DELETE',
    template: '/v1/nodes/{node}/lost',
    handler: (req, ctx) => {
      const { entries, node } = lostNode(ctx, req.params.node);
      publishNode(ctx, 'node-delete', node);
      return reply(entries);
    },
  }),
  route({
    method: 'PUT',
    template: '/v1/nodes/{node}/reconnect',
    handler: (req, ctx) => reply(reconnectNode(ctx, req.params.node)),
  }),
  route({
    method: 'PUT',
    template: '/v1/nodes/{node}/evacuate',
    handler: withObjectBody((body: NodeEvacuateBody, req, ctx) => {
      const result = evacuateNode(ctx, req.params.node, {
        target: body.target,
        doNotTarget: body.do_not_target,
      });
      publishNode(ctx, 'node-evacuate', result.node);
      return reply(result.entries);
    }),
  }),
  route({
    method: 'PUT',
    template: '/v1/nodes/{node}/restore',
    handler: withObjectBody((body: NodeRestoreBody, req, ctx) => {
      const result = restoreNode(ctx, req.params.node, {
        deleteResources: body.delete_resources === true,
        deleteSnapshots: body.delete_snapshots === true,
      });
      publishNode(ctx, 'node-restored', result.node);
      return reply(result.entries);
    }),
  }),
  route({
    method: 'GET',
    template: '/v1/nodes/{node}/net-interfaces',
    handler: (req, ctx) => ({
      status: 200,
      json: paginate(netInterfaceViews(requireNode(ctx, req.params.node)), req.query),
    }),
  }),
  route({
    method: 'GET',
    template: '/v1/nodes/{node}/net-interfaces/{netif}',
    handler: (req, ctx) => {
      const node = requireNode(ctx, req.params.node);
      const found = netInterfaceViews(node).find((n) => sameName(n.name, req.params.netif));
      if (found) return { status: 200, json: found };
      return replyEntries(
        [entry(FAIL_NOT_FOUND_NET_IF, `Netinterface '${req.params.netif}' not found.`)],
        404,
      );
    },
  }),
  route({
    method: 'POST',
    template: '/v1/nodes/{node}/net-interfaces',
    parseErrorStatus: 400,
    handler: withObjectBody((body: NetInterface, req, ctx) =>
      reply(createNetInterface(ctx, req.params.node, body), 201),
    ),
  }),
  route({
    method: 'PUT',
    template: '/v1/nodes/{node}/net-interfaces/{netif}',
    parseErrorStatus: 400,
    handler: withObjectBody((body: NetInterface, req, ctx) =>
      reply(modifyNetInterface(ctx, req.params.node, req.params.netif, body)),
    ),
  }),
  route({
    method: 'DELETE',
    template: '/v1/nodes/{node}/net-interfaces/{netif}',
    handler: (req, ctx) => reply(deleteNetInterface(ctx, req.params.node, req.params.netif)),
  }),
  route({
    method: 'GET',
    template: '/v1/nodes/{node}/config',
    handler: (req, ctx) => satelliteConfigReply(ctx, req.params.node),
  }),
  route({
    method: 'PUT',
    template: '/v1/nodes/{node}/config',
    parseErrorStatus: 400,
    handler: withObjectBody((body: SatelliteConfigBody, req, ctx) =>
      setSatelliteConfig(ctx, req.params.node, body),
    ),
  }),
  route({
    method: 'POST',
    template: '/v1/nodes/ebs',
    handler: withObjectBody((body: { name?: unknown; ebs_remote_name?: unknown }, _req, ctx) =>
      createEbsNode(ctx, body),
    ),
  }),
  reactorRoute('status'),
  reactorRoute('evict'),
  reactorRoute('disable'),
  reactorRoute('enable'),
  reactorRoute('restart'),
];
