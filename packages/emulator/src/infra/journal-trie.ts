/**
 * The journal store's in-memory shapes: the key trie of a collection, what a tracked read
 * depended on, secondary indexes, and a running transaction's pending changes.
 */
import type { StoreKey } from './store';

/**
 * A node of a collection's key trie; `size` counts the records in this subtree (for O(depth)
 * counts); `version` is the store's change clock at the last change anywhere in the subtree (for
 * trackReads/readsCurrent).
 */
export class TrieNode {
  has = false;
  value: unknown = undefined;
  size = 0;
  version = 0;
  children: Map<string, TrieNode> | undefined;
}

/** What trackReads records: each trie node a read depended on, with its version then. */
export type ReadSet = Map<TrieNode, number>;

/** A secondary index (see Store.defineIndex): term → the keys (by joined id) of the records under it. */
export interface SecondaryIndex {
  terms: (record: unknown) => readonly string[];
  byTerm: Map<string, Map<string, StoreKey>>;
}

export interface PendingChange {
  collection: string;
  key: string[];
  /** The value before the transaction touched the key (for rollback). */
  before: { has: boolean; value: unknown };
}

export interface TxState {
  changes: Map<string, PendingChange>;
  finished: boolean;
  /** Run after a durable commit, in order (see Store.afterCommit). */
  afterCommit: (() => void)[];
  /** Run on rollback, in reverse order (see Store.onRollback). */
  onRollback: (() => void)[];
}

/** The key of a pending change: collection and record key in one string. */
export function changeId(collection: string, key: StoreKey): string {
  return `${collection}\u0000${key.join('\u0000')}`;
}
