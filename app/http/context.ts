import type { Router, RouterContext } from '@koa/router';
import type { Config } from '../../config/load.ts';
import type { AgentSessions } from '../domain/agentSessions.ts';
import type { ChatService } from '../domain/chats.ts';
import type { VisitorTokens } from '../domain/visitorTokens.ts';
import type { Logger } from '../log.ts';
import type { Grants } from '../domain/permissions/policy.ts';
import type { AuditLog } from '../domain/audit/auditLog.ts';
import type { AgentRow } from '../storage/agents.ts';
import type { ClamdClient } from '../storage/clamd.ts';
import type { Db } from '../storage/db.ts';

/** Everything the transport layers need, built once at start and passed in. */
export interface Services {
  config: Config;
  db: Db;
  log: Logger;
  sessions: AgentSessions;
  visitorTokens: VisitorTokens;
  chats: ChatService;
  clamd: ClamdClient;
  audit: AuditLog;
  /** Disconnects an agent's open sockets, e.g. at sign-out. */
  disconnectAgentSession(sessionHash: Buffer, reason: string): void;
}

export interface ParleyState {
  requestId: string;
  log: Logger;
  input: unknown;
  agent?: AgentRow;
  grants?: Grants;
  sessionHash?: Buffer;
}

export type ParleyContext = RouterContext<ParleyState>;
export type ParleyRouter = Router<ParleyState>;
