import { loadConfigOrExit } from '../config/load.ts';
import { createLogger, describeError } from './log.ts';
import { startParley } from './server.ts';

const config = loadConfigOrExit();
const log = createLogger(config.env.PARLEY_LOG_LEVEL, 'parley-app');

try {
  const parley = await startParley(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    parley.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: describeError(error) }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (error) {
  log.fatal({ err: describeError(error) }, 'parley could not start');
  process.exit(1);
}
