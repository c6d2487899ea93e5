import { describe, expect, it } from 'vitest';
import { PROMOTION_STREAM } from '../src/domain/devices';
import { JournalStore } from '../src/infra/journal-store';
import type { RunningEmulator } from '../src/start';
import { GIB, makeAvailable, resourcesOfRd, spawnRd } from './domain-helpers';
import { useEmulator } from './emulator-fixture';
import { call } from './http-helpers';

let emu: RunningEmulator;
let url: string;

useEmulator({ resetAfterEach: true }, (started) => {
  emu = started;
  url = started.url;
});

async function inUse(rd: string): Promise<Record<string, boolean | undefined>> {
  const out: Record<string, boolean | undefined> = {};
  for (const r of await resourcesOfRd(url, rd)) out[r.node_name] = r.state?.in_use;
  return out;
}

/** A promotion event stream reader that collects `may-promote-change` events. */
class PromotionStream {
  readonly events: { resource_name: string; node_name: string; may_promote: boolean }[] = [];
  private readonly abort = new AbortController();
  private buffer = '';
  private done: Promise<void> = Promise.resolve();

  async open(lastEventId?: string): Promise<void> {
    const res = await fetch(new URL('/v1/events/drbd/promotion', url), {
      headers: lastEventId ? { 'Last-Event-ID': lastEventId } : {},
      signal: this.abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    this.done = (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          this.buffer += decoder.decode(value, { stream: true });
          let end = this.buffer.indexOf('\n\n');
          while (end >= 0) {
            const block = this.buffer.slice(0, end);
            this.buffer = this.buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event === 'may-promote-change' && data) this.events.push(JSON.parse(data));
            end = this.buffer.indexOf('\n\n');
          }
        }
      } catch {
        // aborted by close()
      }
    })();
  }

  /** Waits (bounded) until `predicate` holds for the collected events. */
  async waitFor(predicate: (events: PromotionStream['events']) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (Date.now() > deadline) throw new Error(`timed out; events: ${JSON.stringify(this.events)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

describe('device open and close', () => {
  it('marks the opening node in use, and only that node', async () => {
    await spawnRd(url, 'linstor-hv', 'dev-1', [GIB]);
    const open = await emu.control.openDevice('pve1', 'dev-1', 'rw');
    expect(open).toEqual({
      status: 200,
      body: { resource_name: 'dev-1', node_name: 'pve1', mode: 'rw', in_use: true },
    });
    expect(await inUse('dev-1')).toEqual({ pve1: true, pve2: false, pve3: false });
    const close = await emu.control.closeDevice('pve1', 'dev-1');
    expect(close.status).toBe(200);
    expect(await inUse('dev-1')).toEqual({ pve1: false, pve2: false, pve3: false });
  });

  it('answers 404 when the resource is not deployed on the node', async () => {
    await spawnRd(url, 'linstor-hv', 'dev-404', [GIB], { definitions_only: true });
    const reply = await emu.control.openDevice('pve1', 'dev-404', 'rw');
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ error: "Resource 'dev-404' is not deployed on node 'pve1'." });
    expect((await emu.control.openDevice('pve1', 'no-such-rd', 'rw')).status).toBe(404);
  });

  it('refuses a second writer unless allow-two-primaries=yes with protocol C', async () => {
    await spawnRd(url, 'linstor-hv', 'dev-dual', [GIB]);
    expect((await emu.control.openDevice('pve1', 'dev-dual', 'rw')).status).toBe(200);
    const refused = await emu.control.openDevice('pve2', 'dev-dual', 'rw');
    expect(refused.status).toBe(409);
    expect((refused.body as { error: string }).error).toContain('allow-two-primaries');
    // A reader on another node is fine.
    expect((await emu.control.openDevice('pve3', 'dev-dual', 'ro')).status).toBe(200);

    await call(url, 'PUT', '/v1/resource-definitions/dev-dual', {
      override_props: { 'DrbdOptions/Net/allow-two-primaries': 'yes', 'DrbdOptions/Net/protocol': 'A' },
    });
    expect((await emu.control.openDevice('pve2', 'dev-dual', 'rw')).status).toBe(409);
    await call(url, 'PUT', '/v1/resource-definitions/dev-dual', {
      delete_props: ['DrbdOptions/Net/protocol'],
    });
    expect((await emu.control.openDevice('pve2', 'dev-dual', 'rw')).status).toBe(200);
    expect(await inUse('dev-dual')).toEqual({ pve1: true, pve2: true, pve3: true });
  });

  it('allows dual-primary for one pair through the resource connection only', async () => {
    await spawnRd(url, 'linstor-hv', 'dev-conn', [GIB]);
    await makeAvailable(url, 'dev-conn', 'pve3', { diskful: false });
    const put = await call(url, 'PUT', '/v1/resource-definitions/dev-conn/resource-connections/pve1/pve3', {
      override_props: { 'DrbdOptions/Net/allow-two-primaries': 'yes' },
    });
    expect(put.status, put.text).toBe(200);
    expect((await emu.control.openDevice('pve1', 'dev-conn', 'rw')).status).toBe(200);
    expect((await emu.control.openDevice('pve2', 'dev-conn', 'rw')).status).toBe(409);
    expect((await emu.control.openDevice('pve3', 'dev-conn', 'rw')).status).toBe(200);
  });

  it('needs an online UpToDate diskful peer to open on a diskless node', async () => {
    await spawnRd(url, 'linstor-hv', 'dev-dl', [GIB]);
    await makeAvailable(url, 'dev-dl', 'pve3', { diskful: false });
    await emu.control.nodeOffline('pve1');
    await emu.control.nodeOffline('pve2');
    const refused = await emu.control.openDevice('pve3', 'dev-dl', 'rw');
    expect(refused.status).toBe(409);
    expect((refused.body as { error: string }).error).toBe(
      "Resource 'dev-dl' on node 'pve3' is diskless and has no online UpToDate diskful peer.",
    );
    await emu.control.nodeOnline('pve2');
    expect((await emu.control.openDevice('pve3', 'dev-dl', 'rw')).status).toBe(200);
  });
});

describe('promotion events', () => {
  it('sends the current may_promote of every resource with Last-Event-ID: current, then changes', async () => {
    await spawnRd(url, 'linstor-hv', 'ev-1', [GIB]);
    const stream = new PromotionStream();
    try {
      await stream.open('current');
      await stream.waitFor((ev) => ev.length >= 3);
      expect(stream.events.map((e) => [e.node_name, e.may_promote]).sort()).toEqual([
        ['pve1', true],
        ['pve2', true],
        ['pve3', true],
      ]);
      stream.events.length = 0;
      expect((await emu.control.openDevice('pve1', 'ev-1', 'rw')).status).toBe(200);
      await stream.waitFor((ev) => ev.length >= 2);
      expect(stream.events.map((e) => [e.resource_name, e.node_name, e.may_promote]).sort()).toEqual([
        ['ev-1', 'pve2', false],
        ['ev-1', 'pve3', false],
      ]);
      stream.events.length = 0;
      await emu.control.closeDevice('pve1', 'ev-1');
      await stream.waitFor((ev) => ev.length >= 2);
      expect(stream.events.every((e) => e.may_promote)).toBe(true);
    } finally {
      await stream.close();
    }
  });

  it('sends nothing up front without Last-Event-ID', async () => {
    await spawnRd(url, 'linstor-hv', 'ev-2', [GIB]);
    const stream = new PromotionStream();
    try {
      await stream.open();
      await emu.control.openDevice('pve2', 'ev-2', 'rw');
      await stream.waitFor((ev) => ev.length >= 2);
      expect(stream.events.map((e) => e.node_name).sort()).toEqual(['pve1', 'pve3']);
    } finally {
      await stream.close();
    }
  });
});

describe('promotion events and transactions', () => {
  it('publishes may-promote-change only after the change committed, never for a rolled-back one', async () => {
    await spawnRd(url, 'linstor-hv', 'ev-tx', [GIB]);
    const store = emu.store;
    if (!(store instanceof JournalStore)) throw new Error('the emulator does not run on a JournalStore');
    // The journal size when each event is published: past the change's journal line once committed.
    const journalAtEvent: number[] = [];
    const unsubscribe = emu.context.subscribe(PROMOTION_STREAM, () => journalAtEvent.push(store.journalSize));
    const stream = new PromotionStream();
    try {
      await stream.open();
      // The open is applied, then its commit fails (as if the process died before the fsync).
      store.beforeCommitHook = () => {
        throw new Error('killed before the journal fsync');
      };
      try {
        expect((await emu.control.openDevice('pve1', 'ev-tx', 'rw')).status).toBe(500);
      } finally {
        store.beforeCommitHook = undefined;
      }
      expect(await inUse('ev-tx')).toEqual({ pve1: false, pve2: false, pve3: false });
      expect(journalAtEvent).toEqual([]);

      const journalBefore = store.journalSize;
      expect((await emu.control.openDevice('pve1', 'ev-tx', 'rw')).status).toBe(200);
      await stream.waitFor((ev) => ev.length >= 2);
      // Only the committed open's events, none from the rolled-back one.
      expect(stream.events.map((e) => [e.resource_name, e.node_name, e.may_promote]).sort()).toEqual([
        ['ev-tx', 'pve2', false],
        ['ev-tx', 'pve3', false],
      ]);
      expect(journalAtEvent).toHaveLength(2);
      for (const size of journalAtEvent) expect(size).toBeGreaterThan(journalBefore);
    } finally {
      unsubscribe();
      await stream.close();
    }
  });
});
