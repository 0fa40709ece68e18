/**
 * Counts the rows in a mariadb-dump stream as it passes, per table, so the manifest's counts are
 * those of the dump's own consistent snapshot. It follows `INSERT INTO `t` VALUES (..),(..);`
 * statements (rows may sit on lines of their own): a row starts at each `(` at depth 0 outside a
 * quoted string; the dump escapes newlines inside strings.
 */
export class RowCounter {
  // No prototype: a table may be called `constructor` or `__proto__`.
  readonly counts: Record<string, number> = Object.create(null) as Record<string, number>;
  private line: number[] = []; // the start of the current line, until the table name is known
  private inInsert = false;
  private table = '';
  private atLineStart = true;
  private quote = 0;
  private escaped = false;
  private depth = 0;

  // A CREATE TABLE registers the table, so empty tables are counted as 0.
  private static readonly CREATE = 'CREATE TABLE `';
  private static readonly INSERT = 'INSERT INTO `';

  push(chunk: Uint8Array): void {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.inInsert) {
        i = this.scanInsert(chunk, i);
        continue;
      }
      const c = chunk[i++]!;
      if (this.atLineStart || this.line.length > 0) {
        if (c === 10) {
          this.line = [];
          this.atLineStart = true;
          continue;
        }
        this.line.push(c);
        this.atLineStart = false;
        this.header();
        continue;
      }
      if (c === 10) this.atLineStart = true;
      else {
        // Skip to the end of this line in one search.
        const end = chunk.indexOf(10, i);
        if (end < 0) i = n;
        else {
          i = end + 1;
          this.atLineStart = true;
        }
      }
    }
  }

  /**
   * The hot loop: rows inside an INSERT statement, with its state in locals. Most bytes are
   * inside quoted strings, so the end of a string is found with indexOf (memchr) rather than
   * byte by byte; a quote preceded by an odd run of backslashes is escaped.
   */
  private scanInsert(chunk: Uint8Array, start: number): number {
    let quote = this.quote;
    let escaped = this.escaped;
    let depth = this.depth;
    let rows = 0;
    let i = start;
    const n = chunk.length;
    while (i < n) {
      if (quote !== 0) {
        if (escaped) {
          escaped = false;
          i++;
          continue;
        }
        const end = chunk.indexOf(quote, i);
        if (end < 0) {
          escaped = backslashesBefore(chunk, n, i) % 2 === 1;
          i = n;
          break;
        }
        if (backslashesBefore(chunk, end, i) % 2 === 0) quote = 0;
        i = end + 1;
        continue;
      }
      const c = chunk[i++]!;
      if (c === 39 || c === 34) quote = c;
      else if (c === 40) {
        if (depth === 0) rows++;
        depth++;
      } else if (c === 41) depth--;
      else if (c === 59 && depth === 0) {
        this.inInsert = false; // `;` ends the statement
        break;
      }
    }
    this.quote = quote;
    this.escaped = escaped;
    this.depth = depth;
    this.counts[this.table] = (this.counts[this.table] ?? 0) + rows;
    return i;
  }

  /** Reads a line's start until it knows whether an INSERT or CREATE TABLE begins there. */
  private header(): void {
    const text = String.fromCharCode(...this.line);
    for (const prefix of [RowCounter.INSERT, RowCounter.CREATE]) {
      if (text.length < prefix.length) {
        if (prefix.startsWith(text)) return;
        continue;
      }
      if (!text.startsWith(prefix)) continue;
      const end = text.indexOf('`', prefix.length);
      if (end < 0) {
        if (text.length > 200) break;
        return;
      }
      const table = text.slice(prefix.length, end);
      this.counts[table] ??= 0;
      this.line = [];
      if (prefix === RowCounter.INSERT) {
        this.inInsert = true;
        this.table = table;
        this.depth = 0;
        this.quote = 0;
        this.escaped = false;
      } else {
        this.inInsert = false;
      }
      return;
    }
    // Neither: skip the rest of this line.
    this.line = [];
    this.inInsert = false;
  }
}

/** How many backslashes stand right before `end`, not looking before `from`. */
function backslashesBefore(chunk: Uint8Array, end: number, from: number): number {
  let j = end;
  while (j > from && chunk[j - 1] === 92) j--;
  return end - j;
}
