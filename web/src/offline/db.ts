import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Item } from '../types';

/**
 * The tablet's own store (IndexedDB, through `idb`): take-away sets, their items with their
 * attributes as last seen (and this tablet's edits on top), the queue of edits not yet synced,
 * the conflicts the station reported, and small facts (device id, clock, cursor). Media live in
 * the Cache API (media-cache.ts); the service worker serves them from there.
 */

import type { SetLevel } from './levels';

export type { SetLevel };

export interface TakeawaySet {
  id: string;
  name: string;
  /** The gallery filter as a query string, or '' with `ids`. */
  query: string;
  ids?: string[];
  level: SetLevel;
  /** The manifest's etag the items are from. */
  etag: string;
  count: number;
  /** Items whose media are all here. */
  done: number;
  /** Bytes downloaded for it (media). */
  bytes: number;
  state: 'downloading' | 'ready' | 'partial';
  problem?: string;
  createdAt: number;
  updatedAt: number;
}

export interface OfflineItem {
  id: string;
  record: Item;
  /** The sets holding it. */
  sets: string[];
  /** Deleted at the station since. */
  gone?: boolean;
}

/** An edit made here, not yet acknowledged by the station. */
export interface QueuedOp {
  hlc: string;
  item: string;
  field: string;
  value: unknown;
  base: unknown;
  resolves?: string;
  createdAt: number;
}

export interface Conflict {
  id: string;
  item: string;
  field: string;
  device: string;
  deviceValue: unknown;
  otherValue: unknown;
  base: unknown;
  winner: 'device' | 'other';
  createdAt: string;
  resolvedAt: string | null;
  resolution: 'kept' | 'took-other' | null;
}

/** An edit the station refused (the tablet keeps the message for the person). */
export interface RefusedEdit {
  hlc: string;
  item: string;
  field: string;
  value: unknown;
  message: string;
  at: number;
}

interface Schema extends DBSchema {
  sets: { key: string; value: TakeawaySet };
  items: { key: string; value: OfflineItem; indexes: { bySet: string } };
  ops: { key: string; value: QueuedOp };
  conflicts: { key: string; value: Conflict };
  refused: { key: string; value: RefusedEdit };
  meta: { key: string; value: unknown };
}

export type OfflineDb = IDBPDatabase<Schema>;

let opening: Promise<OfflineDb> | undefined;

/** The store, opened once per page. */
export function offlineDb(): Promise<OfflineDb> {
  opening ??= openDB<Schema>('outpost-offline', 1, {
    upgrade(db) {
      db.createObjectStore('sets', { keyPath: 'id' });
      const items = db.createObjectStore('items', { keyPath: 'id' });
      items.createIndex('bySet', 'sets', { multiEntry: true });
      db.createObjectStore('ops', { keyPath: 'hlc' });
      db.createObjectStore('conflicts', { keyPath: 'id' });
      db.createObjectStore('refused', { keyPath: 'hlc' });
      db.createObjectStore('meta');
    },
  }).catch((e: unknown) => {
    opening = undefined;
    throw e;
  });
  return opening;
}

export async function getMeta<T>(key: string): Promise<T | undefined> {
  return (await (await offlineDb()).get('meta', key)) as T | undefined;
}

export async function setMeta(key: string, value: unknown): Promise<void> {
  await (await offlineDb()).put('meta', value, key);
}
