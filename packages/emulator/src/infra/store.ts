/**
 * The emulator's durable state: named collections of JSON records under tuple keys
 * (e.g. resources under [rdKey, nodeKey]), changed only inside transactions. A transaction is
 * either fully on disk or absent after a crash (journal + snapshot, see infra/journal-store.ts).
 */
export type StoreKey = readonly string[];

/** See {@link Store.watch}. */
export type StoreWatcher = (key: StoreKey, before: unknown, after: unknown) => void;

/** What {@link Store.trackReads} recorded: the state a computation read (opaque). */
export type StoreReads = ReadonlyMap<unknown, number>;

export interface Store {
  /**
   * The record at `key`, or undefined. Records are plain JSON values (bigints allowed). Returns a
   * copy: change it and `put` it back to modify the record.
   */
  get<T>(collection: string, key: StoreKey): T | undefined;
  /**
   * Copies of the records whose key starts with `prefix` (all records for an empty prefix), without
   * scanning other prefixes. Ordered by key-segment insertion order (first key segment first).
   */
  list<T>(collection: string, prefix?: StoreKey): T[];
  /** Number of records under `prefix`. */
  count(collection: string, prefix?: StoreKey): number;
  /**
   * Runs `fn` (synchronous) and returns its value with what it read: every get, list, count and
   * indexedKeys, including absent keys. `readsCurrent` later says whether any of it changed since,
   * so a value derived only from the store can be reused while it is current (views cache their
   * JSON this way). Nested calls: the inner reads count for the outer call too.
   */
  trackReads<R>(fn: () => R): { value: R; reads: StoreReads };
  /** Adds reads recorded earlier (a memoised value's) to the running `trackReads`, if any. */
  noteReads(reads: StoreReads): void;
  /** Records a read of `key` for the running `trackReads` without reading the record (a caller already has it). */
  noteRead(collection: string, key: StoreKey): void;
  /**
   * False when anything `reads` recorded may have changed since (a put, delete, rollback or clear
   * under a key read or listed; changes elsewhere may also count, never the other way round).
   */
  readsCurrent(reads: StoreReads): boolean;
  /**
   * Declares the secondary index `name` over `collection`: `terms(record)` lists the terms under
   * which a record is found. It is built at once from the records present and then kept in step with
   * every change of the in-memory records (put, delete, a rollback restoring them, `clear`), so like
   * `get` and `list` it sees the running transaction's changes and loses them with its rollback.
   * Declaring a name again replaces that index.
   */
  defineIndex(collection: string, name: string, terms: (record: unknown) => readonly string[]): void;
  /**
   * Keys of the records of `collection` that the index `name` lists under `term`, in no particular
   * order (reads no record). Throws when the index was never declared.
   */
  indexedKeys(collection: string, name: string, term: string): StoreKey[];
  /**
   * Calls `onChange(key, before, after)` for every later change of a record of `collection` (put,
   * delete, a rollback restoring it, `clear`; an absent side is undefined), and at once for every
   * record present (before undefined), so that a watcher can keep a derived figure in step with the
   * records as an index is. The values are the store's own: read them, never change or keep them.
   * `onChange` must not throw nor use the store.
   */
  watch(collection: string, onChange: StoreWatcher): void;
  /** Inserts or replaces a record; only allowed inside `transaction`. */
  put<T>(collection: string, key: StoreKey, value: T): void;
  /** Removes a record (no-op when absent); only allowed inside `transaction`. */
  delete(collection: string, key: StoreKey): void;
  /**
   * Runs `fn`; if it returns (or its promise resolves), every put/delete it made is committed to disk
   * (fsync) before this returns; if it throws, the in-memory state is rolled back and nothing is written.
   * Transactions are serialised: a second one waits for the first. A transaction started while one is
   * running in the same async context joins it (re-entrant): only the outermost one commits. Work
   * that a transaction starts in the background (a timer) and that may run while it is still open
   * must use `independentTransaction`, or it would join the running one.
   */
  transaction<R>(fn: () => R | Promise<R>): Promise<R>;
  /**
   * Like `transaction`, but never joins a running transaction: it is queued behind it and commits on
   * its own (so a record written while a request fails, e.g. its error report, survives the
   * request's rollback). Never await it from inside a transaction: that would wait for itself.
   */
  independentTransaction<R>(fn: () => R | Promise<R>): Promise<R>;
  /**
   * Registers `fn` to run once the running transaction has committed durably (after its fsync),
   * in registration order; dropped if the transaction rolls back. A joined (nested) transaction
   * registers with the outer one. Used for what cannot be undone, such as deleting data files:
   * deleting them only after the commit means a crash leaves orphans (removed by the startup
   * reconcile), never committed records without their data. Errors thrown by `fn` are ignored (the
   * transaction is committed). Only allowed inside `transaction`.
   */
  afterCommit(fn: () => void): void;
  /**
   * Registers `fn` to run if the running transaction rolls back (after its records are restored),
   * in reverse registration order; dropped on commit. Used to undo file creations. Errors thrown by
   * `fn` are ignored. Only allowed inside `transaction`.
   */
  onRollback(fn: () => void): void;
  /**
   * Runs `fn` (which only reads) on committed state: outside a transaction it waits until the
   * running transaction (if any) has committed or rolled back, so it never sees changes that a
   * rollback could still undo; inside a transaction it runs at once (a transaction sees its own
   * changes). `fn` must not start a transaction.
   */
  read<R>(fn: () => R | Promise<R>): Promise<R>;
  /** Drops all state (test control API `reset`). */
  clear(): Promise<void>;
  close(): Promise<void>;
}
