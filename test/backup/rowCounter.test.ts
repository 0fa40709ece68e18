import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RowCounter } from '../../backup/archive/rowCounter.ts';

/** Escapes a string as mariadb-dump (mysql_real_escape_string) writes it. */
function escape(value: string): string {
  // eslint-disable-next-line no-control-regex -- NUL and ^Z are exactly what the dump escapes
  return value.replace(/[\\'"\n\r\0\x1a]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\0' ? '\\0' : c === '\x1a' ? '\\Z' : `\\${c}`,
  );
}

// Strings full of what could fool a counter: quotes, backslashes, parentheses, `;`, `),(`.
const tricky = fc.stringMatching(/^[a-z'"\\();,\n ]{0,40}$/);
const table = fc.record({
  name: fc.stringMatching(/^[a-z_]{1,12}$/),
  rows: fc.array(fc.tuple(fc.integer(), tricky, fc.option(tricky)), { maxLength: 30 }),
});

function dump(tables: { name: string; rows: [number, string, string | null][] }[]): string {
  let text = '-- MariaDB dump\n/*!40101 SET NAMES utf8mb4 */;\n';
  for (const t of tables) {
    text += `CREATE TABLE \`${t.name}\` (\n  \`id\` int NOT NULL\n);\n`;
    text += `/*!40000 ALTER TABLE \`${t.name}\` DISABLE KEYS */;\n`;
    if (t.rows.length > 0) {
      const values = t.rows.map(
        ([id, a, b]) => `(${id},'${escape(a)}',${b === null ? 'NULL' : `'${escape(b)}'`})`,
      );
      text += `INSERT INTO \`${t.name}\` VALUES ${values.join(',')};\n`;
    }
  }
  return text;
}

function count(text: string, cuts: number[]): Record<string, number> {
  const bytes = Buffer.from(text);
  const counter = new RowCounter();
  let at = 0;
  for (const cut of [...cuts.map((c) => c % (bytes.length + 1)), bytes.length].sort(
    (a, b) => a - b,
  )) {
    counter.push(bytes.subarray(at, cut));
    at = cut;
  }
  return counter.counts;
}

describe('RowCounter', () => {
  it('counts every row of every table, however the dump is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(table, { selector: (t) => t.name, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (tables, cuts) => {
          const expected = Object.fromEntries(tables.map((t) => [t.name, t.rows.length]));
          expect(count(dump(tables), cuts)).toEqual(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('is not fooled by a string that ends in backslashes right at a chunk boundary', () => {
    const text = dump([
      {
        name: 't',
        rows: [
          [1, 'a\\', null],
          [2, "\\'),(", 'x\\\\'],
        ],
      },
    ]);
    for (let cut = 0; cut <= text.length; cut++) {
      expect(count(text, [cut])).toEqual({ t: 2 });
    }
  });
});
