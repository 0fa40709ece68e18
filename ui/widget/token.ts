import type { VisitorTokenResponse } from '../../app/shared/protocol.ts';
import { HttpError, requestJson } from '../shared/http.ts';
import { withRetryAfter } from '../shared/retryAfter.ts';
import { whileStandby } from '../shared/standby.ts';
import { readItem, writeItem } from './storage.ts';

/** Kept in the customer page's localStorage so a returning visitor keeps their identity. */
const TOKEN_KEY = 'parley.visitorToken';

export function readSavedToken(): string | null {
  return readItem(() => localStorage, TOKEN_KEY);
}

function saveToken(token: string | null): void {
  writeItem(() => localStorage, TOKEN_KEY, token);
}

/**
 * Exchanges the saved token (if any) for a current one; a refused saved token is forgotten. While
 * the site is a standby (issue 15) it asks again as told, telling `onStandby`, until it serves.
 */
export async function issueToken(origin: string, onStandby = () => {}): Promise<string> {
  const url = `${origin}/api/visitor/token`;
  const saved = readSavedToken();
  // Past a visitor limit (issue 12) the server says how long to wait: wait, then ask again.
  const ask = (body: { token?: string }) =>
    whileStandby(
      () =>
        withRetryAfter(() =>
          requestJson<VisitorTokenResponse>(url, { method: 'POST', body, credentials: 'omit' }),
        ),
      onStandby,
    );
  let reply: VisitorTokenResponse;
  try {
    reply = await ask(saved ? { token: saved } : {});
  } catch (error) {
    const refused = error instanceof HttpError && [400, 401, 403].includes(error.status);
    if (!saved || !refused) throw error;
    saveToken(null);
    reply = await ask({});
  }
  saveToken(reply.token);
  return reply.token;
}
