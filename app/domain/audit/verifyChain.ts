import {
  auditEventsRepo,
  type AuditEventsRepo,
  type ChainPoint,
} from '../../storage/auditEvents.ts';
import type { Store } from '../../storage/store.ts';
import { GENESIS, detailsText, hashOf, type AuditRow } from './chain.ts';

// Checking the audit log's hash chain: `make audit-verify`, GET /api/audit/verify.

/** An `audit.redaction` entry met on the way (issue 12): card numbers masked, the chain re-hashed. */
export interface RedactionSeen {
  id: number;
  at: Date;
  redacted: number;
  firstRedacted: number | null;
  lastRedacted: number | null;
  rehashedTo: number | null;
  /** Rows masked outside the audit log. */
  rows: number;
}

export type VerifyResult =
  | { ok: true; checked: number; redactions?: RedactionSeen[] }
  | {
      ok: false;
      checked: number;
      id: number;
      kind: 'altered' | 'removed' | 'reordered';
      problem: string;
    };

/** Walks the chain oldest first; reports the first entry that was altered, removed or moved. */
export async function verifyChain(store: Store, pageSize = 1000): Promise<VerifyResult> {
  const events = auditEventsRepo(store);
  // The head is read first: every entry up to it was committed before this read.
  const head = await events.head();
  // Entries older than the anchor were deleted by audit retention; the chain starts after it.
  const start = await events.start();
  let previous: { id: number; hash: Buffer } = start;
  let checked = 0;
  let headHash: Buffer | null = head && head.id === start.id ? start.hash : null;
  const redactions: RedactionSeen[] = [];
  for (;;) {
    const rows = await events.after(previous.id, pageSize);
    for (const row of rows) {
      const broken = await checkLink(events, previous, row, start);
      if (broken) return { ok: false, checked, ...broken };
      if (head && row.id === head.id) headHash = row.hash;
      if (row.action === 'audit.redaction') redactions.push(redactionOf(row));
      previous = { id: row.id, hash: row.hash };
      checked += 1;
    }
    if (rows.length < pageSize) break;
  }
  const tail = checkTail(head, start.id, previous.id, headHash, checked);
  if (!tail.ok) return tail;
  // The head only moves forward: behind the log now, it was set back by hand.
  const latest = await events.head();
  if (latest && latest.id < previous.id) {
    return {
      ok: false,
      checked,
      id: latest.id,
      kind: 'altered',
      problem: `the chain head was set back to entry ${latest.id}; the log goes on to entry ${previous.id}`,
    };
  }
  return tail.ok && redactions.length > 0 ? { ...tail, redactions } : tail;
}

function redactionOf(row: AuditRow): RedactionSeen {
  const details = JSON.parse(detailsText(row.details) ?? '{}') as {
    auditEntries?: {
      redacted: number;
      firstRedacted: number;
      lastRedacted: number;
      rehashedTo: number;
    } | null;
    tables?: { rows: number }[];
  };
  const entries = details.auditEntries ?? null;
  return {
    id: row.id,
    at: row.at,
    redacted: entries?.redacted ?? 0,
    firstRedacted: entries?.firstRedacted ?? null,
    lastRedacted: entries?.lastRedacted ?? null,
    rehashedTo: entries?.rehashedTo ?? null,
    rows: (details.tables ?? []).reduce((sum, table) => sum + table.rows, 0),
  };
}

type Broken = { id: number; kind: 'altered' | 'removed' | 'reordered'; problem: string };

async function checkLink(
  events: AuditEventsRepo,
  previous: { id: number; hash: Buffer },
  row: AuditRow,
  start: { id: number; hash: Buffer },
): Promise<Broken | null> {
  const expected = previous.id + 1;
  if (row.id !== expected) {
    const range =
      row.id - 1 === expected ? `entry ${expected}` : `entries ${expected}–${row.id - 1}`;
    return {
      id: expected,
      kind: 'removed',
      problem: `${range} ${row.id - 1 === expected ? 'was' : 'were'} removed`,
    };
  }
  const intact = hashOf(row).equals(row.hash);
  if (row.prev_hash.equals(previous.hash)) {
    return intact ? null : { id: row.id, kind: 'altered', problem: `entry ${row.id} was altered` };
  }
  // Not linked to its predecessor: was it written at another place in the chain?
  const original = await writtenAs(events, row, start);
  if (
    original !== null &&
    original !== row.id &&
    hashOf({ ...row, id: original }).equals(row.hash)
  ) {
    return {
      id: row.id,
      kind: 'reordered',
      problem: `entry ${row.id} holds what was written as entry ${original}: entries were reordered`,
    };
  }
  return {
    id: row.id,
    kind: 'altered',
    problem: intact
      ? `entry ${row.id} does not follow entry ${previous.id}: one of them was altered and re-hashed`
      : `entry ${row.id} was altered`,
  };
}

/**
 * The id an entry was written with, found by following its predecessors' hashes back to one that
 * still stands where it was written (a few steps at most; only run once the chain is broken).
 */
async function writtenAs(
  events: AuditEventsRepo,
  row: AuditRow,
  start: { id: number; hash: Buffer },
): Promise<number | null> {
  let hash = row.prev_hash;
  for (let steps = 1; steps <= 20; steps += 1) {
    if (hash.equals(GENESIS)) return steps;
    if (hash.equals(start.hash)) return start.id + steps;
    const before = await events.byHash(hash);
    if (!before) return null;
    if (hashOf(before).equals(before.hash)) return before.id + steps;
    hash = before.prev_hash;
  }
  return null;
}

function checkTail(
  head: ChainPoint | null,
  startId: number,
  lastId: number,
  headHash: Buffer | null,
  checked: number,
): VerifyResult {
  if (!head) {
    return lastId === startId
      ? { ok: true, checked }
      : {
          ok: false,
          checked,
          id: lastId + 1,
          kind: 'removed',
          problem:
            'the chain head is missing, so removal of the newest entries cannot be ruled out',
        };
  }
  const headId = head.id;
  if (lastId < headId) {
    const range = lastId + 1 === headId ? `entry ${headId}` : `entries ${lastId + 1}–${headId}`;
    return {
      ok: false,
      checked,
      id: lastId + 1,
      kind: 'removed',
      problem: `${range} (the newest) ${lastId + 1 === headId ? 'was' : 'were'} removed`,
    };
  }
  if (headId > 0 && !headHash?.equals(head.hash)) {
    return {
      ok: false,
      checked,
      id: headId,
      kind: 'altered',
      problem: `entry ${headId} does not match the chain head: it was altered and re-hashed`,
    };
  }
  return { ok: true, checked };
}
