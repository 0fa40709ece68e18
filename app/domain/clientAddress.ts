import { formatAddress, inRange, parseAddress, parseCidr, type Range } from '../shared/cidr.ts';

/** What the client address is when a trusted proxy sent a forwarded address that is not one. */
export const UNKNOWN_ADDRESS = 'unknown';

/** The proxies whose X-Forwarded-For is believed (PARLEY_TRUSTED_PROXIES), compiled once. */
export interface TrustedProxies {
  has(address: string): boolean;
}

export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const ranges: Range[] = entries.map((entry) => {
    const parsed = parseCidr(entry);
    if (!parsed.ok) throw new Error(`PARLEY_TRUSTED_PROXIES: ${parsed.problem}`);
    return parsed.range;
  });
  return {
    has(address) {
      const parsed = parseAddress(address);
      return parsed !== null && ranges.some((range) => inRange(parsed, range));
    },
  };
}

/**
 * The client's address. X-Forwarded-For is read only when the immediate peer is a trusted proxy;
 * it is then walked from the right (each entry was appended by the hop after it), skipping trusted
 * proxies, and the first address that is not one is the client. Entries further left were written
 * by the client or by hops nobody vouches for, so a forged header changes nothing. When every hop
 * is a trusted proxy the leftmost is the client; an entry that is not an address yields `unknown`,
 * which matches no IP rule.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: TrustedProxies,
): string {
  const direct = peer === undefined ? null : parseAddress(peer);
  if (!direct) return UNKNOWN_ADDRESS;
  const peerAddress = formatAddress(direct);
  if (!trusted.has(peerAddress)) return peerAddress;
  const hops = [forwardedFor ?? []]
    .flat()
    .join(',')
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop.length > 0);
  let client = peerAddress;
  for (let index = hops.length - 1; index >= 0; index -= 1) {
    const hop = parseAddress(withoutPort(hops[index]!));
    if (!hop) return UNKNOWN_ADDRESS;
    client = formatAddress(hop);
    if (!trusted.has(client)) return client;
  }
  return client;
}

/** Some proxies append `addr:port` or `[v6]:port`; the port is not part of the address. */
function withoutPort(hop: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) return bracketed[1]!;
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(hop);
  return v4WithPort ? v4WithPort[1]! : hop;
}
