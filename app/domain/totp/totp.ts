import { Secret, TOTP } from 'otpauth';
import type { AgentRow } from '../../storage/agents.ts';
import { transaction, type Store } from '../../storage/store.ts';
import { totpRepo } from '../../storage/totp.ts';
import { errors } from '../errors.ts';
import { deriveKey } from '../signin/keys.ts';
import { qrPath } from './qr.ts';
import {
  RECOVERY_CODE_COUNT,
  generateRecoveryCode,
  hashRecoveryCode,
  normalizeRecoveryCode,
} from './recoveryCodes.ts';
import { secretBox } from './secretBox.ts';

// Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s — what every authenticator app
// speaks), one step of clock drift either way, and each step accepted at most once.
const PERIOD_SECONDS = 30;
const DIGITS = 6;
const WINDOW = 1;

export type CodeKind = 'totp' | 'recovery';
type RunInTransaction = (trx: Store) => Promise<unknown>;

export function totpService(
  db: Store,
  options: { secretKey: Buffer; issuer: string },
  now: () => Date = () => new Date(),
) {
  const repo = totpRepo(db);
  const box = secretBox(options.secretKey);
  const recoveryKey = deriveKey(options.secretKey, 'totp recovery code hash v1');
  const totpFor = (secret: Uint8Array, label = '') =>
    new TOTP({
      issuer: options.issuer,
      label,
      secret: new Secret({ buffer: Uint8Array.from(secret).buffer }),
      algorithm: 'SHA1',
      digits: DIGITS,
      period: PERIOD_SECONDS,
    });

  /** The time step a TOTP code belongs to, when it is valid now; null otherwise. */
  async function stepOf(agentId: number, code: string, confirmedOnly: boolean) {
    const row = await repo.byAgent(agentId);
    if (!row || (confirmedOnly && !row.enabled_at)) return null;
    const secret = box.open(agentId, row.secret);
    if (!secret) return null;
    const timestamp = now().getTime();
    const delta = totpFor(secret).validate({ token: code, timestamp, window: WINDOW });
    if (delta === null) return null;
    return Math.floor(timestamp / 1000 / PERIOD_SECONDS) + delta;
  }

  async function newRecoveryCodes(agentId: number, trx: Store) {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, generateRecoveryCode);
    const hashes = codes.map((code) =>
      hashRecoveryCode(recoveryKey, agentId, normalizeRecoveryCode(code)!),
    );
    await repo.replaceRecoveryCodes(agentId, hashes, now(), trx);
    return codes;
  }

  return {
    requirement: (agent: AgentRow) => repo.requirement(agent.id, agent.role),

    async status(agent: AgentRow) {
      const [row, requirement, recoveryCodesLeft] = await Promise.all([
        repo.byAgent(agent.id),
        repo.requirement(agent.id, agent.role),
        repo.recoveryCodesLeft(agent.id),
      ]);
      return {
        enabled: Boolean(row?.enabled_at),
        enabledAt: row?.enabled_at ?? null,
        requiredByRole: requirement.required,
        recoveryCodesLeft: row?.enabled_at ? recoveryCodesLeft : 0,
      };
    },

    /** A new secret to add to an authenticator app; TOTP stays off until a code confirms it. */
    async setup(agent: AgentRow) {
      const existing = await repo.byAgent(agent.id);
      if (existing?.enabled_at) throw errors.totpAlreadyEnabled();
      const secret = new Secret({ size: 20 });
      await repo.saveUnconfirmed(agent.id, box.seal(agent.id, secret.bytes), now());
      const uri = totpFor(secret.bytes, agent.email).toString();
      return { secret: secret.base32, uri, qr: qrPath(uri) };
    },

    /** Turns TOTP on with a first valid code; returns the recovery codes, shown only now. */
    async confirm(agent: AgentRow, code: string, audit: RunInTransaction): Promise<string[]> {
      const existing = await repo.byAgent(agent.id);
      if (existing?.enabled_at) throw errors.totpAlreadyEnabled();
      if (!existing) throw errors.totpSetupMissing();
      const step = await stepOf(agent.id, code, false);
      if (step === null || !(await repo.claimStep(agent.id, step))) throw errors.totpInvalid();
      return transaction(db, async (trx) => {
        if (Number(await repo.enable(agent.id, now(), trx)) !== 1)
          throw errors.totpAlreadyEnabled();
        const codes = await newRecoveryCodes(agent.id, trx);
        await audit(trx);
        return codes;
      });
    },

    /** Checks a TOTP code or a recovery code; each is accepted once. */
    async verify(agentId: number, input: string): Promise<CodeKind | null> {
      const compact = input.replace(/\s/g, '');
      if (/^\d{6}$/.test(compact)) {
        const step = await stepOf(agentId, compact, true);
        return step !== null && (await repo.claimStep(agentId, step)) ? 'totp' : null;
      }
      const normalized = normalizeRecoveryCode(compact);
      if (!normalized || !(await repo.byAgent(agentId))?.enabled_at) return null;
      const hash = hashRecoveryCode(recoveryKey, agentId, normalized);
      return (await repo.useRecoveryCode(agentId, hash, now())) ? 'recovery' : null;
    },

    /** Whether TOTP is on for the agent. */
    enabled: async (agentId: number) => Boolean((await repo.byAgent(agentId))?.enabled_at),

    /** Removes the secret and the recovery codes; returns whether TOTP was on. */
    disable(agentId: number, audit: RunInTransaction): Promise<boolean> {
      return transaction(db, async (trx) => {
        const row = await repo.byAgent(agentId, trx);
        await repo.remove(agentId, trx);
        await repo.removeRecoveryCodes(agentId, trx);
        await audit(trx);
        return Boolean(row?.enabled_at);
      });
    },

    regenerateRecoveryCodes(agentId: number, audit: RunInTransaction): Promise<string[]> {
      return transaction(db, async (trx) => {
        const codes = await newRecoveryCodes(agentId, trx);
        await audit(trx);
        return codes;
      });
    },

    recoveryCodesLeft: (agentId: number) => repo.recoveryCodesLeft(agentId),
  };
}

export type TotpService = ReturnType<typeof totpService>;
