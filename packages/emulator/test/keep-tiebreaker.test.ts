/**
 * `DELETE .../resources/{node}?keep_tiebreaker=true` when automatic tie-breaking is off
 * (`DrbdOptions/auto-add-quorum-tiebreaker=False` on the RD or its group). The controller's
 * CtrlRscAutoTieBreakerHelper.manage() turns the feature back on for the RD ("Autotiebreaker
 * automatically enabled due to --keep-tiebreaker", INFO_PROP_SET) and then, when the remaining
 * replicas need a tie-breaker, takes the deleted diskless resource over as the tie-breaker
 * (INFO_TIE_BREAKER_TAKEOVER) instead of deleting it. Without keep_tiebreaker the property stays
 * False and the resource is deleted.
 */
import { DELETED, INFO_PROP_SET, INFO_TIE_BREAKER_TAKEOVER, MASK_DEL, MASK_RSC } from '@linstor-hv/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../src/start';
import { call } from './http-helpers';

const DEL_RSC = MASK_DEL | MASK_RSC;
const AUTO_TB = 'DrbdOptions/auto-add-quorum-tiebreaker';

let emu: RunningEmulator;
let url: string;

beforeAll(async () => {
  emu = await startEmulator();
  url = emu.url;
});

afterAll(async () => {
  await emu?.stop();
});

interface Entry {
  ret_code: bigint;
  message: string;
}

/**
 * Spawns two diskful replicas with the given RD props, then attaches a diskless resource on the
 * third node, whose name it returns.
 */
async function twoReplicasAndDiskless(rd: string, rdProps: Record<string, string>): Promise<string> {
  const spawned = await call(url, 'POST', '/v1/resource-groups/linstor-hv/spawn', {
    resource_definition_name: rd,
    volume_sizes: [64 * 1024],
    resource_definition_props: rdProps,
  });
  expect(spawned.status, spawned.text).toBe(201);
  const placed = (await nodesAndFlags(rd)).map(([node]) => node);
  expect(placed).toHaveLength(2); // no tie-breaker: the feature is off
  const third = ['pve1', 'pve2', 'pve3'].find((n) => !placed.includes(n))!;
  const avail = await call(url, 'POST', `/v1/resource-definitions/${rd}/resources/${third}/make-available`, {
    diskful: false,
  });
  expect(avail.status, avail.text).toBe(200);
  expect((await nodesAndFlags(rd)).find(([node]) => node === third)).toEqual([
    third,
    ['DISKLESS', 'DRBD_DISKLESS'],
  ]);
  return third;
}

async function nodesAndFlags(rd: string): Promise<[string, string[]][]> {
  const reply = await call(url, 'GET', `/v1/view/resources?resources=${rd}`);
  expect(reply.status).toBe(200);
  return (reply.json as { node_name: string; flags?: string[] }[])
    .map((r): [string, string[]] => [r.node_name, r.flags ?? []])
    .sort((a, b) => a[0].localeCompare(b[0]));
}

async function rdProp(rd: string): Promise<string | undefined> {
  const reply = await call(url, 'GET', `/v1/resource-definitions/${rd}`);
  return (reply.json as { props?: Record<string, string> }).props?.[AUTO_TB];
}

describe('keep_tiebreaker with automatic tie-breaking off', () => {
  it('turns the feature back on for the RD and keeps the deleted diskless as the tie-breaker (RD prop False)', async () => {
    const third = await twoReplicasAndDiskless('ktb-rd', { [AUTO_TB]: 'False' });
    const reply = await call(
      url,
      'DELETE',
      `/v1/resource-definitions/ktb-rd/resources/${third}?keep_tiebreaker=true`,
    );
    expect(reply.status, reply.text).toBe(200);
    const entries = reply.json as Entry[];
    expect(entries.map((e) => [e.ret_code, e.message])).toEqual([
      [INFO_PROP_SET | DEL_RSC, 'Autotiebreaker automatically enabled due to --keep-tiebreaker'],
      [
        INFO_TIE_BREAKER_TAKEOVER | DEL_RSC,
        'The given resource will not be deleted but will be taken over as a linstor managed tiebreaker resource.',
      ],
    ]);
    expect((await nodesAndFlags('ktb-rd')).find(([node]) => node === third)).toEqual([
      third,
      ['DISKLESS', 'DRBD_DISKLESS', 'TIE_BREAKER'],
    ]);
    expect(await rdProp('ktb-rd')).toBe('True');
  });

  it('does the same when the group sets the property False (the RD gets True, which wins)', async () => {
    const rg = await call(url, 'PUT', '/v1/resource-groups/linstor-hv', {
      override_props: { [AUTO_TB]: 'False' },
    });
    expect(rg.status, rg.text).toBe(200);
    try {
      const third = await twoReplicasAndDiskless('ktb-rg', {});
      const reply = await call(
        url,
        'DELETE',
        `/v1/resource-definitions/ktb-rg/resources/${third}?keep_tiebreaker=true`,
      );
      expect(reply.status, reply.text).toBe(200);
      expect((reply.json as Entry[]).map((e) => e.ret_code)).toEqual([
        INFO_PROP_SET | DEL_RSC,
        INFO_TIE_BREAKER_TAKEOVER | DEL_RSC,
      ]);
      expect(await rdProp('ktb-rg')).toBe('True');
      expect((await nodesAndFlags('ktb-rg')).find(([node]) => node === third)?.[1]).toContain('TIE_BREAKER');
    } finally {
      await call(url, 'PUT', '/v1/resource-groups/linstor-hv', { delete_props: [AUTO_TB] });
    }
  });

  it('deletes the diskless resource without keep_tiebreaker and leaves the property False', async () => {
    const third = await twoReplicasAndDiskless('ktb-plain', { [AUTO_TB]: 'False' });
    const reply = await call(url, 'DELETE', `/v1/resource-definitions/ktb-plain/resources/${third}`);
    expect(reply.status, reply.text).toBe(200);
    const entries = reply.json as Entry[];
    expect(entries.map((e) => e.ret_code)).toEqual([DELETED | DEL_RSC]);
    expect(entries[0]!.message).toBe(`Resource 'ktb-plain' on node '${third}' deleted.`);
    expect((await nodesAndFlags('ktb-plain')).map(([node]) => node)).not.toContain(third);
    expect(await rdProp('ktb-plain')).toBe('False');
  });
});
