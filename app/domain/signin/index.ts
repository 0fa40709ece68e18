import type { Config } from '../../../config/load.ts';
import { signinFailuresRepo } from '../../storage/signinFailures.ts';
import type { Db } from '../../storage/db.ts';
import type { AuditLog } from '../audit/auditLog.ts';
import type { AgentSessions } from '../agentSessions.ts';
import { totpService } from '../totp/totp.ts';
import { captcha } from './captcha.ts';
import { signinDefences } from './defences.ts';
import { signInFlow, type AddressCheck } from './signIn.ts';

/** Sign-in defences, the CAPTCHA, TOTP and the sign-in flow, built once from the configuration. */
export function signinServices(
  deps: {
    config: Config;
    db: Db;
    sessions: AgentSessions;
    audit: AuditLog;
    checkAddress?: AddressCheck;
  },
  now: () => Date = () => new Date(),
) {
  const { config, db } = deps;
  const env = config.env;
  const repo = signinFailuresRepo(db);
  const defences = signinDefences(
    repo,
    config.secretKey,
    {
      captchaAfter: env.PARLEY_SIGNIN_CAPTCHA_AFTER,
      lockAfter: env.PARLEY_SIGNIN_LOCK_AFTER,
      lockMinutes: env.PARLEY_SIGNIN_LOCK_MINUTES,
      addressMaxFailures: env.PARLEY_SIGNIN_IP_MAX_FAILURES,
      addressWindowMinutes: env.PARLEY_SIGNIN_IP_WINDOW_MINUTES,
    },
    now,
  );
  const challenges = captcha(config.secretKey, env.PARLEY_SIGNIN_CAPTCHA_MAX_NUMBER, repo, now);
  const totp = totpService(
    db,
    { secretKey: config.secretKey, issuer: env.PARLEY_TOTP_ISSUER },
    now,
  );
  const flow = signInFlow({ ...deps, defences, captcha: challenges, totp }, now);
  return { signin: { ...flow, defences, captcha: challenges }, totp };
}

export type SigninServices = ReturnType<typeof signinServices>;
export type Signin = SigninServices['signin'];
