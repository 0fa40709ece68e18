// MariaDB GTIDs (domain-server-sequence), compared the way failover and rejoin need (issue 15).
// A position lists the last GTID per replication domain; a binlog state lists the last GTID per
// domain and server. In gtid_strict_mode the sequence numbers of a domain only grow.

export interface Gtid {
  domain: number;
  server: number;
  seq: number;
}

export function parseGtids(text: string): Gtid[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const [domain, server, seq] = part.split('-').map(Number);
      if (![domain, server, seq].every((n) => Number.isInteger(n) && n! >= 0))
        throw new Error(`not a GTID: ${part}`);
      return { domain: domain!, server: server!, seq: seq! };
    });
}

export const formatGtid = (g: Gtid) => `${g.domain}-${g.server}-${g.seq}`;

export interface Gap {
  domain: number;
  /** The last GTID here, or null when this side has none in the domain. */
  here: Gtid | null;
  there: Gtid;
  /** How many transactions of the domain `there` has beyond `here`. */
  transactions: number;
}

/** What `there` has that `here` lacks, per domain: the recovery point of a failover. */
export function gapBetween(here: string, there: string): Gap[] {
  const mine = new Map(parseGtids(here).map((g) => [g.domain, g]));
  const gaps: Gap[] = [];
  for (const g of parseGtids(there)) {
    const have = mine.get(g.domain) ?? null;
    const behind = g.seq - (have?.seq ?? 0);
    if (behind > 0) gaps.push({ domain: g.domain, here: have, there: g, transactions: behind });
  }
  return gaps;
}

export const lostTransactions = (gaps: Gap[]) => gaps.reduce((n, g) => n + g.transactions, 0);

export function describeGap(gaps: Gap[]): string {
  if (gaps.length === 0) return 'none';
  return gaps
    .map(
      (g) =>
        `${g.transactions} transaction(s) of domain ${g.domain}: after ${g.here ? formatGtid(g.here) : 'the start'} up to ${formatGtid(g.there)}`,
    )
    .join('; ');
}

/**
 * The GTIDs this side wrote that the other side's binlog state does not hold: writes on both
 * sides after a failover (divergence). `mineBinlog` is this side's @@gtid_binlog_pos,
 * `theirState` the other side's @@gtid_binlog_state (every server's last GTID per domain).
 */
export function divergedFrom(mineBinlog: string, theirState: string): Gap[] {
  const theirs = new Map(parseGtids(theirState).map((g) => [`${g.domain}-${g.server}`, g]));
  const gaps: Gap[] = [];
  for (const g of parseGtids(mineBinlog)) {
    const have = theirs.get(`${g.domain}-${g.server}`) ?? null;
    const ahead = g.seq - (have?.seq ?? 0);
    if (ahead > 0) gaps.push({ domain: g.domain, here: have, there: g, transactions: ahead });
  }
  return gaps;
}
