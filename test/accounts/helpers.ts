import type { Db } from '../../app/storage/db.ts';
import { TEST_ORIGIN } from '../harness/config.ts';
import { createAgent } from '../harness/factories.ts';
import { signIn, type TestParley } from '../harness/parley.ts';

/** HTTP calls as one signed-in agent, from the console's origin. */
export function as(t: TestParley, cookie: string) {
  const send = (req: ReturnType<ReturnType<TestParley['http']>['get']>) =>
    req.set('Cookie', cookie).set('Origin', TEST_ORIGIN);
  return {
    get: (path: string) => send(t.http().get(path)),
    post: (path: string, body: object = {}) => send(t.http().post(path)).send(body),
    patch: (path: string, body: object) => send(t.http().patch(path)).send(body),
    put: (path: string, body: object) => send(t.http().put(path)).send(body),
    delete: (path: string) => send(t.http().delete(path)),
  };
}

export type Api = ReturnType<typeof as>;

/** A new agent of the role, signed in. */
export async function signedIn(
  t: TestParley,
  db: Db,
  overrides: Parameters<typeof createAgent>[1] = {},
) {
  const { agent, password } = await createAgent(db, overrides);
  const cookie = await signIn(t, agent.email, password);
  return { agent, password, cookie, api: as(t, cookie) };
}

/** The session cookie a response set (after sign-in or a rotation). */
export function cookieFrom(res: { headers: Record<string, unknown> }): string {
  const header = ([] as string[]).concat((res.headers['set-cookie'] as string[]) ?? []);
  const session = header.find((c) => c.startsWith('__Host-parley_session=') && !c.includes('=;'));
  if (!session) throw new Error('no session cookie set');
  return session.split(';')[0]!;
}

export interface AuditRowView {
  action: string;
  outcome: string;
  target_kind: string;
  target_id: string;
  actor_id: number | null;
  details: Record<string, unknown> | null;
}

export async function auditEntries(db: Db, action?: string): Promise<AuditRowView[]> {
  type Raw = Omit<AuditRowView, 'details'> & { details: unknown };
  const rows: Raw[] = await db('audit_events')
    .modify((query) => {
      if (action) void query.where({ action });
    })
    .orderBy('id')
    .select('action', 'outcome', 'target_kind', 'target_id', 'actor_id', 'details');
  return rows.map((row) => ({
    ...row,
    actor_id: row.actor_id === null ? null : Number(row.actor_id),
    details: (typeof row.details === 'string' ? JSON.parse(row.details) : row.details) as Record<
      string,
      unknown
    > | null,
  }));
}

/** A password that meets every rule of the strictest policy the tests set. */
export const STRONG = 'Zq7!vLp2#Rm9xT';
export const STRONG_2 = 'Hw4%kNc8@Jt3bY';
export const STRONG_3 = 'Pd6^sGe5&Qa2mV';
