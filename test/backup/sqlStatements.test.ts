import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StatementSplitter } from '../../backup/archive/sqlStatements.ts';

function split(text: string, cuts: number[] = []): string[] {
  const bytes = Buffer.from(text);
  const splitter = new StatementSplitter();
  const out: Buffer[] = [];
  let at = 0;
  const ends = [...cuts.map((c) => c % (bytes.length + 1)), bytes.length].sort((a, b) => a - b);
  for (const cut of ends) {
    out.push(...splitter.push(bytes.subarray(at, cut)));
    at = cut;
  }
  out.push(...splitter.end());
  return out.map((b) => b.toString('utf8'));
}

/** Escapes a string as mariadb-dump (mysql_real_escape_string) writes it. */
function escape(value: string): string {
  // eslint-disable-next-line no-control-regex -- NUL and ^Z are exactly what the dump escapes
  return value.replace(/[\\'"\n\r\0\x1a]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\0' ? '\\0' : c === '\x1a' ? '\\Z' : `\\${c}`,
  );
}

// Text that could fool a splitter: delimiters, quotes, backslashes, comment openers, non-ASCII.
const tricky = fc
  .array(fc.constantFrom(...'ab\'"`\\;#-/*!\n é€😀'), { maxLength: 30 })
  .map((chars) => chars.join(''));
const literal = fc.oneof(
  tricky.map((s) => `'${escape(s)}'`),
  tricky.map((s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`),
  fc.integer().map(String),
  fc.constant('NULL'),
);
const name = tricky.map((s) => `\`${s.replace(/[\n]/g, '').replace(/`/g, '``')}\``);
const statement = fc.oneof(
  fc
    .tuple(
      name,
      fc.array(fc.array(literal, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 4 }),
    )
    .map(
      ([t, rows]) => `INSERT INTO ${t} VALUES ${rows.map((r) => `(${r.join(',')})`).join(',\n')}`,
    ),
  name.map((t) => `CREATE TABLE ${t} (\n  \`id\` int NOT NULL COMMENT 'a;b'\n)`),
  fc.constant('/*!40101 SET NAMES utf8mb4 */'),
  fc.constant('/*M!100616 SET @OLD_NOTE_VERBOSITY=@@NOTE_VERBOSITY, NOTE_VERBOSITY=0 */'),
);

describe('StatementSplitter', () => {
  it('finds exactly the statements of a dump, however it is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(statement, fc.boolean()), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (statements, cuts) => {
          let text = '-- MariaDB dump 10.19\n--\n';
          for (const [s, withDelimiterBlock] of statements) {
            text += withDelimiterBlock ? `DELIMITER ;;\n${s} ;;\nDELIMITER ;\n` : `${s};\n`;
          }
          text += '\n-- Dump completed\n';
          expect(split(text, cuts)).toEqual(statements.map(([s]) => s));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('leaves out comments, keeps versioned comments, and needs no final delimiter', () => {
    const text = [
      '-- a comment; with a delimiter',
      '# another; one',
      '/* block; comment */ SELECT 1 /* inside; */ + 2;',
      "SELECT '-- not a comment', '/* nor this */', `#` -- trailing; comment",
      ';',
      '/*!40101 SET @a = 1 */;/*!40101 SET @b = 2 */ ;',
      'SELECT 3-- 4',
      '-- 5',
      ';',
      "SELECT 'last'",
    ].join('\n');
    const expected = [
      'SELECT 1   + 2',
      "SELECT '-- not a comment', '/* nor this */', `#`",
      '/*!40101 SET @a = 1 */',
      '/*!40101 SET @b = 2 */',
      'SELECT 3',
      "SELECT 'last'",
    ];
    expect(split(text).map((s) => s.replace(/\s+/g, ' '))).toEqual(
      expected.map((s) => s.replace(/\s+/g, ' ')),
    );
    for (let cut = 0; cut <= text.length; cut++) expect(split(text, [cut])).toEqual(split(text));
  });

  it('refuses a dump that ends inside a string or a comment', () => {
    expect(() => split("INSERT INTO t VALUES ('open")).toThrow(/inside a quoted string/);
    expect(() => split('SELECT 1 /* open')).toThrow(/inside a comment/);
  });
});
