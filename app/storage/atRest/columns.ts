// Every text column Parley stores, and what the storage boundary does to a value written to it
// (issue 12: no card number at rest, whatever the input). `guard.ts` applies this to every INSERT
// and UPDATE knex sends; a string written to a column missing here is refused, and a test compares
// this list with the database's own information schema after migrations.
//
//  text     free text from outside (visitor, agent, admin, HTTP header): card numbers masked,
//           security codes removed, then cut to the column's length in characters
//  json     a JSON document: every string, key and card-number-shaped number inside masked
//  uuid     an identifier the server made at random (visitor ids): a canonical UUID, which by its
//           form is not a card number (one in ~50,000 random UUIDs has hex groups that would read
//           as one, so they are not checked: a visitor cannot choose it, it is signed)
//  checked  an identifier, enum or server-made value whose validation already keeps card numbers
//           out, or text masked before it was hashed (the audit log): a value holding a card
//           number is refused (the write fails) rather than changed behind the caller's back

export type ColumnKind =
  | { kind: 'text'; max: number }
  | { kind: 'json' }
  | { kind: 'checked'; json?: true }
  | { kind: 'uuid' };

const text = (max: number): ColumnKind => ({ kind: 'text', max });
const json: ColumnKind = { kind: 'json' };
const checked: ColumnKind = { kind: 'checked' };
const checkedJson: ColumnKind = { kind: 'checked', json: true };
const uuid: ColumnKind = { kind: 'uuid' };
/** A TEXT column holds 65,535 bytes: 16,383 characters of up to four bytes each. */
const TEXT_CHARS = 16_383;

export const COLUMNS: Readonly<Record<string, Readonly<Record<string, ColumnKind>>>> = {
  agents: { email: checked, name: text(100), password_hash: checked, role: checked },
  agent_conversations: { kind: checked },
  agent_groups: { name: text(100), description: text(255) },
  agent_messages: { client_id: checked, body: text(TEXT_CHARS) },
  agent_presence: { status: checked, cause: checked },
  agent_sockets: { socket_id: checked, process_id: checked },
  agent_status_history: { status: checked, previous: checked, cause: checked },
  agent_sessions: { ip: checked, user_agent: text(255) },
  canned_messages: {
    scope: checked,
    scope_key: checked,
    shortcut: checked,
    title: text(100),
    body: text(4000),
  },
  audit_events: {
    actor_kind: checked,
    actor_label: checked,
    ip: checked,
    user_agent: checked,
    action: checked,
    target_kind: checked,
    target_id: checked,
    outcome: checked,
    details: checkedJson,
  },
  chat_participants: { role: checked },
  chat_offers: { outcome: checked, reason: text(500) },
  chats: {
    visitor_id: uuid,
    status: checked,
    visitor_name: text(100),
    visitor_email: text(254),
    question: text(1000),
    ended_by: checked,
    legal_hold_reason: text(500),
  },
  departments: { name: text(100), description: text(255), visitor_name: text(100) },
  dr_file_shipments: { storage_key: checked },
  dr_failovers: {
    kind: checked,
    from_site: checked,
    to_site: checked,
    recovery_point: checked,
    promoted_at_gtid: checked,
    by: checked,
  },
  routing_rules: { mode: checked },
  files: {
    uploader_kind: checked,
    uploader_visitor_id: uuid,
    name: text(255),
    type: checked,
    storage_key: checked,
    scanner: checked,
  },
  ip_rules: { scope: checked, role: checked, cidr: checked, note: text(200) },
  knex_migrations: { name: checked },
  messages: { client_id: checked, author_kind: checked, body: text(TEXT_CHARS) },
  password_history: { password_hash: checked, reason: checked },
  permission_grants: { permission: checked, role: checked, scope: checked, scope_ids: checkedJson },
  roles: { name: checked, description: text(255) },
  settings: { key: checked, value: json },
  signin_address_failures: { address: checked },
  signin_pending: { ip: checked, user_agent: text(255) },
  signin_refusal_emails: { address: checked },
  signin_refusal_windows: { address: checked, reasons: checkedJson },
  visitors: { id: uuid, name: text(100), email: text(254), legal_hold_reason: text(500) },
};

/** What the boundary does with a column; undefined for a column it does not know. */
export function columnKind(table: string, column: string): ColumnKind | undefined {
  return Object.hasOwn(COLUMNS, table) && Object.hasOwn(COLUMNS[table]!, column)
    ? COLUMNS[table]![column]
    : undefined;
}
