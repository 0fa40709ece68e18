import { createLogger, type Logger } from '../app/log.ts';
import type { Config } from '../config/load.ts';

/**
 * An ops command's log, for what it reports besides its output (a syslog collector that cannot be
 * reached): on stderr, since stdout is the command's output (`--json`, `restore --head`'s bytes).
 */
export function opsLogger(config: Config): Logger {
  return createLogger(config.env.PARLEY_LOG_LEVEL, 'parley-ops', process.stderr);
}
