import { createHash } from 'node:crypto';
import { columnText } from '../../shared/columnText.ts';
import { maskCardNumbers } from '../../shared/cardNumbers.ts';
import { maskDeep } from '../../shared/maskDeep.ts';
import { auditEventsRepo } from '../../storage/auditEvents.ts';
import type { Store } from '../../storage/store.ts';
import { LIMITS, canonicalDetails, detailsText, hashOf, type AuditRow } from './chain.ts';

// Redacting card numbers an older Parley wrote into the audit log (issue 12). Entries are
// hash-chained, so a masked entry gets a new hash, and so does every entry after it. This is done
// only for a chain that verifies up to that point (a redaction must never launder tampering), under
// the head's lock, in the caller's transaction; the caller then appends the `audit.redaction` entry
// that anchors the re-hashed chain (see app/domain/audit/README.md).

export interface ChainRedaction {
  /** Entries whose text held card numbers. */
  redacted: number;
  firstRedacted: number;
  lastRedacted: number;
  /** Every entry from firstRedacted to this one got a new hash. */
  rehashedTo: number;
  /** The head's hash before the redaction, as a syslog copy of the chain knows it. */
  previousHeadHash: string;
  /** sha256 over the old hashes of the re-hashed entries, in order. */
  previousHashesDigest: string;
}

/** A chain that does not verify is left alone: redacting it would hide the evidence. */
export class ChainBrokenError extends Error {
  constructor(id: number) {
    super(
      `the audit chain does not verify at entry ${id}; run make audit-verify, nothing was redacted`,
    );
    this.name = 'ChainBrokenError';
  }
}

const PAGE = 1000;
const TEXT_COLUMNS = [
  'actor_label',
  'ip',
  'user_agent',
  'action',
  'target_kind',
  'target_id',
] as const;

/** The entry as it would have been written by today's code: card numbers masked. */
function redactedRow(row: AuditRow): Omit<AuditRow, 'hash' | 'prev_hash'> {
  const out = { ...row };
  for (const column of TEXT_COLUMNS) {
    out[column] = columnText(maskCardNumbers(row[column]).text, LIMITS[column]);
  }
  const details = detailsText(row.details);
  if (details !== null) {
    const parsed = JSON.parse(details) as Record<string, unknown>;
    const masked = maskDeep(parsed);
    if (masked !== parsed) out.details = canonicalDetails(masked as Record<string, unknown>);
  }
  return out;
}

const changed = (row: AuditRow, redacted: Omit<AuditRow, 'hash' | 'prev_hash'>) =>
  TEXT_COLUMNS.some((column) => row[column] !== redacted[column]) ||
  row.details !== redacted.details;

/** Redacts and re-hashes the chain in `tx`, whose head it locks; null if there was nothing to do. */
export async function redactChain(tx: Store): Promise<ChainRedaction | null> {
  const events = auditEventsRepo(tx);
  const head = await events.lockHead();
  let previous = await events.start();
  let newPrevious = previous.hash;
  let result: ChainRedaction | null = null;
  const oldHashes = createHash('sha256');
  for (;;) {
    const rows = await events.after(previous.id, PAGE);
    const rewritten: AuditRow[] = [];
    for (const row of rows) {
      const intact =
        row.id === previous.id + 1 &&
        row.prev_hash.equals(previous.hash) &&
        hashOf(row).equals(row.hash);
      if (!intact) throw new ChainBrokenError(row.id);
      previous = { id: row.id, hash: row.hash };
      const redacted = redactedRow(row);
      const isRedacted = changed(row, redacted);
      if (isRedacted) {
        result ??= {
          redacted: 0,
          firstRedacted: row.id,
          lastRedacted: row.id,
          rehashedTo: row.id,
          previousHeadHash: '',
          previousHashesDigest: '',
        };
        result.redacted += 1;
        result.lastRedacted = row.id;
      }
      if (!result) {
        newPrevious = row.hash; // before the first redacted entry nothing changes
        continue;
      }
      oldHashes.update(row.hash);
      const base = { ...redacted, prev_hash: newPrevious };
      const next: AuditRow = { ...base, hash: hashOf(base) };
      newPrevious = next.hash;
      result.rehashedTo = row.id;
      rewritten.push(next);
    }
    await events.rewrite(rewritten);
    if (rows.length < PAGE) break;
  }
  if (!result) return null;
  if (head && head.id !== previous.id) throw new ChainBrokenError(head.id);
  result.previousHeadHash = previous.hash.toString('hex');
  result.previousHashesDigest = oldHashes.digest('hex');
  await events.moveHead({ id: previous.id, hash: newPrevious });
  return result;
}
