import type { Config } from '../../../config/load.ts';
import { signinFailuresRepo } from '../../storage/signinFailures.ts';
import type { Store } from '../../storage/store.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { AgentSessions } from '../agentSessions.ts';
import { totpService } from '../totp/totp.ts';
import { captcha } from './captcha.ts';
import { signinDefences, type DefencePolicy } from './defences.ts';
import { trustedDevices } from './devices.ts';
import { countedRefusals } from './refusals.ts';
import { signinRecords } from './signinRecords.ts';
import { signInFlow, type AddressCheck } from './signIn.ts';

/** The sign-in defences' settings, from the configuration. */
export function defencePolicy(env: Config['env']): DefencePolicy {
  return {
    captchaAfter: env.PARLEY_SIGNIN_CAPTCHA_AFTER,
    lockAfter: env.PARLEY_SIGNIN_LOCK_AFTER,
    lockMinutes: env.PARLEY_SIGNIN_LOCK_MINUTES,
    addressMaxFailures: env.PARLEY_SIGNIN_IP_MAX_FAILURES,
    addressWindowMinutes: env.PARLEY_SIGNIN_IP_WINDOW_MINUTES,
    addressCaptchaAfter: env.PARLEY_SIGNIN_IP_CAPTCHA_AFTER,
    captchaStart: env.PARLEY_SIGNIN_CAPTCHA_MAX_NUMBER,
    captchaCap: env.PARLEY_SIGNIN_CAPTCHA_MAX_NUMBER_CAP,
  };
}

/**
 * What runs outside any request: closing ended windows of counted refusals (their summaries) and
 * forgetting browsers whose trust ran out. The worker runs it periodically; audit searches close
 * windows too.
 */
export function signinUpkeep(
  deps: { config: Config; db: Store; audit: AuditLog },
  now: () => Date = () => new Date(),
) {
  const env = deps.config.env;
  const refusals = countedRefusals(
    deps.db,
    deps.audit,
    { windowMinutes: env.PARLEY_SIGNIN_SUMMARY_MINUTES },
    now,
  );
  const devices = trustedDevices(
    deps.db,
    deps.config.secretKey,
    {
      maxFailures: env.PARLEY_SIGNIN_DEVICE_MAX_FAILURES,
      windowMinutes: env.PARLEY_SIGNIN_IP_WINDOW_MINUTES,
      days: env.PARLEY_SIGNIN_DEVICE_DAYS,
    },
    now,
  );
  return {
    refusals,
    devices,
    async run() {
      const summaries = await refusals.closeEnded();
      const devicesForgotten = Number(await devices.purge());
      return { summaries, devicesForgotten };
    },
  };
}

/** Sign-in defences, the CAPTCHA, TOTP and the sign-in flow, built once from the configuration. */
export function signinServices(
  deps: {
    config: Config;
    db: Store;
    sessions: AgentSessions;
    audit: AuditLog;
    checkAddress?: AddressCheck;
  },
  now: () => Date = () => new Date(),
) {
  const { config, db } = deps;
  const env = config.env;
  const repo = signinFailuresRepo(db);
  const defences = signinDefences(repo, config.secretKey, defencePolicy(env), now);
  const challenges = captcha(config.secretKey, repo, now);
  const totp = totpService(
    db,
    { secretKey: config.secretKey, issuer: env.PARLEY_TOTP_ISSUER },
    now,
  );
  const upkeep = signinUpkeep(deps, now);
  const { refusals, devices } = upkeep;
  const records = signinRecords({ audit: deps.audit, refusals, emailHashOf: defences.emailHashOf });
  const flow = signInFlow({ ...deps, defences, captcha: challenges, totp, devices, records }, now);
  return { signin: { ...flow, defences, captcha: challenges, devices, upkeep }, totp };
}

export type SigninServices = ReturnType<typeof signinServices>;
export type Signin = SigninServices['signin'];
