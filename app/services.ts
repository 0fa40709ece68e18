import type { Config } from '../config/load.ts';
import type { AgentSessions } from './domain/agentSessions.ts';
import type { Signin } from './domain/signin/index.ts';
import type { TotpService } from './domain/totp/totp.ts';
import type { ChatService } from './domain/chats/chats.ts';
import type { ChatActions } from './domain/chatActions/chatActions.ts';
import type { RoutingService } from './domain/routing/routing.ts';
import type { RoutingRules } from './domain/routing/rules.ts';
import type { VisitorTokens } from './domain/visitorTokens.ts';
import type { Logger } from './log.ts';
import type { AuditLog } from './domain/audit/auditLog.ts';
import type { PasswordHasher } from './domain/passwords.ts';
import type { IpRules } from './domain/ipRules/ipRules.ts';
import type { ClamdClient } from './storage/clamd.ts';
import type { FileService } from './domain/files/files.ts';
import type { Db } from './storage/db.ts';
import type { RateLimits } from './domain/rateLimits/rateLimits.ts';
import type { RedisConnection } from './storage/redis.ts';
import type { Availability } from './domain/availability/availability.ts';
import type { SiteRoleWatch } from './domain/siteRole.ts';

/** Everything the transport layers need, built once at start and passed in. */
export interface Services {
  config: Config;
  db: Db;
  log: Logger;
  sessions: AgentSessions;
  /** Sign-in steps and their defences (CAPTCHA, lockout, address throttle). */
  signin: Signin;
  /** TOTP two-factor: enrolment, codes, recovery codes. */
  totp: TotpService;
  visitorTokens: VisitorTokens;
  chats: ChatService;
  /** Transfer, join, monitor, whisper (issue 14). */
  chatActions: ChatActions;
  /** Offers waiting chats to agents by each department's rule (issue 14). */
  routing: RoutingService;
  /** Admin › Routing: the rules and capacities routing follows. */
  routingRules: RoutingRules;
  /** File transfers in chat, scanned by clamd (issue 5). */
  files: FileService;
  clamd: ClamdClient;
  audit: AuditLog;
  /** The IP allow-lists for agent access. */
  ipRules: IpRules;
  /** Disconnects an agent's open sockets, e.g. at sign-out. */
  disconnectAgentSession(sessionHash: Buffer, reason: string): void;
  /** argon2id hashing with the configured parameters (account passwords). */
  passwords: PasswordHasher;
  /**
   * Disconnects every socket of one agent. `ended`: their sessions are over (deactivated, password
   * reset). Otherwise their privileges changed: the console reconnects and the handshake reloads grants.
   */
  disconnectAgent(agentId: number, reason: string, ended: boolean): void;
  /** Visitor limits per address and visitor token (issue 12), counted in Redis or memory. */
  rateLimits: RateLimits;
  /** The shared store of the limits; optional (null client when not configured). */
  redis: RedisConnection;
  /** Agent availability (issue 14): status, history, idle and offline sweeps, onChange. */
  availability: Availability;
  /** Primary or standby, as this site's database says (issue 15); a standby serves no chats. */
  siteRole: SiteRoleWatch;
}
