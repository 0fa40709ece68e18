import { describe, expect, it } from 'vitest';
import { envSchema } from '../../../config/schema.ts';
import { policyFromEnv, retryAfterSeconds } from './limits.ts';
import { BUCKET_MS, NETWORKS_PER_BUCKET, RefusalTally, refusalReport } from './refusals.ts';
import { addressSubject, offenderNetwork, subjectKeys } from './subjects.ts';

// The visitor limits' pure rules (issue 12): who is counted, how a refused address is shown, how
// long to wait, and how refusals add up for admins.

describe('subjects', () => {
  it('counts IPv4 by address and IPv6 by its /64; IPv4-mapped IPv6 is IPv4', () => {
    expect(addressSubject('203.0.113.7')).toBe('203.0.113.7');
    expect(addressSubject('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressSubject('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressSubject('2001:db8:1:2:ffff::9')).toBe('2001:db8:1:2::/64');
    expect(addressSubject('unknown')).toBe('unknown');
  });

  it('shows admins a /24 or /48, never the visitor’s own address', () => {
    expect(offenderNetwork('203.0.113.7')).toBe('203.0.113.0/24');
    expect(offenderNetwork('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1::/48');
    expect(offenderNetwork('not an address')).toBe('unknown');
  });

  it('names subjects by a keyed hash: stable, apart per dimension, nothing readable', () => {
    const key = subjectKeys(Buffer.alloc(32, 7));
    const other = subjectKeys(Buffer.alloc(32, 8));
    expect(key('address', '203.0.113.7')).toBe(key('address', '203.0.113.7'));
    expect(key('address', '203.0.113.7')).not.toBe(key('visitor', '203.0.113.7'));
    expect(key('address', '203.0.113.7')).not.toBe(other('address', '203.0.113.7'));
    expect(key('address', '203.0.113.7')).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('retry-after', () => {
  it('is whole seconds, rounded up, at least one', () => {
    expect(retryAfterSeconds(0)).toBe(1);
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1000)).toBe(1);
    expect(retryAfterSeconds(1001)).toBe(2);
    expect(retryAfterSeconds(Number.NaN)).toBe(1);
  });
});

describe('refusal counts', () => {
  const policy = policyFromEnv(
    envSchema.parse({
      PARLEY_PUBLIC_URL: 'https://chat.example.com',
      PARLEY_DB_PASSWORD_FILE: '/x',
      PARLEY_SECRET_KEY_FILE: '/y',
    }),
  );
  const hour = 1_800_000_000_000 - (1_800_000_000_000 % BUCKET_MS);

  it('adds up per hour, limit and dimension, and gives them back when a write fails', () => {
    const tally = new RefusalTally();
    tally.addRefusal(hour + 5, 'message', ['visitor'], '203.0.113.0/24');
    tally.addRefusal(hour + 6, 'message', ['visitor', 'address'], '203.0.113.0/24');
    tally.addRefusal(hour + BUCKET_MS, 'token', ['address'], '198.51.100.0/24');
    const drained = tally.drain();
    expect(tally.empty).toBe(true);
    tally.merge(drained);
    const report = refusalReport(policy, tally.drain());
    expect(report.hours).toEqual([
      { at: new Date(hour + BUCKET_MS).toISOString(), refused: { 'token.address': 1 } },
      {
        at: new Date(hour).toISOString(),
        refused: { 'message.visitor': 2, 'message.address': 1 },
      },
    ]);
    expect(report.limits.find((limit) => limit.id === 'message')!.refused).toEqual({
      address: 1,
      visitor: 2,
    });
    expect(report.topNetworks).toEqual([
      { network: '203.0.113.0/24', refused: 2 },
      { network: '198.51.100.0/24', refused: 1 },
    ]);
  });

  it('keeps at most so many networks per hour; the rest are counted as other', () => {
    const tally = new RefusalTally();
    for (let i = 0; i < NETWORKS_PER_BUCKET + 5; i += 1)
      tally.addRefusal(hour, 'connect', ['address'], `net-${i}`);
    const [bucket] = tally.drain();
    expect(Object.keys(bucket!.networks)).toHaveLength(NETWORKS_PER_BUCKET + 1);
    expect(bucket!.networks.other).toBe(5);
  });

  it('forgets hours older than a week when the store stays unreachable', () => {
    const tally = new RefusalTally();
    tally.addRefusal(hour, 'typing', ['visitor'], 'x');
    tally.prune(hour + 169 * BUCKET_MS);
    expect(tally.empty).toBe(true);
  });
});
