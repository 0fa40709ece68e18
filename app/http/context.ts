import type { Router, RouterContext } from '@koa/router';
import type { Logger } from '../log.ts';
import type { Grants } from '../domain/permissions/policy.ts';
import type { AgentRow } from '../storage/agents.ts';

export interface ParleyState {
  requestId: string;
  log: Logger;
  /** The client's address: the peer, or X-Forwarded-For via trusted proxies (clientAddress.ts). */
  clientIp: string;
  input: unknown;
  agent?: AgentRow;
  grants?: Grants;
  /** Set by the 'visitor' requirement from the bearer visitor token. */
  visitorId?: string;
  sessionHash?: Buffer;
}

export type ParleyContext = RouterContext<ParleyState>;
export type ParleyRouter = Router<ParleyState>;
