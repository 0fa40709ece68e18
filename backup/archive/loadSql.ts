import { Writable } from 'node:stream';
import type { Connection } from 'mysql2/promise';
import { BackupRefusedError } from './refused.ts';
import { StatementSplitter } from './sqlStatements.ts';

// Statements are cut and decoded while the server runs the one before: up to this much is kept
// ready, so the server never waits for decryption and decompression (nor they for it).
const AHEAD_BYTES = 8 << 20;

/**
 * A writable for a mariadb-dump stream that runs its statements, one at a time and in order, on
 * `conn` (from `connectVerbatim`, using the target database). It does what `mariadb < dump.sql` does without
 * the client in between, which stops reading while the server works and spends as much CPU
 * again parsing the stream. Only feed it authenticated dumps: it runs whatever they say.
 */
export class SqlLoader extends Writable {
  statements = 0;
  private readonly splitter = new StatementSplitter();
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private running = false;
  private failure: Error | null = null;
  // A write waits until the queue is short enough; the end, until every statement has run.
  private resume: { ready: () => boolean; done: (error?: Error | null) => void } | null = null;

  private readonly conn: Connection;

  constructor(conn: Connection) {
    super({ highWaterMark: 1 << 20 });
    this.conn = conn;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (e?: Error | null) => void) {
    if (this.failure) return done(this.failure);
    let statements: Buffer[];
    try {
      statements = this.splitter.push(chunk);
    } catch (error) {
      return done(unreadable(error));
    }
    for (const statement of statements) this.enqueue(statement);
    this.waitUntil(() => this.queued < AHEAD_BYTES, done);
  }

  override _final(done: (e?: Error | null) => void) {
    if (this.failure) return done(this.failure);
    try {
      for (const statement of this.splitter.end()) this.enqueue(statement);
    } catch (error) {
      return done(unreadable(error));
    }
    this.waitUntil(() => this.queue.length === 0 && !this.running, done);
  }

  private enqueue(statement: Buffer): void {
    this.queue.push(statement);
    this.queued += statement.length;
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    while (this.queue.length > 0 && !this.failure) {
      const statement = this.queue[0]!;
      try {
        await this.conn.query(statement.toString('latin1'));
        this.statements++;
      } catch (error) {
        this.failure = refusedStatement(this.statements + 1, error);
      }
      this.queue.shift();
      this.queued -= statement.length;
      this.wake();
    }
    this.running = false;
    this.wake();
  }

  private waitUntil(ready: () => boolean, done: (error?: Error | null) => void): void {
    this.resume = { ready, done };
    this.wake();
  }

  private wake(): void {
    const resume = this.resume;
    if (!resume) return;
    if (this.failure) {
      this.resume = null;
      resume.done(this.failure);
    } else if (resume.ready()) {
      this.resume = null;
      resume.done();
    }
  }
}

// The server's message may quote the statement, which holds customer data: only its code is told.
function refusedStatement(index: number, error: unknown): BackupRefusedError {
  const code = (error as { code?: string }).code;
  return new BackupRefusedError(
    `restore failed: statement ${index} of the database dump could not be run (${code ?? 'error'}); nothing was changed`,
  );
}

function unreadable(error: unknown): BackupRefusedError {
  const why = error instanceof Error ? error.message : 'unreadable';
  return new BackupRefusedError(`restore failed: ${why}; nothing was changed`);
}
