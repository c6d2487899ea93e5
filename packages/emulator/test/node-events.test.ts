import { describe, expect, it } from 'vitest';
import { JournalStore } from '../src/infra/journal-store';
import { NODES_STREAM } from '../src/routes/nodes';
import type { RunningEmulator } from '../src/start';
import { createSatellite } from './domain-helpers';
import { useEmulator } from './emulator-fixture';
import { call } from './http-helpers';

let emu: RunningEmulator;

useEmulator({ resetAfterEach: true }, (started) => {
  emu = started;
});

describe('node events and transactions', () => {
  it('publishes node-create only for a node whose creation committed', async () => {
    const store = emu.store;
    if (!(store instanceof JournalStore)) throw new Error('the emulator does not run on a JournalStore');
    const seen: { event: string; name: string; journal: number }[] = [];
    const unsubscribe = emu.context.subscribe(NODES_STREAM, (event, data) => {
      seen.push({ event, name: (data as { node: { name: string } }).node.name, journal: store.journalSize });
    });
    try {
      // The create is applied, then its commit fails (as if the process died before the fsync).
      store.beforeCommitHook = () => {
        throw new Error('killed before the journal fsync');
      };
      try {
        expect((await createSatellite(emu.url, 'pve4', '10.0.0.4')).status).toBe(500);
      } finally {
        store.beforeCommitHook = undefined;
      }
      expect((await call(emu.url, 'GET', '/v1/nodes/pve4')).status).toBe(404);
      expect(seen).toEqual([]);

      const journalBefore = store.journalSize;
      expect((await createSatellite(emu.url, 'pve4', '10.0.0.4')).status).toBe(201);
      expect(seen.map((s) => [s.event, s.name])).toEqual([['node-create', 'pve4']]);
      expect(seen[0]!.journal).toBeGreaterThan(journalBefore);
    } finally {
      unsubscribe();
    }
  });
});
