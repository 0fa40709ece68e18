import type { AgentView, SignInRequest, SignInResponse } from '../../../app/shared/protocol.ts';
import { HttpError, requestJson } from '../../shared/http.ts';

const SESSION_URL = '/api/agent/session';

/** The signed-in agent, or null when there is no session (401). */
export async function currentAgent(): Promise<AgentView | null> {
  try {
    const reply = await requestJson<SignInResponse>(SESSION_URL, {
      method: 'GET',
      credentials: 'same-origin',
    });
    return reply.agent;
  } catch (error) {
    if (error instanceof HttpError && error.status === 401) return null;
    throw error;
  }
}

export async function signIn(credentials: SignInRequest): Promise<AgentView> {
  const reply = await requestJson<SignInResponse>(SESSION_URL, {
    method: 'POST',
    body: credentials,
    credentials: 'same-origin',
  });
  return reply.agent;
}

export async function signOut(): Promise<void> {
  await requestJson<unknown>(SESSION_URL, { method: 'DELETE', credentials: 'same-origin' });
}
