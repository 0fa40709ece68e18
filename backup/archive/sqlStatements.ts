/**
 * Cuts a mariadb-dump stream into statements, as the mariadb client does, so a restore can send
 * them to the server itself: a statement ends at the delimiter (`;`, or what a `DELIMITER` line
 * sets) outside quoted strings, quoted names and comments. `-- ` and `#` comments and plain
 * block comments are left out; versioned comments (`/*!…`, `/*M!…`) are kept, the server runs
 * them. Input arrives in chunks of any size; a statement may span many.
 */
export class StatementSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private carry: Buffer | null = null; // bytes that need the next chunk to be understood
  private delimiter = Buffer.from(';');
  private state: State = State.Start;
  private quote = 0;
  private escaped = false;
  private final = false; // at the end of the stream nothing more will come to decide with

  /** The statements this chunk completes. */
  push(input: Buffer): Buffer[] {
    const chunk = this.carry ? Buffer.concat([this.carry, input]) : input;
    this.carry = null;
    const done: Buffer[] = [];
    const n = chunk.length;
    let from = 0; // where this chunk's statement text begins
    let i = 0;
    const keep = (to: number) => {
      if (to > from) {
        this.parts.push(chunk.subarray(from, to));
        this.size += to - from;
      }
    };
    const wait = () => {
      // Undecidable until more bytes arrive: keep what is certain, look at the rest again later.
      keep(i);
      this.carry = chunk.subarray(i);
      i = n;
      from = n;
    };
    scan: while (i < n) {
      switch (this.state) {
        case State.Start: {
          const c = chunk[i]!;
          if (isBlank(c)) {
            i++;
            from = i;
            continue;
          }
          if (c === D || c === d) {
            // A DELIMITER line is a client command, not a statement.
            if (n - i < COMMAND.length + 1 && !this.final) {
              wait();
              break scan;
            }
            const word = chunk.toString('latin1', i, i + COMMAND.length + 1);
            if (/^delimiter[ \t]$/i.test(word)) {
              const eol = chunk.indexOf(NL, i);
              if (eol < 0 && !this.final) {
                if (n - i > 1024) throw new Error('a DELIMITER line in the dump is too long');
                wait();
                break scan;
              }
              const set = chunk.toString('utf8', i + COMMAND.length, eol < 0 ? n : eol).trim();
              if (!set || /\s/.test(set))
                throw new Error('a DELIMITER line in the dump is unreadable');
              this.delimiter = Buffer.from(set);
              i = eol < 0 ? n : eol + 1;
              from = i;
              continue;
            }
          }
          this.state = State.Code;
          continue;
        }
        case State.Code: {
          const c = chunk[i]!;
          if (c === this.delimiter[0]) {
            const k = this.delimiter.length;
            if (n - i < k && !this.final) {
              wait();
              break scan;
            }
            if (k === 1 || chunk.subarray(i, i + k).equals(this.delimiter)) {
              keep(i);
              i += k;
              from = i;
              const statement = trimEnd(Buffer.concat(this.parts, this.size));
              this.parts = [];
              this.size = 0;
              if (statement.length > 0) done.push(statement);
              this.state = State.Start;
              continue;
            }
          }
          if (c === QUOTE || c === DQUOTE || c === BACKTICK) {
            this.state = State.Quoted;
            this.quote = c;
            this.escaped = false;
            i++;
            continue;
          }
          if (c === HASH || c === DASH || c === SLASH) {
            if (n - i < 4 && !this.final) {
              wait();
              break scan;
            }
            const comment = this.startsComment(chunk, i);
            if (comment !== State.Code) {
              keep(i);
              this.state = comment;
              i += 2;
              from = i;
              continue;
            }
          }
          i++;
          continue;
        }
        case State.Quoted: {
          if (this.escaped) {
            this.escaped = false;
            i++;
            continue;
          }
          const end = chunk.indexOf(this.quote, i);
          if (end < 0) {
            if (this.quote !== BACKTICK) this.escaped = backslashesBefore(chunk, n, i) % 2 === 1;
            i = n;
            continue;
          }
          if (this.quote === BACKTICK || backslashesBefore(chunk, end, i) % 2 === 0) {
            this.state = State.Code;
          }
          i = end + 1;
          continue;
        }
        case State.LineComment:
        case State.BlockComment: {
          const block = this.state === State.BlockComment;
          const end = block ? chunk.indexOf('*/', i) : chunk.indexOf(NL, i);
          if (end < 0) {
            // A `*` that closes this chunk may be the start of `*/`.
            i = block && chunk[n - 1] === STAR && !this.final ? n - 1 : n;
            from = i;
            if (i < n) wait();
            break scan;
          }
          i = end + (block ? 2 : 1);
          from = i;
          // A comment inside a statement separates words like a space.
          if (this.size > 0) {
            this.parts.push(SPACE_BYTE);
            this.size += 1;
          }
          this.state = this.size > 0 ? State.Code : State.Start;
          continue;
        }
      }
    }
    if (this.state === State.Code || this.state === State.Quoted) keep(n);
    return done;
  }

  /** Call at the end of the stream: a last statement without its delimiter, if any. */
  end(): Buffer[] {
    this.final = true;
    const done = this.push(Buffer.alloc(0));
    if (this.state === State.Quoted) throw new Error('the dump ends inside a quoted string');
    if (this.state === State.BlockComment) throw new Error('the dump ends inside a comment');
    const tail = trimEnd(Buffer.concat(this.parts, this.size));
    this.parts = [];
    this.size = 0;
    return tail.length > 0 ? [...done, tail] : done;
  }

  /** Which comment begins at `i`, if any (State.Code: none, or a versioned one the server runs). */
  private startsComment(chunk: Buffer, i: number): State {
    const c = chunk[i];
    const c1 = chunk[i + 1];
    if (c === HASH) return State.LineComment;
    if (c === DASH && c1 === DASH && isBlank(chunk[i + 2])) return State.LineComment;
    if (c === SLASH && c1 === STAR) {
      const c2 = chunk[i + 2];
      if (c2 === BANG || (c2 === M && chunk[i + 3] === BANG)) return State.Code;
      return State.BlockComment;
    }
    return State.Code;
  }
}

const State = {
  Start: 0,
  Code: 1,
  Quoted: 2,
  LineComment: 3,
  BlockComment: 4,
} as const;
type State = (typeof State)[keyof typeof State];

const COMMAND = 'DELIMITER';
const SPACE_BYTE = Buffer.from(' ');
const NL = 10;
const [QUOTE, DQUOTE, BACKTICK, HASH, DASH, SLASH, STAR, BANG] = [39, 34, 96, 35, 45, 47, 42, 33];
const [D, d, M] = [68, 100, 77];

function isBlank(c: number | undefined): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function trimEnd(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && isBlank(b[end - 1])) end--;
  return b.subarray(0, end);
}

/** How many backslashes stand right before `end`, not looking before `from`. */
function backslashesBefore(chunk: Buffer, end: number, from: number): number {
  let j = end;
  while (j > from && chunk[j - 1] === 92) j--;
  return end - j;
}
