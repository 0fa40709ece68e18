// Every text column of every table, and how outside input reaches it (issue 12). The test that
// uses this list reads the columns from the database's information schema after migrations: a new
// column with no entry here fails it, so whoever adds a column must say how input reaches it.
//
//   written   tags of input paths (inputPaths.ts) that write a card number into the column; the
//             test checks each tag arrived there, masked
//   refused   tags of input paths that try to write a card number into it and must be refused
//   none      why no outside input can reach it

export type ColumnInputs =
  | { written: string[]; refused?: string[] }
  | { refused: string[]; written?: undefined }
  | { none: string };

const serverMade = (what: string): ColumnInputs => ({ none: `made by the server: ${what}` });
const address: ColumnInputs = {
  none: 'a client address parsed by clientAddress() (IPv4 has at most 12 digits, IPv6 groups 4), or "unknown"',
};
const enumColumn: ColumnInputs = { none: 'an ENUM: the database accepts only its listed values' };

export const COLUMN_INPUTS: Record<string, ColumnInputs> = {
  'agents.email': { refused: ['agent-email'] },
  'agents.name': { written: ['agent-name', 'agent-rename'] },
  'agents.password_hash': serverMade('an argon2id hash'),
  'agents.role': { refused: ['agent-role'] },
  'agent_conversations.kind': enumColumn,
  'agent_groups.name': { written: ['group-name'] },
  'agent_groups.description': { written: ['group-desc'] },
  'agent_messages.client_id': { refused: ['agent-chat-client-id'] },
  'agent_messages.body': { written: ['agent-chat-message'] },
  'agent_presence.status': enumColumn,
  'agent_presence.cause': enumColumn,
  'agent_sockets.socket_id': serverMade('a Socket.IO socket id (random base64url)'),
  'agent_sockets.process_id': serverMade('a random hex id per app process'),
  'agent_status_history.status': enumColumn,
  'agent_status_history.previous': enumColumn,
  'agent_status_history.cause': enumColumn,
  'agent_sessions.ip': address,
  'agent_sessions.user_agent': { written: ['ua-signin'] },
  'audit_events.actor_kind': enumColumn,
  'audit_events.actor_label': { written: ['typed-email'] },
  'audit_events.ip': address,
  'audit_events.user_agent': { written: ['ua-signin', 'ua-socket', 'ua-upload'] },
  'audit_events.action': serverMade('an action name from the code'),
  'audit_events.target_kind': serverMade('a kind name from the code'),
  'audit_events.target_id': {
    none: 'ids: numbers, visitor UUIDs, or role names (a role name holding a card number is refused: see roles.name)',
  },
  'audit_events.outcome': enumColumn,
  'audit_events.details': {
    written: ['dept-name', 'group-desc', 'hold-reason-chat', 'rule-note', 'audit-query'],
  },
  'chat_offers.outcome': enumColumn,
  'chat_offers.reason': { written: ['offer-refusal'] },
  'canned_messages.scope': enumColumn,
  'canned_messages.scope_key': serverMade("'agent:<id>', 'department:<id>' or 'global'"),
  'canned_messages.shortcut': { refused: ['canned-shortcut'] },
  'canned_messages.title': { written: ['canned-title', 'canned-title-personal'] },
  'canned_messages.body': { written: ['canned-text', 'canned-text-edited'] },
  'chat_participants.role': enumColumn,
  'chats.visitor_id': serverMade('the visitor id, a UUID from a signed token'),
  'chats.status': enumColumn,
  'chats.visitor_name': { written: ['prechat-name'] },
  'chats.visitor_email': { written: ['prechat-email'] },
  'chats.question': { written: ['prechat-question'] },
  'chats.ended_by': enumColumn,
  'chats.legal_hold_reason': { written: ['hold-reason-chat'] },
  'routing_rules.mode': enumColumn,
  'departments.name': { written: ['dept-name'] },
  'departments.description': { written: ['dept-desc'] },
  'departments.visitor_name': { written: ['dept-visitor-name'] },
  'files.uploader_kind': enumColumn,
  'files.uploader_visitor_id': serverMade('the visitor id, a UUID from a signed token'),
  'files.name': { written: ['file-name'] },
  'files.type': serverMade('the type sniffed from the content, from a fixed list'),
  'files.storage_key': serverMade('32 random hex characters'),
  'files.scanner': serverMade("clamd's version line"),
  'dr_file_shipments.storage_key': serverMade(
    "a stored file's storage key, 32 random hex characters",
  ),
  'dr_failovers.kind': serverMade('failover or failback'),
  'dr_failovers.from_site': serverMade('a database address host:port from the settings'),
  'dr_failovers.to_site': serverMade('a database address host:port from the settings'),
  'dr_failovers.recovery_point': serverMade('a GTID gap described by make failover'),
  'dr_failovers.promoted_at_gtid': serverMade("MariaDB's GTID position"),
  'dr_failovers.by': serverMade('make failover and the operating system user'),
  'ip_rules.scope': enumColumn,
  'ip_rules.role': { refused: ['rule-role'] },
  'ip_rules.cidr': { refused: ['rule-cidr'] },
  'ip_rules.note': { written: ['rule-note'] },
  'knex_migrations.name': serverMade('migration file names'),
  'messages.client_id': { refused: ['client-id', 'upload-client-id'] },
  'messages.author_kind': enumColumn,
  'messages.body': {
    written: ['visitor-message', 'agent-message', 'prechat-question', 'file-name'],
  },
  'password_history.password_hash': serverMade('an argon2id hash'),
  'password_history.reason': enumColumn,
  'permission_grants.permission': serverMade('a permission of the catalogue (validated as one)'),
  'permission_grants.role': { refused: ['grant-role'] },
  'permission_grants.scope': enumColumn,
  'permission_grants.scope_ids': serverMade('a JSON list of department or group ids (integers)'),
  'roles.name': { refused: ['role-name'] },
  'roles.description': { written: ['role-desc'] },
  'settings.key': serverMade('a setting name from the code'),
  'settings.value': {
    none: 'settings are numbers and booleans checked by their schemas (password policy, card masking); the boundary still masks inside the JSON',
  },
  'signin_address_failures.address': address,
  'signin_pending.ip': address,
  'signin_pending.user_agent': { written: ['ua-totp'] },
  'signin_refusal_emails.address': address,
  'signin_refusal_windows.address': address,
  'signin_refusal_windows.reasons': serverMade('{reason: count}, the reasons named in the code'),
  'visitors.id': serverMade('a UUID from a signed token'),
  'visitors.name': { written: ['prechat-name'] },
  'visitors.email': { written: ['prechat-email'] },
  'visitors.legal_hold_reason': { written: ['hold-reason-visitor'] },
};
