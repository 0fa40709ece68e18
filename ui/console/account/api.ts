import type { AgentView } from '../../../app/shared/protocol.ts';
import type { CaptchaChallenge, CaptchaPayload } from '../../shared/captcha.ts';
import { HttpError, requestJson } from '../../shared/http.ts';

// The console's calls for sign-in, two-factor and sessions (issue 4, part B).

export type Restriction = 'totp_enrollment';

export interface SignedIn {
  agent: AgentView;
  restriction?: Restriction;
}

export type PasswordStepReply = SignedIn | { next: 'code' };

export interface TotpStatus {
  enabled: boolean;
  enabledAt: string | null;
  requiredByRole: boolean;
  recoveryCodesLeft: number;
}

export interface TotpSetup {
  secret: string;
  uri: string;
  qr: { size: number; path: string };
}

export interface SessionView {
  handle: string;
  agent: { id: number; name: string; email: string };
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string;
  userAgent: string;
  current: boolean;
}

export interface LockView {
  agent: { id: number; name: string; email: string };
  failures: number;
  lockedUntil: string;
}

const get = <T>(url: string) => requestJson<T>(url, { method: 'GET', credentials: 'same-origin' });
const post = <T>(url: string, body: unknown = {}) =>
  requestJson<T>(url, { method: 'POST', body, credentials: 'same-origin' });
const remove = (url: string) =>
  requestJson<unknown>(url, { method: 'DELETE', credentials: 'same-origin' });

/** The session this browser has, with any restriction; null when signed out. */
export async function sessionState(): Promise<SignedIn | null> {
  try {
    return await get<SignedIn>('/api/agent/session');
  } catch (error) {
    if (error instanceof HttpError && error.status === 401) return null;
    throw error;
  }
}

export const signInWithPassword = (body: {
  email: string;
  password: string;
  captcha?: CaptchaPayload;
}) => post<PasswordStepReply>('/api/agent/session', body);

export const signInWithCode = (code: string) => post<SignedIn>('/api/agent/session/totp', { code });

/** A challenge for the next sign-in try of this email: its work grows with recent failures. */
export const captchaChallenge = (email: string) =>
  post<{ challenge: CaptchaChallenge; maxNumber: number }>('/api/agent/captcha', { email });

export const totpStatus = () => get<TotpStatus>('/api/agent/totp');
export const totpSetup = () => post<TotpSetup>('/api/agent/totp/setup');
export const totpConfirm = (code: string) =>
  post<{ recoveryCodes: string[] }>('/api/agent/totp/confirm', { code });
export const totpDisable = (password: string, code: string) =>
  post<null>('/api/agent/totp/disable', { password, code });
export const renewRecoveryCodes = (password: string, code: string) =>
  post<{ recoveryCodes: string[] }>('/api/agent/totp/recovery-codes', { password, code });

export const mySessions = () => get<{ sessions: SessionView[] }>('/api/agent/sessions');
export const endMySession = (handle: string) => remove(`/api/agent/sessions/${handle}`);

export const allSessions = () => get<{ sessions: SessionView[] }>('/api/sessions');
export const endAnySession = (handle: string) => remove(`/api/sessions/${handle}`);
export const lockedAccounts = () => get<{ locks: LockView[] }>('/api/signin/locks');
export const unlockAgent = (agentId: number) =>
  post<{ unlocked: boolean }>(`/api/agents/${agentId}/unlock`);

export const messageOf = (failure: unknown, fallback: string) =>
  failure instanceof Error ? failure.message : fallback;

export const when = (iso: string) =>
  new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
