import { storeOf, TableStore } from '../framework/store.js';
import type { ProviderRuntime } from '../framework/types.js';

/** The data provider's own table — the key-value pairs of every store — and every statement on it. */

export function dataMigrations(table: (name: string) => string): string[] {
  return [
    `CREATE TABLE ${table('kv')} (resource_id TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL,
     content_type TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (resource_id, key))`,
  ];
}

export interface KvEntry {
  key: string;
  content_type: string;
  value: Buffer;
}

/** The KV store of a mounted provider. */
export function kvStore(rt: ProviderRuntime): KvStore {
  return storeOf(rt.storage, KvStore);
}

export class KvStore extends TableStore {
  /** Keys of a store starting with `prefix`, in order, at most `limit`. */
  keys(resourceId: string, prefix: string, limit: number): string[] {
    const rows = this.sql(
      'SELECT key FROM {kv} WHERE resource_id = ? AND substr(key, 1, ?) = ? ORDER BY key LIMIT ?',
    ).all(resourceId, prefix.length, prefix, limit) as { key: string }[];
    return rows.map((row) => row.key);
  }

  get(resourceId: string, key: string): Omit<KvEntry, 'key'> | undefined {
    return this.sql('SELECT value, content_type FROM {kv} WHERE resource_id = ? AND key = ?').get(
      resourceId,
      key,
    ) as Omit<KvEntry, 'key'> | undefined;
  }

  /**
   * Stores a value unless that would make the store hold more than `maxKeys` keys (replacing a key always
   * fits); the check and the write are one unit. False when the store is full.
   */
  put(resourceId: string, entry: KvEntry, maxKeys: number, updatedAt: number): boolean {
    return this.transaction(() => {
      const exists = this.sql('SELECT 1 FROM {kv} WHERE resource_id = ? AND key = ?').get(
        resourceId,
        entry.key,
      );
      const { count } = this.sql('SELECT count(*) AS count FROM {kv} WHERE resource_id = ?').get(
        resourceId,
      ) as {
        count: number;
      };
      if (!exists && count >= maxKeys) return false;
      this.sql(
        'INSERT OR REPLACE INTO {kv} (resource_id, key, value, content_type, updated_at) VALUES (?, ?, ?, ?, ?)',
      ).run(resourceId, entry.key, entry.value, entry.content_type, updatedAt);
      return true;
    });
  }

  /** False when the store has no such key. */
  delete(resourceId: string, key: string): boolean {
    return this.sql('DELETE FROM {kv} WHERE resource_id = ? AND key = ?').run(resourceId, key).changes > 0;
  }

  /** Every entry of a store, by key (the export). */
  entries(resourceId: string): KvEntry[] {
    return this.sql('SELECT key, content_type, value FROM {kv} WHERE resource_id = ? ORDER BY key').all(
      resourceId,
    ) as KvEntry[];
  }

  deleteStore(resourceId: string): void {
    this.sql('DELETE FROM {kv} WHERE resource_id = ?').run(resourceId);
  }
}
