import { knexOf } from './db.ts';
import type { Store } from './store.ts';

export interface TotpRow {
  agent_id: number;
  secret: Buffer;
  created_at: Date;
  enabled_at: Date | null;
  last_step: number | null;
}

export interface PendingSigninRow {
  id_hash: Buffer;
  agent_id: number;
  expires_at: Date;
  failures: number;
  ip: string;
  user_agent: string;
}

const affected = (result: unknown) => Number(result);

/** TOTP secrets, recovery codes, and sign-ins waiting for their code. */
export function totpRepo(store: Store) {
  const db = knexOf(store);
  return {
    byAgent: (agentId: number, tx: Store = db) =>
      knexOf(tx)<TotpRow>('agent_totp').where({ agent_id: agentId }).first(),
    /** Starts (or restarts) an enrolment that is not yet confirmed. */
    saveUnconfirmed: (agentId: number, secret: Buffer, at: Date) =>
      db('agent_totp')
        .insert({ agent_id: agentId, secret, created_at: at, enabled_at: null, last_step: null })
        .onConflict('agent_id')
        .merge(['secret', 'created_at', 'enabled_at', 'last_step']),
    enable: (agentId: number, at: Date, tx: Store) =>
      knexOf(tx)('agent_totp')
        .where({ agent_id: agentId })
        .whereNull('enabled_at')
        .update({ enabled_at: at }),
    remove: (agentId: number, tx: Store = db) =>
      knexOf(tx)('agent_totp').where({ agent_id: agentId }).delete(),
    /** Moves the last accepted time step forward; false when `step` was already used (a replay). */
    async claimStep(agentId: number, step: number): Promise<boolean> {
      const updated = await db('agent_totp')
        .where({ agent_id: agentId })
        .whereRaw('(last_step IS NULL OR last_step < ?)', [step])
        .update({ last_step: step });
      return affected(updated) === 1;
    },
    /** Whether the agent's role requires TOTP, and whether the agent has it on. */
    async requirement(agentId: number, role: string) {
      const row = await db('roles')
        .leftJoin('agent_totp', (join) =>
          join.on('agent_totp.agent_id', '=', db.raw('?', [agentId])),
        )
        .where('roles.name', role)
        .first<{ require_totp: number; enabled_at: Date | null } | undefined>(
          'roles.require_totp',
          'agent_totp.enabled_at',
        );
      return { required: Boolean(row?.require_totp), enabled: Boolean(row?.enabled_at) };
    },

    replaceRecoveryCodes: async (agentId: number, hashes: Buffer[], at: Date, tx: Store) => {
      await knexOf(tx)('agent_recovery_codes').where({ agent_id: agentId }).delete();
      await knexOf(tx)('agent_recovery_codes').insert(
        hashes.map((code_hash) => ({ agent_id: agentId, code_hash, created_at: at })),
      );
    },
    removeRecoveryCodes: (agentId: number, tx: Store = db) =>
      knexOf(tx)('agent_recovery_codes').where({ agent_id: agentId }).delete(),
    /** Marks a recovery code used; false when it is unknown or was used before. */
    async useRecoveryCode(agentId: number, codeHash: Buffer, at: Date): Promise<boolean> {
      const updated = await db('agent_recovery_codes')
        .where({ agent_id: agentId, code_hash: codeHash })
        .whereNull('used_at')
        .update({ used_at: at });
      return affected(updated) === 1;
    },
    recoveryCodesLeft: async (agentId: number) =>
      Number(
        (
          await db('agent_recovery_codes')
            .where({ agent_id: agentId })
            .whereNull('used_at')
            .count({ n: '*' })
            .first()
        )?.n ?? 0,
      ),

    insertPending: (row: PendingSigninRow) => db('signin_pending').insert(row),
    pending: (idHash: Buffer) =>
      db<PendingSigninRow>('signin_pending').where({ id_hash: idHash }).first(),
    pendingFailed: (idHash: Buffer) =>
      db('signin_pending').where({ id_hash: idHash }).increment('failures', 1),
    /** Deletes the pending sign-in; false when another request already took it. */
    async takePending(idHash: Buffer): Promise<boolean> {
      return affected(await db('signin_pending').where({ id_hash: idHash }).delete()) === 1;
    },
    purgePending: (at: Date) => db('signin_pending').where('expires_at', '<=', at).delete(),
  };
}

export type TotpRepo = ReturnType<typeof totpRepo>;
