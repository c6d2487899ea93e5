/**
 * The durable Store: all records live in memory (one key trie per collection, so prefix lookups
 * touch only their own subtree) and every committed transaction is appended as one line to a
 * journal file before `transaction()` resolves, so a killed process loses nothing it answered. The
 * flush to disk follows within `flushDelayMs`, as LINSTOR's default H2 database flushes its log
 * within its write delay; `flushEachCommit` waits for the disk instead. When the journal grows past
 * a limit the whole state is written to a snapshot (temp file, fsync, rename, fsync directory) and a
 * new journal generation starts. At startup the snapshot is loaded and its journal replayed; a torn last line
 * (a write cut short by SIGKILL) is dropped and cut off, so a crash at any moment leaves a state
 * that opens: every transaction is either fully there or absent.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdir, open, readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { copyRecord } from './copy';
import { type FlushMode, JournalFile } from './journal-file';
import {
  completeLines,
  decode,
  encode,
  fsyncDirectory,
  type JournalOp,
  journalName,
  removeStaleFiles,
  SNAPSHOT_FILE,
  SNAPSHOT_TEMP,
  type SnapshotHeader,
} from './journal-format';
import { changeId, type ReadSet, type SecondaryIndex, TrieNode, type TxState } from './journal-trie';
import type { Store, StoreKey, StoreReads, StoreWatcher } from './store';

const DEFAULT_COMPACT_BYTES = 16 * 1024 * 1024;
/**
 * H2's default write delay (`SET WRITE_DELAY`, 500 ms), which the controller keeps: its JDBC URL
 * sets no other (linstor-server `H2DatabaseInfo.jdbcUrl`).
 */
const DEFAULT_FLUSH_DELAY_MS = 500;

export interface JournalStoreOptions {
  /** Journal size (bytes) after which the next commit writes a snapshot and starts a new journal. */
  compactAfterBytes?: number;
  /**
   * Wait for the disk before a commit resolves (a controller on a database that syncs every
   * commit). Default: the journal line is written before the commit resolves and flushed to disk
   * within `flushDelayMs`, which survives a killed process but not a power cut, like the
   * controller's default H2 database.
   */
  flushEachCommit?: boolean;
  /** Longest time a written commit waits for its flush to disk (default 500 ms, H2's write delay). */
  flushDelayMs?: number;
}

/**
 * Called when a transaction's function has returned and before its journal line is written (the
 * moment a crash loses the transaction). Throwing fails the commit: the transaction rolls back as
 * if the process had died there. For crash tests only.
 */
export type BeforeCommitHook = () => void | Promise<void>;

/**
 * Opens (or creates) the store kept in `dir`. The directory holds `snapshot.json` and
 * `journal-<generation>.log`; nothing else of the emulator should be written there.
 */
export async function openJournalStore(
  dir: string,
  options: JournalStoreOptions = {},
): Promise<JournalStore> {
  await mkdir(dir, { recursive: true });
  const store = new JournalStore(dir, options.compactAfterBytes ?? DEFAULT_COMPACT_BYTES, {
    flushEachCommit: options.flushEachCommit ?? false,
    flushDelayMs: options.flushDelayMs ?? DEFAULT_FLUSH_DELAY_MS,
  });
  await store.load();
  return store;
}

/** The journal + snapshot implementation of {@link Store}; create it with {@link openJournalStore}. */
export class JournalStore implements Store {
  private readonly collections = new Map<string, TrieNode>();
  /** Watchers by collection (see Store.watch). */
  private readonly watchers = new Map<string, StoreWatcher[]>();
  /** Secondary indexes by collection, then by name. */
  private readonly indexes = new Map<string, Map<string, SecondaryIndex>>();
  private readonly txContext = new AsyncLocalStorage<TxState>();
  private queue: Promise<unknown> = Promise.resolve();
  private journal: JournalFile | undefined;
  private generation = 0;
  private closed = false;
  /** Change clock: every change of a record stamps the trie nodes on its path with the next value. */
  private clock = 0;
  /** Stands for the set of collections: stamped when a collection appears or disappears. */
  private readonly collectionsNode = new TrieNode();
  /** The read sets of the trackReads calls running (innermost last). */
  private readonly trackers: ReadSet[] = [];
  /** See {@link BeforeCommitHook}; tests set it. */
  beforeCommitHook: BeforeCommitHook | undefined;

  /** @internal use {@link openJournalStore}. */
  constructor(
    private readonly dir: string,
    private readonly compactAfterBytes: number,
    private readonly flush: FlushMode,
  ) {}

  /** Loads the snapshot and replays its journal; cuts off a torn last line. */
  async load(): Promise<void> {
    try {
      // The snapshot only becomes visible by rename after its fsync, so all its lines are complete.
      const { lines } = completeLines(await readFile(join(this.dir, SNAPSHOT_FILE)));
      const header = decode(lines[0] ?? '') as SnapshotHeader;
      this.generation = header.generation;
      for (let i = 1; i < lines.length; i++) {
        const [collection, key, value] = decode(lines[i]!) as [string, string[], unknown];
        this.setRaw(collection, key, true, value);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const journalPath = join(this.dir, journalName(this.generation));
    let validBytes = 0;
    try {
      // A last line without newline is a commit whose write was cut short: it never committed.
      const journal = completeLines(await readFile(journalPath));
      for (const line of journal.lines) {
        for (const op of decode(line) as JournalOp[]) {
          if (op.length === 3) this.setRaw(op[0], op[1], true, op[2]);
          else this.setRaw(op[0], op[1], false, undefined);
        }
      }
      validBytes = journal.validBytes;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const existed = validBytes > 0 || (await stat(journalPath).catch(() => undefined)) !== undefined;
    this.journal = await JournalFile.open(journalPath, this.flush, { bytes: validBytes });
    // A new journal's directory entry must be durable too, or its commits could vanish with it.
    if (!existed) await fsyncDirectory(this.dir);
    if ((await this.journal.size()) !== validBytes) await this.journal.truncate(validBytes);
    await removeStaleFiles(this.dir, this.generation);
  }

  /** Records handed out by get/list so far (tests use it to prove that lookups do not scan). */
  recordsRead = 0;

  get<T>(collection: string, key: StoreKey): T | undefined {
    const node = this.findRead(collection, key);
    if (!node?.has) return undefined;
    this.recordsRead++;
    return copyRecord(node.value as T);
  }

  list<T>(collection: string, prefix: StoreKey = []): T[] {
    const start = this.findRead(collection, prefix);
    const out: T[] = [];
    if (!start) return out;
    const walk = (node: TrieNode) => {
      if (node.has) out.push(copyRecord(node.value as T));
      if (node.children) for (const child of node.children.values()) walk(child);
    };
    walk(start);
    this.recordsRead += out.length;
    return out;
  }

  count(collection: string, prefix: StoreKey = []): number {
    return this.findRead(collection, prefix)?.size ?? 0;
  }

  trackReads<R>(fn: () => R): { value: R; reads: StoreReads } {
    const reads: ReadSet = new Map();
    this.trackers.push(reads);
    let value: R;
    try {
      value = fn();
    } finally {
      this.trackers.pop();
    }
    this.noteReads(reads);
    return { value, reads };
  }

  noteReads(reads: StoreReads): void {
    const outer = this.trackers.at(-1);
    if (outer) for (const [node, version] of reads as ReadSet) outer.set(node, version);
  }

  noteRead(collection: string, key: StoreKey): void {
    if (this.trackers.length > 0) this.findRead(collection, key);
  }

  readsCurrent(reads: StoreReads): boolean {
    for (const [node, version] of reads as ReadSet) if (node.version !== version) return false;
    return true;
  }

  defineIndex(collection: string, name: string, terms: (record: unknown) => readonly string[]): void {
    const index: SecondaryIndex = { terms, byTerm: new Map() };
    const root = this.collections.get(collection);
    if (root) {
      const walk = (node: TrieNode, path: string[]) => {
        if (node.has) this.indexAdd(index, path, node.value);
        if (node.children) for (const [segment, child] of node.children) walk(child, [...path, segment]);
      };
      walk(root, []);
    }
    let byName = this.indexes.get(collection);
    if (!byName) {
      byName = new Map();
      this.indexes.set(collection, byName);
    }
    byName.set(name, index);
  }

  watch(collection: string, onChange: StoreWatcher): void {
    const root = this.collections.get(collection);
    if (root) {
      const walk = (node: TrieNode, path: string[]) => {
        if (node.has) onChange(path, undefined, node.value);
        if (node.children) for (const [segment, child] of node.children) walk(child, [...path, segment]);
      };
      walk(root, []);
    }
    const list = this.watchers.get(collection);
    if (list) list.push(onChange);
    else this.watchers.set(collection, [onChange]);
  }

  indexedKeys(collection: string, name: string, term: string): StoreKey[] {
    const index = this.indexes.get(collection)?.get(name);
    if (!index) throw new Error(`no index '${name}' on the store collection '${collection}'`);
    // An index answer may change with any record of the collection.
    this.noteRead(collection, []);
    return [...(index.byTerm.get(term)?.values() ?? [])];
  }

  put<T>(collection: string, key: StoreKey, value: T): void {
    const tx = this.activeTx('put');
    this.remember(tx, collection, key);
    this.setRaw(collection, key, true, structuredClone(value));
  }

  delete(collection: string, key: StoreKey): void {
    const tx = this.activeTx('delete');
    if (!this.find(collection, key)?.has) return;
    this.remember(tx, collection, key);
    this.setRaw(collection, key, false, undefined);
  }

  afterCommit(fn: () => void): void {
    this.activeTx('afterCommit').afterCommit.push(fn);
  }

  onRollback(fn: () => void): void {
    this.activeTx('onRollback').onRollback.push(fn);
  }

  read<R>(fn: () => R | Promise<R>): Promise<R> {
    const current = this.txContext.getStore();
    if (current && !current.finished) return Promise.resolve().then(fn);
    // Queued like a transaction: it runs when the running one has committed or rolled back.
    return this.enqueue(async () => fn());
  }

  transaction<R>(fn: () => R | Promise<R>): Promise<R> {
    const current = this.txContext.getStore();
    // Started from inside a running transaction: join it (its commit or rollback covers us).
    if (current && !current.finished) return Promise.resolve().then(fn);
    return this.enqueue(() => this.runTransaction(fn));
  }

  /**
   * Runs `fn` as its own transaction even when called from inside another one: it is queued behind
   * the running transaction instead of joining it, so it commits even if that one rolls back (used
   * for error reports about a failed request). Do not await it from inside a transaction.
   */
  independentTransaction<R>(fn: () => R | Promise<R>): Promise<R> {
    return this.txContext.exit(() => this.enqueue(() => this.runTransaction(fn)));
  }

  async clear(): Promise<void> {
    await this.enqueue(async () => {
      // Every node goes: stamp them, so that reads recorded before the reset are out of date.
      const version = ++this.clock;
      const stamp = (node: TrieNode) => {
        node.version = version;
        if (node.children) for (const child of node.children.values()) stamp(child);
      };
      for (const root of this.collections.values()) stamp(root);
      this.collectionsNode.version = version;
      for (const [collection, watchers] of this.watchers) {
        const root = this.collections.get(collection);
        const walk = (node: TrieNode, path: string[]) => {
          if (node.has) for (const onChange of watchers) onChange(path, node.value, undefined);
          if (node.children) for (const [segment, child] of node.children) walk(child, [...path, segment]);
        };
        if (root) walk(root, []);
      }
      this.collections.clear();
      for (const byName of this.indexes.values()) for (const index of byName.values()) index.byTerm.clear();
      await this.compact();
    });
  }

  async close(): Promise<void> {
    await this.enqueue(async () => {
      this.closed = true;
      await this.journal?.close();
      this.journal = undefined;
    });
  }

  /** Writes a snapshot of the current state now and starts a new journal (normally automatic). */
  async compactNow(): Promise<void> {
    await this.enqueue(() => this.compact());
  }

  private enqueue<R>(job: () => Promise<R>): Promise<R> {
    const run = this.queue.then(() => {
      if (this.closed) throw new Error('the emulator store is closed');
      return job();
    });
    // The queue itself never rejects, so one failed transaction does not block the next.
    this.queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async runTransaction<R>(fn: () => R | Promise<R>): Promise<R> {
    const tx: TxState = { changes: new Map(), finished: false, afterCommit: [], onRollback: [] };
    let result: R;
    try {
      result = await this.txContext.run(tx, fn);
    } catch (e) {
      tx.finished = true;
      this.rollback(tx);
      throw e;
    }
    tx.finished = true;
    if (tx.changes.size === 0) {
      this.runAfterCommit(tx);
      return result;
    }
    try {
      if (this.beforeCommitHook) await this.beforeCommitHook();
      await this.commit(tx);
    } catch (e) {
      this.rollback(tx);
      // Cut off whatever part of the line reached the file, so the next commit starts clean.
      const journal = this.journal;
      await journal?.truncate(journal.bytes).catch(() => undefined);
      throw e;
    }
    // Durable now: what had to wait for the commit (file deletions) may run.
    this.runAfterCommit(tx);
    if ((this.journal?.bytes ?? 0) >= this.compactAfterBytes) {
      // The transaction is committed whatever happens here; a failed compaction is retried after
      // the next commit (the journal keeps everything meanwhile).
      await this.compact().catch(() => undefined);
    }
    return result;
  }

  private async commit(tx: TxState): Promise<void> {
    const ops: JournalOp[] = [];
    for (const change of tx.changes.values()) {
      const node = this.find(change.collection, change.key);
      if (node?.has) ops.push([change.collection, change.key, node.value]);
      else if (change.before.has) ops.push([change.collection, change.key]);
    }
    if (ops.length === 0) return;
    const journal = this.journal;
    if (!journal) throw new Error('the emulator store is closed');
    await journal.append(Buffer.from(`${encode(ops)}\n`, 'utf8'));
  }

  private rollback(tx: TxState): void {
    for (const change of tx.changes.values()) {
      this.setRaw(change.collection, change.key, change.before.has, change.before.value);
    }
    tx.changes.clear();
    tx.afterCommit = [];
    const undo = tx.onRollback.reverse();
    tx.onRollback = [];
    for (const fn of undo) {
      try {
        fn();
      } catch {
        // best effort: the startup reconcile removes whatever is left
      }
    }
  }

  private runAfterCommit(tx: TxState): void {
    const callbacks = tx.afterCommit;
    tx.afterCommit = [];
    tx.onRollback = [];
    for (const fn of callbacks) {
      try {
        fn();
      } catch {
        // the transaction is committed; a leftover file is an orphan for the startup reconcile
      }
    }
  }

  /** Snapshot of the whole state under the next generation, then a fresh journal for it. */
  private async compact(): Promise<void> {
    const nextGeneration = this.generation + 1;
    const lines: string[] = [encode({ generation: nextGeneration } satisfies SnapshotHeader)];
    for (const [name, root] of this.collections) {
      const walk = (node: TrieNode, path: string[]) => {
        if (node.has) lines.push(encode([name, path, node.value]));
        if (node.children) for (const [segment, child] of node.children) walk(child, [...path, segment]);
      };
      walk(root, []);
    }
    const tempPath = join(this.dir, SNAPSHOT_TEMP);
    const temp = await open(tempPath, 'w');
    try {
      await temp.writeFile(`${lines.join('\n')}\n`, 'utf8');
      await temp.sync();
    } finally {
      await temp.close();
    }
    // Create the new journal before the snapshot that names it becomes visible.
    const nextJournal = await JournalFile.open(
      join(this.dir, journalName(nextGeneration)),
      this.flush,
      'empty',
    );
    try {
      await nextJournal.sync();
      await rename(tempPath, join(this.dir, SNAPSHOT_FILE));
    } catch (e) {
      await nextJournal.close();
      throw e;
    }
    // The snapshot naming the new generation is visible now: from here on only its journal counts.
    const previous = this.journal;
    this.journal = nextJournal;
    this.generation = nextGeneration;
    await previous?.close();
    await fsyncDirectory(this.dir);
    await removeStaleFiles(this.dir, this.generation);
  }

  private activeTx(op: string): TxState {
    const tx = this.txContext.getStore();
    if (!tx || tx.finished) throw new Error(`store.${op} called outside a transaction`);
    return tx;
  }

  private remember(tx: TxState, collection: string, key: StoreKey): void {
    const id = changeId(collection, key);
    if (tx.changes.has(id)) return;
    const node = this.find(collection, key);
    tx.changes.set(id, {
      collection,
      key: [...key],
      before: { has: node?.has ?? false, value: node?.value },
    });
  }

  /**
   * `find` for the reading methods: while trackReads runs, it records the node at `key`, or the
   * deepest node on the way when the key is absent (creating the key changes that one).
   */
  private findRead(collection: string, key: StoreKey): TrieNode | undefined {
    if (this.trackers.length === 0) return this.find(collection, key);
    const tracker = this.trackers.at(-1)!;
    let node = this.collections.get(collection);
    let deepest = node ?? this.collectionsNode;
    for (const segment of key) {
      if (!node) break;
      node = node.children?.get(segment);
      if (node) deepest = node;
    }
    tracker.set(deepest, deepest.version);
    return node;
  }

  private find(collection: string, key: StoreKey): TrieNode | undefined {
    let node = this.collections.get(collection);
    for (const segment of key) {
      if (!node) return undefined;
      node = node.children?.get(segment);
    }
    return node;
  }

  /**
   * Sets or removes the record at `key`, keeping subtree sizes right, stamping the path with the
   * next clock value and pruning empty branches.
   */
  private setRaw(collection: string, key: StoreKey, has: boolean, value: unknown): void {
    let root = this.collections.get(collection);
    if (!root) {
      if (!has) return;
      root = new TrieNode();
      this.collections.set(collection, root);
      this.collectionsNode.version = this.clock + 1;
    }
    const path: TrieNode[] = [root];
    let node = root;
    for (const segment of key) {
      let child = node.children?.get(segment);
      if (!child) {
        if (!has) return;
        child = new TrieNode();
        if (!node.children) node.children = new Map();
        node.children.set(segment, child);
      }
      node = child;
      path.push(node);
    }
    const indexes = this.indexes.get(collection);
    if (indexes) {
      for (const index of indexes.values()) {
        if (node.has) this.indexRemove(index, key, node.value);
        if (has) this.indexAdd(index, key, value);
      }
    }
    const watchers = this.watchers.get(collection);
    if (watchers)
      for (const onChange of watchers)
        onChange(key, node.has ? node.value : undefined, has ? value : undefined);
    const version = ++this.clock;
    const delta = (has ? 1 : 0) - (node.has ? 1 : 0);
    node.has = has;
    node.value = has ? value : undefined;
    for (const n of path) {
      n.size += delta;
      n.version = version;
    }
    if (!has) {
      for (let i = key.length; i > 0; i--) {
        const n = path[i]!;
        if (n.size > 0) break;
        path[i - 1]!.children?.delete(key[i - 1]!);
      }
      if (root.size === 0) {
        this.collections.delete(collection);
        this.collectionsNode.version = version;
      }
    }
  }

  private indexAdd(index: SecondaryIndex, key: StoreKey, value: unknown): void {
    const id = key.join('\u0000');
    for (const term of index.terms(value)) {
      let keys = index.byTerm.get(term);
      if (!keys) {
        keys = new Map();
        index.byTerm.set(term, keys);
      }
      keys.set(id, [...key]);
    }
  }

  private indexRemove(index: SecondaryIndex, key: StoreKey, value: unknown): void {
    const id = key.join('\u0000');
    for (const term of index.terms(value)) {
      const keys = index.byTerm.get(term);
      if (!keys) continue;
      keys.delete(id);
      if (keys.size === 0) index.byTerm.delete(term);
    }
  }

  /** Bytes in the current journal (for tests and diagnostics). */
  get journalSize(): number {
    return this.journal?.bytes ?? 0;
  }

  /** Size of the snapshot file, or 0 when none exists yet. */
  async snapshotSize(): Promise<number> {
    try {
      return (await stat(join(this.dir, SNAPSHOT_FILE))).size;
    } catch {
      return 0;
    }
  }
}
