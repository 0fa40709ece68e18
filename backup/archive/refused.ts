// Every way a backup is refused says why and that nothing was changed: the restore, the drill and
// `KEY=agent` all raise this one error.

export class BackupRefusedError extends Error {}

/** A sound backup this Parley cannot take (newer, or an unknown schema): an older copy is no cure. */
export class BackupIncompatibleError extends BackupRefusedError {}

export function refused(why: string, cause?: unknown): BackupRefusedError {
  if (cause instanceof BackupRefusedError) return cause;
  const detail = cause instanceof Error ? ` (${cause.message.split('\n')[0]})` : '';
  return new BackupRefusedError(`backup refused: ${why}${detail}; nothing was changed`);
}
