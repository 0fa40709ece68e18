import type { Client } from '../agentSessions.ts';
import { errors } from '../errors.ts';
import type { EmailStanding, SigninDefences } from './defences.ts';
import type { TrustedDevice, TrustedDevices } from './devices.ts';
import type { SigninRecords } from './signinRecords.ts';

// Each sign-in try is counted before it is made: against the browser's own allowance when it is
// trusted for the account (a device cookie) and has some left, else against its source address.

/** Whose allowance a try counts against: a trusted browser's, or its address's (then its count). */
export type Allowance = { device: TrustedDevice } | { device: null; addressFailures: number };

export function signinTries(deps: {
  defences: SigninDefences;
  devices: TrustedDevices;
  records: SigninRecords;
}) {
  const { defences, devices } = deps;
  return {
    /** Reserves the try, or refuses it (`rate_limited`) when its address is over its limit. */
    async reserve(email: string, device: TrustedDevice | null, client: Client): Promise<Allowance> {
      if (device && (await devices.reserve(device))) return { device };
      const { retryAfterSeconds, failuresBefore } = await defences.reserveAddressTry(client.ip);
      if (retryAfterSeconds === 0) return { device: null, addressFailures: failuresBefore };
      const error = Object.assign(errors.signInRateLimited(retryAfterSeconds), {
        retryAfterSeconds,
      });
      return deps.records.refuse(error, 'rate_limited', email, undefined, client);
    },

    /** Gives back a reserved try that did not fail (signed in, or only asked for a CAPTCHA). */
    release: (allowance: Allowance, client: Client) =>
      allowance.device ? devices.release(allowance.device) : defences.releaseAddressTry(client.ip),

    /** The CAPTCHA this try needs: the address's failures count unless the browser is trusted. */
    captchaDemand: (standing: EmailStanding, allowance: Allowance) =>
      defences.captchaDemand(standing, allowance.device ? null : allowance.addressFailures),
  };
}
