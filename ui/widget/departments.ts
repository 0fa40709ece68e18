import type {
  OfferedDepartment,
  OfferedDepartmentsResponse,
} from '../../app/shared/departments.ts';
import { issueToken, readSavedToken } from './token.ts';

// The departments the pre-chat form offers (issue 14), read cross-origin with the visitor's token.

async function fetchWith(origin: string, token: string): Promise<Response> {
  return fetch(`${origin}/api/visitor/departments`, {
    credentials: 'omit',
    headers: { Accept: 'application/json', Authorization: `Bearer ${token}` },
  });
}

/** The offered departments; an empty list when none is offered or the server cannot be reached. */
export async function offeredDepartments(origin: string): Promise<OfferedDepartment[]> {
  try {
    const saved = readSavedToken();
    let response = saved ? await fetchWith(origin, saved) : null;
    // No token yet, or an expired one: ask for a current token once.
    if (!response || response.status === 401)
      response = await fetchWith(origin, await issueToken(origin));
    if (!response.ok) return [];
    return ((await response.json()) as OfferedDepartmentsResponse).departments;
  } catch {
    return []; // Starting a chat still works; the server says if a department must be chosen.
  }
}
