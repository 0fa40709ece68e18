import { hostname as osHostname } from 'node:os';
import type { AuditRow } from './chain.ts';

// One RFC 5424 message for each committed audit entry, as a SIEM reads it. Pure: the transports,
// their queue and drop counting are app/storage/syslogSink.ts; auditForwarding.ts joins the two.

// RFC 5424 section 6.2.1: facility 13 is "log audit"; severity 6 informational, 4 warning.
const FACILITY_LOG_AUDIT = 13;
// RFC 5424 section 7.2.2 asks for name@<private enterprise number>; Parley has none registered,
// so it uses 32473, the number reserved for documentation and examples (RFC 5612).
export const SD_ID = 'parley@32473';
const BOM = '\u{FEFF}';
const SD_VALUE_MAX = 200;

/** PRINTUSASCII only (no spaces), at most `max` characters, `-` when nothing is left. */
function headerField(value: string, max: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return printable === '' ? '-' : printable;
}

/** A PARAM-VALUE: `"`, `\` and `]` escaped (RFC 5424 section 6.3.3). */
function sdValue(value: string): string {
  return Array.from(value)
    .slice(0, SD_VALUE_MAX)
    .join('')
    .replace(/["\\\]]/g, '\\$&');
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  // Back off to a character boundary.
  let end = Math.max(0, maxBytes);
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}

export interface FormatOptions {
  appName: string;
  hostname?: string;
  procId?: string | number;
  /** The transport's limit: the message is cut (between characters) to fit. */
  maxBytes: number;
}

/** One RFC 5424 message for an audit entry. */
export function formatSyslog(row: AuditRow, options: FormatOptions): Buffer {
  const severity = row.outcome === 'success' ? 6 : 4;
  const target = row.target_kind || row.target_id ? `${row.target_kind}:${row.target_id}` : '';
  const params: [string, string | number | null][] = [
    ['id', row.id],
    ['hash', row.hash.toString('hex')],
    ['action', row.action],
    ['outcome', row.outcome],
    ['actorKind', row.actor_kind],
    ['actorId', row.actor_id],
    ['actor', row.actor_label],
    ['target', target],
    ['departmentId', row.department_id],
    ['ip', row.ip],
    ['userAgent', row.user_agent],
  ];
  const sd = `[${SD_ID}${params
    .filter(([, value]) => value !== null && value !== '')
    .map(([name, value]) => ` ${name}="${sdValue(String(value))}"`)
    .join('')}]`;
  const header = [
    `<${FACILITY_LOG_AUDIT * 8 + severity}>1`,
    row.at.toISOString(),
    headerField(options.hostname ?? osHostname(), 255),
    headerField(options.appName, 48),
    headerField(String(options.procId ?? process.pid), 128),
    headerField(row.action, 32),
    sd,
  ].join(' ');
  const who = row.actor_label || row.actor_kind;
  const summary = `${who} ${row.action}${target ? ` ${target}` : ''} ${row.outcome}`;
  const message = row.details ? `${summary} ${row.details}` : summary;
  const room = options.maxBytes - Buffer.byteLength(`${header} ${BOM}`);
  return Buffer.from(`${header} ${BOM}${truncateUtf8(message, room)}`, 'utf8');
}
