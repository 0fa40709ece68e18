import { createHmac, hkdfSync } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { formatAddress, parseAddress } from '../../shared/cidr.ts';
import type { Dimension } from './limits.ts';

// Who a limit counts, and how they are named where the counts are kept: never the raw address or
// visitor id, but a keyed hash of it, so the shared store holds nothing that identifies a visitor.

/** IPv4 as is, IPv6 by its /64 (one subscriber's network hands out a whole /64). */
export function addressSubject(address: string): string {
  const parsed = parseAddress(address);
  if (!parsed) return 'unknown';
  if (parsed.kind() === 'ipv4') return formatAddress(parsed);
  return `${formatAddress(network(parsed, 64))}/64`;
}

/**
 * How a refused address is shown to admins: its /24 (IPv4) or /48 (IPv6) network, enough to see
 * where a flood comes from without keeping any one visitor's address.
 */
export function offenderNetwork(address: string): string {
  const parsed = parseAddress(address);
  if (!parsed) return 'unknown';
  const bits = parsed.kind() === 'ipv4' ? 24 : 48;
  return `${formatAddress(network(parsed, bits))}/${bits}`;
}

function network(address: ipaddr.IPv4 | ipaddr.IPv6, bits: number) {
  const bytes = address.toByteArray().map((byte, index) => {
    const keep = Math.max(0, Math.min(8, bits - index * 8));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
  return ipaddr.fromByteArray(bytes);
}

/** Names subjects by an HMAC under a key derived from the secret key file (HKDF, its own label). */
export function subjectKeys(secretKey: Buffer): (dimension: Dimension, subject: string) => string {
  const key = Buffer.from(
    hkdfSync('sha256', secretKey, Buffer.alloc(0), 'rate limit subject v1', 32),
  );
  // A visitor's subjects are named on every message they send: remember the names (an HMAC costs
  // more than the rest of the limit check) and start over when the memory would grow past a bound.
  const named = new Map<string, string>();
  return (dimension, subject) => {
    const plain = `${dimension}:${subject}`;
    let name = named.get(plain);
    if (name === undefined) {
      name = createHmac('sha256', key).update(plain).digest('base64url').slice(0, 22);
      if (named.size >= NAMES_KEPT) named.clear();
      named.set(plain, name);
    }
    return name;
  };
}

/** Subject names kept in memory (a few MB at most). */
const NAMES_KEPT = 50_000;
