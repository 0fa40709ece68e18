import { stringify } from 'csv-stringify';
import { Readable, pipeline } from 'node:stream';
import type { AuditRow } from './chain.ts';

export type ExportFormat = 'csv' | 'json' | 'jsonl';

export const EXPORT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
};

/** One exported entry: every column, with the full hashes so a copy can be checked on its own. */
export function exportRecord(row: AuditRow) {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actorKind: row.actor_kind,
    actorId: row.actor_id,
    actor: row.actor_label,
    ip: row.ip,
    userAgent: row.user_agent,
    action: row.action,
    targetKind: row.target_kind,
    targetId: row.target_id,
    departmentId: row.department_id,
    outcome: row.outcome,
    details: row.details,
    prevHash: row.prev_hash.toString('hex'),
    hash: row.hash.toString('hex'),
  };
}

const COLUMNS = Object.keys(
  exportRecord({
    id: 0,
    at: new Date(0),
    actor_kind: 'system',
    actor_id: null,
    actor_label: '',
    ip: '',
    user_agent: '',
    action: '',
    target_kind: '',
    target_id: '',
    department_id: null,
    outcome: 'success',
    details: null,
    prev_hash: Buffer.alloc(0),
    hash: Buffer.alloc(0),
  }),
);

async function* records(rows: AsyncIterable<AuditRow>) {
  for await (const row of rows) yield exportRecord(row);
}

/** JSON keeps details as an object; its text is the canonical text that was hashed. */
async function* jsonChunks(rows: AsyncIterable<AuditRow>, format: 'json' | 'jsonl') {
  let first = true;
  if (format === 'json') yield '[';
  for await (const record of records(rows)) {
    const line = JSON.stringify({
      ...record,
      details: record.details === null ? null : (JSON.parse(record.details) as unknown),
    });
    if (format === 'jsonl') yield `${line}\n`;
    else yield `${first ? '\n' : ',\n'}${line}`;
    first = false;
  }
  if (format === 'json') yield '\n]\n';
}

/**
 * The entries as a stream in the format asked for, produced as the reader consumes it. CSV cells
 * that a spreadsheet would run as a formula (= + - @ tab CR) are prefixed with a quote.
 */
export function exportStream(
  rows: AsyncIterable<AuditRow>,
  format: ExportFormat,
  onError: (error: Error) => void,
): Readable {
  if (format !== 'csv') {
    const stream = Readable.from(jsonChunks(rows, format));
    stream.once('error', onError);
    return stream;
  }
  const csv = stringify({
    header: true,
    columns: COLUMNS,
    bom: true, // so spreadsheet programs read UTF-8
    escape_formulas: true,
    cast: { boolean: (value) => String(value) },
  });
  return pipeline(Readable.from(records(rows)), csv, (error) => {
    if (error) onError(error);
  });
}
