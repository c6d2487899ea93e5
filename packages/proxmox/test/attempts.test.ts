/**
 * Two PVE nodes allocating one explicit name at once: exactly one wins, the other is told the name
 * exists, and one volume is left. With `preferlocal no` nothing in the request names a node, so the
 * handler must give each node its own attempt id (issue 10).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness';

describe('alloc_image of one name from two nodes at once (preferlocal no)', { timeout: 120_000 }, () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ preferlocal: 'no' });
  });
  afterAll(async () => {
    await h.stop();
  });

  it('one node creates the volume, the other gets "already exists", five rounds', async () => {
    for (let round = 0; round < 5; round++) {
      const volname = `vm-${200 + round}-disk-0`;
      const args = { vmid: 200 + round, name: volname, sizeKib: 4096 };
      const outcomes = await Promise.allSettled([
        h.call('alloc_image', args, 'pve1'),
        h.call('alloc_image', args, 'pve2'),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won, `round ${round}`).toHaveLength(1);
      expect(won[0]).toMatchObject({ value: { volname } });
      const lost = outcomes.find((o) => o.status === 'rejected');
      // Depending on how far the winner got: finished, or still building under its own attempt.
      expect(String(lost?.reason)).toMatch(
        new RegExp(
          `^Error: alloc_image: (volume '${volname}' already exists|Creating volume '${volname}' failed: another attempt \\(started [^)]+\\) is creating it; it exists once that attempt finishes\\.)$`,
        ),
      );
      const listed = (await h.call('list_images', { vmid: 200 + round })) as {
        images: { volname: string }[];
      };
      expect(listed.images.map((i) => i.volname)).toEqual([volname]);
    }
  });
});
