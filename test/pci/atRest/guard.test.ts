import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../../app/storage/db.ts';
import { testDb, truncateAll } from '../../harness/db.ts';

// The storage boundary itself (issue 12), against the real database: what each kind of column
// does with a card number, and the writes it refuses.

let db: Db;
beforeAll(() => {
  db = testDb();
});
afterAll(() => db.destroy());
beforeEach(() => truncateAll(db));

const VISA = '4111111111111111';

describe('the storage boundary', () => {
  it('masks free text, and cuts it to its column after masking', async () => {
    const [id] = await db('departments').insert({
      name: `${'x'.repeat(80)} ${VISA} cvv 123`,
      description: `call +${VISA}`,
    });
    const row = await db('departments').where({ id }).first('name', 'description');
    expect(row.name).toBe(`${'x'.repeat(80)} 411111••••••1111 cv`); // 100 characters
    expect(row.description).toBe('call +411111••••••1111');
    await db('departments')
      .where({ id })
      .update({ description: `now ${VISA}` });
    expect((await db('departments').where({ id }).first()).description).toBe(
      'now 411111••••••1111',
    );
  });

  it('masks inside JSON documents: strings, keys and card-shaped numbers', async () => {
    await db('settings').insert({
      key: 'test_setting',
      value: JSON.stringify({ note: `card ${VISA}`, [VISA]: 1, n: Number(VISA), ok: 12 }),
      updated_at: new Date(),
    });
    const value: { value: unknown } = await db('settings')
      .where({ key: 'test_setting' })
      .first('value');
    const parsed = (
      typeof value.value === 'string' ? JSON.parse(value.value) : value.value
    ) as Record<string, unknown>;
    expect(parsed).toEqual({
      note: 'card 411111••••••1111',
      '411111••••••1111': 1,
      n: '411111••••••1111',
      ok: 12,
    });
  });

  it('refuses identifiers and audit columns that hold a card number, and writes nothing', async () => {
    await expect(
      db('roles').insert({ name: `r${VISA}`, description: '', builtin: false }),
    ).rejects.toThrow(/refused to store a card number in roles\.name/);
    await expect(
      db('audit_events').insert({ id: 99, actor_label: VISA, hash: Buffer.alloc(32) }),
    ).rejects.toThrow(/audit_events\.actor_label/);
    expect(await db('roles').where('name', 'like', 'r4%')).toEqual([]);
  });

  it('refuses a raw INSERT or UPDATE binding a card number, and a card number in any other column', async () => {
    await expect(
      db.raw('UPDATE departments SET name = ? WHERE id = 0', [`x ${VISA}`]),
    ).rejects.toThrow(/a raw INSERT or UPDATE/);
    // A column the list does not know (a number given as a string is fine, a card number is not).
    const [id] = await db('departments').insert({
      name: 'ok',
      description: '',
      retention_days: '30',
    });
    expect((await db('departments').where({ id }).first()).retention_days).toBe(30);
    await expect(db('departments').where({ id }).update({ retention_days: VISA })).rejects.toThrow(
      /departments\.retention_days/,
    );
    // Reads and deletes are untouched.
    expect(await db('departments').where('name', VISA)).toEqual([]);
  });

  it('keeps chat text as typed only where a department chose so, still removing the code', async () => {
    const [id] = await db('departments')
      .insert({ name: 'Sales', description: `${VISA} cvv 123` })
      .queryContext({ keepCardNumbers: ['description'] });
    expect((await db('departments').where({ id }).first()).description).toBe(
      `${VISA} cvv [removed]`,
    );
  });

  it('leaves a visitor id alone when it is a UUID, and refuses one that is not', async () => {
    // One random UUID in ~50,000 has dash-joined digit groups that read as a card number.
    const lookalike = '22223333-4444-5555-aaaa-bbbbbbbbbbbb';
    await db('visitors').insert({ id: lookalike });
    expect(await db('visitors').pluck('id')).toEqual([lookalike]);
    await expect(db('visitors').insert({ id: VISA })).rejects.toThrow(
      /visitors\.id \(not a UUID\)/,
    );
  });
});
