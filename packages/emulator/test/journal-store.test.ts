import { appendFile, cp, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type JournalStore, openJournalStore } from '../src/infra/journal-store';

let dir: string;
let store: JournalStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'emu-store-'));
  store = await openJournalStore(dir);
});

afterEach(async () => {
  await store.close().catch(() => {});
  await rm(dir, { recursive: true, force: true });
});

async function reopen(options = {}): Promise<JournalStore> {
  await store.close();
  store = await openJournalStore(dir, options);
  return store;
}

async function journalLines(): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => n.startsWith('journal-'));
  expect(names).toHaveLength(1);
  const text = await readFile(join(dir, names[0]!), 'utf8');
  return text.split('\n').filter((l) => l !== '');
}

describe('journal store: reads and writes', () => {
  it('lists and counts by key prefix and returns copies', async () => {
    await store.transaction(() => {
      store.put('resources', ['RD1', 'N1'], { n: 1 });
      store.put('resources', ['RD1', 'N2'], { n: 2 });
      store.put('resources', ['RD2', 'N1'], { n: 3 });
    });
    expect(store.list('resources', ['RD1'])).toEqual([{ n: 1 }, { n: 2 }]);
    expect(store.list('resources')).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(store.count('resources', ['RD1'])).toBe(2);
    expect(store.count('resources', ['RD3'])).toBe(0);
    expect(store.count('resources')).toBe(3);
    expect(store.count('nothing')).toBe(0);
    const copy = store.get<{ n: number }>('resources', ['RD1', 'N1'])!;
    copy.n = 99;
    expect(store.get('resources', ['RD1', 'N1'])).toEqual({ n: 1 });
  });

  it('refuses writes outside a transaction', () => {
    expect(() => store.put('x', ['a'], 1)).toThrow('store.put called outside a transaction');
    expect(() => store.delete('x', ['a'])).toThrow('store.delete called outside a transaction');
  });

  it('keeps counts right when records are deleted and prunes empty prefixes', async () => {
    await store.transaction(() => {
      store.put('rscByNode', ['N1', 'RD1'], true);
      store.put('rscByNode', ['N1', 'RD2'], true);
    });
    await store.transaction(() => store.delete('rscByNode', ['N1', 'RD1']));
    expect(store.count('rscByNode', ['N1'])).toBe(1);
    await store.transaction(() => store.delete('rscByNode', ['N1', 'RD2']));
    expect(store.count('rscByNode', ['N1'])).toBe(0);
    expect(store.list('rscByNode')).toEqual([]);
  });
});

describe('journal store: transactions', () => {
  it('rolls back every change of a failed transaction and writes nothing', async () => {
    await store.transaction(() => {
      store.put('rds', ['A'], { v: 'a' });
      store.put('rds', ['B'], { v: 'b' });
    });
    const linesBefore = await journalLines();
    await expect(
      store.transaction(() => {
        store.put('rds', ['A'], { v: 'changed' });
        store.delete('rds', ['B']);
        store.put('rds', ['C'], { v: 'new' });
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    expect(store.list('rds')).toEqual([{ v: 'a' }, { v: 'b' }]);
    expect(store.count('rds')).toBe(2);
    expect(await journalLines()).toEqual(linesBefore);
  });

  it('lets a transaction started inside another join it: one commit, one journal line', async () => {
    await store.transaction(async () => {
      store.put('rds', ['A'], 1);
      await store.transaction(async () => {
        store.put('rds', ['B'], 2);
      });
      store.put('rds', ['C'], 3);
    });
    expect(await journalLines()).toHaveLength(1);
    await reopen();
    expect(store.list('rds')).toEqual([1, 2, 3]);
  });

  it('rolls back the joined inner changes when the outer transaction fails', async () => {
    await expect(
      store.transaction(async () => {
        await store.transaction(() => store.put('rds', ['INNER'], 1));
        throw new Error('outer failed');
      }),
    ).rejects.toThrow('outer failed');
    expect(store.get('rds', ['INNER'])).toBeUndefined();
  });

  it('serialises concurrent transactions (no lost update)', async () => {
    await store.transaction(() => store.put('counters', ['c'], 0));
    const increments = Array.from({ length: 20 }, () =>
      store.transaction(async () => {
        const v = store.get<number>('counters', ['c'])!;
        await new Promise((r) => setTimeout(r, 1));
        store.put('counters', ['c'], v + 1);
      }),
    );
    await Promise.all(increments);
    expect(store.get('counters', ['c'])).toBe(20);
  });

  it('commits an independent transaction even when the surrounding one rolls back', async () => {
    let independent: Promise<void> | undefined;
    await expect(
      store.transaction(() => {
        store.put('rds', ['LOST'], 1);
        independent = store.independentTransaction(() => store.put('errorReports', ['R1'], { id: 'R1' }));
        throw new Error('request failed');
      }),
    ).rejects.toThrow('request failed');
    await independent;
    await reopen();
    expect(store.get('rds', ['LOST'])).toBeUndefined();
    expect(store.get('errorReports', ['R1'])).toEqual({ id: 'R1' });
  });

  it('keeps working after a failed transaction', async () => {
    await expect(store.transaction(() => Promise.reject(new Error('first')))).rejects.toThrow('first');
    await store.transaction(() => store.put('rds', ['OK'], true));
    expect(store.get('rds', ['OK'])).toBe(true);
  });
});

describe('journal store: durability', () => {
  it('replays the journal on reopen, bigints and deletes included', async () => {
    const code = 0xc0000000013801f5n;
    await store.transaction(() => {
      store.put('a', ['1'], { code, nested: { list: [1n, 'x'] } });
      store.put('a', ['2'], { keep: false });
      store.put('a', ['3'], 'gone soon');
    });
    await store.transaction(() => store.delete('a', ['3']));
    await reopen();
    expect(store.get('a', ['1'])).toEqual({ code, nested: { list: [1n, 'x'] } });
    expect(store.get('a', ['2'])).toEqual({ keep: false });
    expect(store.get('a', ['3'])).toBeUndefined();
    expect(store.count('a')).toBe(2);
  });

  it('ignores a torn last line and cuts it off so later commits replay cleanly', async () => {
    await store.transaction(() => store.put('a', ['1'], 'complete'));
    const [name] = (await readdir(dir)).filter((n) => n.startsWith('journal-'));
    const journal = join(dir, name!);
    const goodSize = (await stat(journal)).size;
    // A commit whose write was cut short by SIGKILL: no trailing newline.
    await appendFile(journal, '[["a",["2"],"torn');
    await reopen();
    expect(store.get('a', ['2'])).toBeUndefined();
    expect((await stat(journal)).size).toBe(goodSize);
    await store.transaction(() => store.put('a', ['3'], 'after'));
    await reopen();
    expect(store.list('a')).toEqual(['complete', 'after']);
  });

  it('compacts into a snapshot when the journal grows, and reopens from it', async () => {
    await reopen({ compactAfterBytes: 2000 });
    for (let i = 0; i < 100; i++) {
      await store.transaction(() => store.put('rds', [`RD${i}`], { name: `rd${i}`, size: BigInt(i) }));
    }
    await store.transaction(() => store.delete('rds', ['RD5']));
    const files = await readdir(dir);
    expect(files).toContain('snapshot.json');
    expect(files.filter((f) => f.startsWith('journal-'))).toHaveLength(1);
    expect(store.journalSize).toBeLessThan(2000);
    await reopen();
    expect(store.count('rds')).toBe(99);
    expect(store.get('rds', ['RD42'])).toEqual({ name: 'rd42', size: 42n });
    expect(store.get('rds', ['RD5'])).toBeUndefined();
  });

  it('clear() empties the state durably', async () => {
    await store.transaction(() => store.put('rds', ['A'], 1));
    await store.clear();
    expect(store.count('rds')).toBe(0);
    await reopen();
    expect(store.count('rds')).toBe(0);
    await store.transaction(() => store.put('rds', ['B'], 2));
    await reopen();
    expect(store.list('rds')).toEqual([2]);
  });

  it.each([
    ['flushed within the write delay', false],
    ['flushed on every commit', true],
  ])(
    'holds every answered commit for a process that is killed right after (%s)',
    async (_mode, flushEachCommit) => {
      await reopen({ flushEachCommit, flushDelayMs: 60_000 });
      await store.transaction(() => store.put('rds', ['A'], { size: 1n }));
      await store.transaction(() => store.put('rds', ['B'], { size: 2n }));
      // What the files hold now is what a new emulator starts from after a SIGKILL: no close, no flush.
      const copy = await mkdtemp(join(tmpdir(), 'emu-store-killed-'));
      try {
        await cp(dir, copy, { recursive: true });
        const restarted = await openJournalStore(copy);
        expect(restarted.list('rds')).toEqual([{ size: 1n }, { size: 2n }]);
        await restarted.close();
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
    },
  );

  it('flushes written commits on close and keeps accepting commits after a background flush', async () => {
    await reopen({ flushDelayMs: 5 });
    await store.transaction(() => store.put('rds', ['A'], 1));
    await new Promise((resolve) => setTimeout(resolve, 30));
    await store.transaction(() => store.put('rds', ['B'], 2));
    await reopen();
    expect(store.list('rds')).toEqual([1, 2]);
  });

  it('refuses use after close', async () => {
    await store.close();
    await expect(store.transaction(() => store.put('a', ['1'], 1))).rejects.toThrow(
      'the emulator store is closed',
    );
  });
});

describe('journal store: secondary indexes', () => {
  const byColor = (record: unknown) => {
    const color = (record as { color?: string }).color;
    return color === undefined ? [] : [color];
  };
  const keysOf = (s: JournalStore, term: string) =>
    s
      .indexedKeys('things', 'color', term)
      .map((k) => k.join('/'))
      .sort();

  it('is built from the records present and follows puts and deletes', async () => {
    await store.transaction(() => {
      store.put('things', ['A'], { color: 'red' });
      store.put('things', ['B', 'x'], { color: 'blue' });
    });
    store.defineIndex('things', 'color', byColor);
    expect(keysOf(store, 'red')).toEqual(['A']);
    expect(keysOf(store, 'blue')).toEqual(['B/x']);
    await store.transaction(() => {
      store.put('things', ['A'], { color: 'blue' });
      store.put('things', ['C'], { color: 'red' });
      store.delete('things', ['B', 'x']);
      store.put('others', ['D'], { color: 'red' });
    });
    expect(keysOf(store, 'red')).toEqual(['C']);
    expect(keysOf(store, 'blue')).toEqual(['A']);
    expect(keysOf(store, 'green')).toEqual([]);
    expect(() => store.indexedKeys('things', 'size', 'red')).toThrow(/no index 'size'/);
  });

  it("loses a rolled-back transaction's changes and is emptied by clear", async () => {
    store.defineIndex('things', 'color', byColor);
    await store.transaction(() => {
      store.put('things', ['A'], { color: 'red' });
      store.put('things', ['B'], { color: 'blue' });
    });
    await expect(
      store.transaction(() => {
        store.put('things', ['A'], { color: 'green' });
        store.put('things', ['C'], { color: 'red' });
        store.delete('things', ['B']);
        expect(keysOf(store, 'red')).toEqual(['C']);
        expect(keysOf(store, 'green')).toEqual(['A']);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(keysOf(store, 'red')).toEqual(['A']);
    expect(keysOf(store, 'blue')).toEqual(['B']);
    expect(keysOf(store, 'green')).toEqual([]);
    await store.clear();
    expect(keysOf(store, 'red')).toEqual([]);
    await store.transaction(() => store.put('things', ['E'], { color: 'red' }));
    expect(keysOf(store, 'red')).toEqual(['E']);
  });

  it('is rebuilt from the journal and snapshot after a reopen', async () => {
    await store.transaction(() => store.put('things', ['A'], { color: 'red' }));
    await store.compactNow();
    await store.transaction(() => store.put('things', ['B'], { color: 'red' }));
    await reopen();
    store.defineIndex('things', 'color', byColor);
    expect(keysOf(store, 'red')).toEqual(['A', 'B']);
  });
});
