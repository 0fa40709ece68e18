import { z } from 'zod';

// The Prometheus endpoint (issue 15): its own port, off unless set, served over the app's TLS
// certificate and only with the bearer token from PARLEY_METRICS_TOKEN_FILE (checked at start).
export const metricsSchema = {
  // 0: no metrics listener. Keep it off the public network: bind a management address.
  PARLEY_METRICS_PORT: z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole number')
    .min(0)
    .max(65535)
    .default(0),
  PARLEY_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  // The file holding the token Prometheus sends as `Authorization: Bearer <token>`.
  PARLEY_METRICS_TOKEN_FILE: z.string().default(''),
  // How long the readings taken by SQL, clamd and the file system serve scrapes before a new reading.
  PARLEY_METRICS_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(5),
};
