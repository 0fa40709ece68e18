import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

// A visitor token is `v1.<visitorId>.<issuedAtSeconds>.<hmac>`: the widget keeps it, the server
// trusts only what the HMAC (keyed by the secret key file) covers.

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function visitorTokens(
  secretKey: Buffer,
  lifetimeDays: number,
  now: () => Date = () => new Date(),
) {
  const sign = (payload: string) =>
    createHmac('sha256', secretKey).update(`parley-visitor:${payload}`).digest('base64url');
  const issueFor = (visitorId: string) => {
    const payload = `${visitorId}.${Math.floor(now().getTime() / 1000)}`;
    return `v1.${payload}.${sign(payload)}`;
  };
  return {
    issue: () => {
      const visitorId = randomUUID();
      return { visitorId, token: issueFor(visitorId) };
    },
    /** The visitor id the token proves, or null when it is forged, malformed or expired. */
    verify(token: unknown): string | null {
      if (typeof token !== 'string' || token.length > 200) return null;
      const parts = token.split('.');
      if (parts.length !== 4 || parts[0] !== 'v1') return null;
      const [, visitorId = '', issuedAt = '', mac = ''] = parts;
      if (!uuid.test(visitorId) || !/^\d{1,12}$/.test(issuedAt)) return null;
      const expected = Buffer.from(sign(`${visitorId}.${issuedAt}`));
      const given = Buffer.from(mac);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      const ageSeconds = now().getTime() / 1000 - Number(issuedAt);
      if (ageSeconds > lifetimeDays * 86400 || ageSeconds < -300) return null;
      return visitorId;
    },
    /** A fresh token for a known visitor, so an active visitor never falls off the end. */
    renew: issueFor,
  };
}

export type VisitorTokens = ReturnType<typeof visitorTokens>;
