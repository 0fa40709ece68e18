import { z } from 'zod';

// Issue 15: the files volume follows the database to the standby. New blobs are shipped over SFTP
// (key-based login, the host key pinned) into the standby's files directory. Empty host: off.

const port = z.coerce
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(1)
  .max(65535);

export const drFilesSchema = {
  PARLEY_DR_FILES_SFTP_HOST: z.string().trim().default(''),
  PARLEY_DR_FILES_SFTP_PORT: port.default(22),
  PARLEY_DR_FILES_SFTP_USER: z.string().trim().default(''),
  PARLEY_DR_FILES_SFTP_KEY_FILE: z.string().default(''),
  PARLEY_DR_FILES_SFTP_HOST_KEY: z
    .string()
    .trim()
    .regex(/^$|^SHA256:[A-Za-z0-9+/]{43}$/, 'must be a fingerprint like SHA256:… (ssh-keygen -lf)')
    .default(''),
  // The standby's PARLEY_FILES_DIR as the SFTP login sees it; blobs go to <path>/store/<name>.
  PARLEY_DR_FILES_SFTP_PATH: z.string().trim().default(''),
  PARLEY_DR_FILES_SHIP_INTERVAL_MS: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(100, 'must be at least 100')
    .max(3_600_000, 'must be at most 3600000 (an hour)')
    .default(1000),
};

type DrFilesEnv = { [K in keyof typeof drFilesSchema]: z.infer<(typeof drFilesSchema)[K]> };

/** A host needs the rest of the login, and above all a pinned host key: never trust on first use. */
export function drFilesProblems(env: DrFilesEnv): string[] {
  if (!env.PARLEY_DR_FILES_SFTP_HOST) return [];
  const needed = {
    PARLEY_DR_FILES_SFTP_HOST_KEY: 'the standby host key fingerprint, SHA256:… (ssh-keygen -lf)',
    PARLEY_DR_FILES_SFTP_USER: 'the SFTP login',
    PARLEY_DR_FILES_SFTP_KEY_FILE: 'the private key file',
    PARLEY_DR_FILES_SFTP_PATH: "the standby's files directory",
  } as const;
  return Object.entries(needed)
    .filter(([variable]) => !env[variable as keyof typeof needed])
    .map(
      ([variable, what]) =>
        `${variable}: is required when PARLEY_DR_FILES_SFTP_HOST is set (${what})`,
    );
}
