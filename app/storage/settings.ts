import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export interface SettingRow {
  key: string;
  value: unknown;
  updated_by: number | null;
  updated_at: Date;
}

/** Settings admins change at run time: one JSON document per key; an absent key means the defaults. */
export function settingsRepo(store: Store) {
  const db = knexOf(store);
  return {
    async get(key: string): Promise<unknown> {
      const row = await db<SettingRow>('settings').where({ key }).first('value');
      if (!row) return undefined;
      return typeof row.value === 'string' ? (JSON.parse(row.value) as unknown) : row.value;
    },
    put: (key: string, value: unknown, updatedBy: number | null) =>
      db('settings')
        .insert({
          key,
          value: JSON.stringify(value),
          updated_by: updatedBy,
          updated_at: new Date(),
        })
        .onConflict('key')
        .merge(['value', 'updated_by', 'updated_at']),
  };
}
