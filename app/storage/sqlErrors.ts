// MariaDB's error numbers, for the code that decides what to do about them (retry, conflict).

/** MariaDB error numbers Parley reacts to. */
export const ER_LOCK_WAIT_TIMEOUT = 1205;
export const ER_DUP_ENTRY = 1062;
export const ER_LOCK_DEADLOCK = 1213;
export const ER_NO_SUCH_TABLE = 1146;

export function sqlErrno(error: unknown): number | undefined {
  const errno = (error as { errno?: unknown } | null)?.errno;
  return typeof errno === 'number' ? errno : undefined;
}
