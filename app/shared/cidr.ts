import ipaddr from 'ipaddr.js';

// Addresses and CIDR ranges, IPv4 and IPv6, parsed strictly and written one canonical way, so
// the same range is always stored, shown and compared as the same text.

export type Address = ipaddr.IPv4 | ipaddr.IPv6;
export type Range = [Address, number];

const MAPPED_PREFIX = 96; // ::ffff:0:0/96 holds the IPv4-mapped addresses

/**
 * One address from text: IPv4 only as four decimal parts (no `127.1`, no octal `010.0.0.1`),
 * IPv6 without its zone, and an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) as the IPv4 address.
 */
export function parseAddress(text: string): Address | null {
  const raw = text.trim();
  if (ipaddr.IPv4.isValidFourPartDecimal(raw)) return ipaddr.IPv4.parse(raw);
  if (!ipaddr.IPv6.isValid(raw)) return null;
  const v6 = ipaddr.IPv6.parse(raw);
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  return new ipaddr.IPv6(v6.parts);
}

/** The canonical text of an address: dotted IPv4, or IPv6 as RFC 5952 (lower case, shortest). */
export function formatAddress(address: Address): string {
  return address.kind() === 'ipv4'
    ? address.toString()
    : (address as ipaddr.IPv6).toRFC5952String();
}

/** The canonical text of whatever was given, or null when it is not an address. */
export function normaliseAddress(text: string): string | null {
  const address = parseAddress(text);
  return address ? formatAddress(address) : null;
}

export type CidrResult = { ok: true; cidr: string; range: Range } | { ok: false; problem: string };

/**
 * A range from `address/bits`, or one address (`/32` or `/128`). A range whose address has host
 * bits set (`10.0.0.1/8`) is refused rather than widened: the person may have meant one address,
 * and an allow-list must never silently grow. IPv4-mapped ranges are written as IPv4.
 */
export function parseCidr(text: string): CidrResult {
  const raw = text.trim();
  const slash = raw.indexOf('/');
  const addressText = slash === -1 ? raw : raw.slice(0, slash);
  const bitsText = slash === -1 ? null : raw.slice(slash + 1);
  const parsed = parseRawAddress(addressText);
  if (!parsed) {
    return {
      ok: false,
      problem: `"${clip(raw)}" is not an IPv4 or IPv6 address or CIDR range (such as 203.0.113.0/24 or 2001:db8::/32)`,
    };
  }
  const max = parsed.kind() === 'ipv4' ? 32 : 128;
  if (bitsText !== null && !/^\d{1,3}$/.test(bitsText)) {
    return { ok: false, problem: `"${clip(raw)}": the prefix length after / must be 0 to ${max}` };
  }
  let bits = bitsText === null ? max : Number(bitsText);
  if (bits > max) {
    return { ok: false, problem: `"${clip(raw)}": the prefix length after / must be 0 to ${max}` };
  }
  let address: Address = parsed;
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) {
    if (bits < MAPPED_PREFIX) {
      return {
        ok: false,
        problem: `"${clip(raw)}" mixes IPv4-mapped and other IPv6 addresses; write the IPv4 range instead`,
      };
    }
    address = (address as ipaddr.IPv6).toIPv4Address();
    bits -= MAPPED_PREFIX;
  }
  const network = networkOf(address, bits);
  if (formatAddress(network) !== formatAddress(address)) {
    const single = address.kind() === 'ipv4' ? 32 : 128;
    return {
      ok: false,
      problem:
        `"${clip(raw)}" has host bits set: write ${formatAddress(network)}/${bits} for the range ` +
        `or ${formatAddress(address)}/${single} for the one address`,
    };
  }
  return { ok: true, cidr: `${formatAddress(network)}/${bits}`, range: [network, bits] };
}

/** Whether an address lies in a range; IPv4 never matches an IPv6 range and the reverse. */
export function inRange(address: Address, range: Range): boolean {
  return address.kind() === range[0].kind() && address.match(range);
}

function parseRawAddress(text: string): Address | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (!ipaddr.IPv6.isValid(text) || text.includes('%')) return null;
  return ipaddr.IPv6.parse(text);
}

function networkOf(address: Address, bits: number): Address {
  const bytes = address.toByteArray();
  const masked = bytes.map((byte, index) => {
    const keep = Math.max(0, Math.min(8, bits - index * 8));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
  return ipaddr.fromByteArray(masked);
}

const clip = (text: string) => (text.length > 60 ? `${text.slice(0, 60)}…` : text);
