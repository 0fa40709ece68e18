import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInstream, verdictOf } from '../../app/storage/clamd.ts';
import { sanitizeFileName } from '../../app/domain/files/fileTypes.ts';
import { devEnv } from '../harness/config.ts';
import { eicar, privateClamd, type PrivateClamd } from './privateClamd.ts';

// The INSTREAM client against real clamd. Over clamd's StreamMaxLength, clamd answers and closes;
// a write racing that close fails with EPIPE and Node drops the unread reply (what the `clamscan`
// package then reports): the client still reports a limit, never a broken pipe.

async function scan(port: number, data: Buffer) {
  const stream = startInstream('127.0.0.1', port, 2000, 10_000);
  await stream.connecting;
  for (let offset = 0; offset < data.length && !stream.answered; offset += 65536)
    await stream.write(data.subarray(offset, offset + 65536));
  return stream.finish();
}

describe('clamd INSTREAM client', () => {
  let clamd: PrivateClamd;
  const devPort = Number(devEnv().PARLEY_CLAMD_PORT);
  beforeAll(async () => {
    clamd = await privateClamd({ streamMaxLength: '1M' });
    await clamd.start();
  }, 90_000);
  afterAll(() => clamd.stop());

  it('answers clean, infected (with the signature), and nothing listening', async () => {
    expect(await scan(devPort, randomBytes(200_000))).toMatchObject({ result: 'clean' });
    const infected = await scan(devPort, Buffer.concat([randomBytes(5000), eicar()]));
    expect(infected).toMatchObject({ result: 'infected' });
    expect(infected.result === 'infected' && infected.signature).toMatch(/^Eicar-Test-Signature/);
    const port = (await privateClamd()).port; // a free port, nothing started on it
    expect(await scan(port, Buffer.from('x'))).toMatchObject({
      result: 'unavailable',
      reason: 'clamd refused the connection',
    });
  });

  it('reports clamd’s limit over StreamMaxLength, not a broken pipe', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    // clamd's reply; or, when a failed write made Node drop it unread, what clamd's behaviour means.
    const verdict = await scan(clamd.port, data);
    expect(verdict.result).toBe('limit');
    expect(verdict.result === 'limit' && verdict.reply).toMatch(
      /^INSTREAM size limit exceeded\. ERROR$|StreamMaxLength/,
    );
  }, 30_000);

  it('streams while it connects, in frames: a signature across a frame boundary is found', async () => {
    // startInstream queues what is written before the connection is up; pieces are gathered into
    // 64 KiB frames, and EICAR split between two frames is still one stream to clamd.
    const data = Buffer.concat([randomBytes(65_536 - 30), eicar(), randomBytes(200_000)]);
    const scan = startInstream('127.0.0.1', devPort, 2000, 10_000);
    for (let offset = 0; offset < data.length; offset += 16_384)
      await scan.write(data.subarray(offset, offset + 16_384));
    const verdict = await scan.finish();
    expect(verdict).toMatchObject({ result: 'infected' });
    const clean = startInstream('127.0.0.1', devPort, 2000, 10_000);
    await clean.write(randomBytes(300_000));
    expect(await clean.finish()).toMatchObject({ result: 'clean' });
    const nobody = startInstream('127.0.0.1', (await privateClamd()).port, 2000, 10_000);
    await nobody.write(randomBytes(1000));
    expect(await nobody.finish()).toMatchObject({ result: 'unavailable' });
  });

  it('parses replies', () => {
    expect(verdictOf('stream: OK\0')).toEqual({ result: 'clean', reply: 'stream: OK' });
    expect(verdictOf('stream: Win.Test.EICAR_HDB-1 FOUND\0')).toMatchObject({
      result: 'infected',
      signature: 'Win.Test.EICAR_HDB-1',
    });
    expect(verdictOf('stream: Heuristics.Limits.Exceeded.MaxRecursion FOUND')).toMatchObject({
      result: 'limit',
    });
    expect(verdictOf("INSTREAM: Can't allocate memory ERROR")).toMatchObject({ result: 'error' });
    expect(verdictOf('')).toMatchObject({ result: 'unavailable' });
  });
});

describe('file names', () => {
  it('keeps a plain name, normalizes it, and takes its extension', () => {
    expect(sanitizeFileName('  Statement März.PDF ')).toEqual({
      value: 'Statement März.PDF',
      extension: 'pdf',
    });
  });
  it.each([
    '../a.txt',
    'a/b.txt',
    'a\\b.txt',
    'a\u0007.txt',
    'a\u202e.txt',
    'noextension',
    '.txt',
    '',
  ])('refuses %j', (name) =>
    expect(() => sanitizeFileName(name)).toThrow(/file name is not accepted/),
  );
});
