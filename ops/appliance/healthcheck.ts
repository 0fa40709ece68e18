// Health probes run inside the app image: `node ops/appliance/healthcheck.ts app|worker|readiness`.
//   app        (Docker healthcheck) the HTTPS server answers /healthz on the container's loopback
//   worker     (Docker healthcheck) the worker's configuration loads and its database answers
//   readiness  (`make status`) prints /readyz: the database, clamd and the signatures' age, Redis
import { request } from 'node:https';
import { loadConfig } from '../../config/load.ts';
import { openDb } from '../../app/storage/db.ts';

const TIMEOUT_MS = 4000;

interface Readiness {
  status: string;
  checks: {
    database: { up: boolean };
    clamd: {
      up: boolean;
      version?: string;
      signatures?: string;
      signaturesDate?: string;
      signatureAgeDays: number | null;
    };
    redis?: { state: string; limits: string };
  };
}

function get(path: string): Promise<{ status: number; body: string }> {
  const port = Number(process.env.PARLEY_HTTPS_PORT ?? 8443);
  return new Promise((resolve, reject) => {
    // Loopback inside the container: the certificate names the public host, not 127.0.0.1.
    const req = request(
      { host: '127.0.0.1', port, path, rejectUnauthorized: false, timeout: TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

async function workerHealthy(): Promise<boolean> {
  const db = openDb(loadConfig(process.env, { process: 'worker' }));
  try {
    await db.raw('SELECT 1').timeout(TIMEOUT_MS);
    return true;
  } finally {
    await db.destroy();
  }
}

async function printReadiness(): Promise<boolean> {
  const { status, body } = await get('/readyz');
  const ready = JSON.parse(body) as Readiness;
  const { database, clamd, redis } = ready.checks;
  const signatures = clamd.signatures
    ? `signatures ${clamd.signatures} from ${clamd.signaturesDate}, ${clamd.signatureAgeDays} days old`
    : 'no official signature database loaded (signature age unknown)';
  console.log(`readiness: ${ready.status} (HTTP ${status})`);
  console.log(`  database: ${database.up ? 'up' : 'DOWN'}`);
  console.log(`  clamd:    ${clamd.up ? `up, ${clamd.version}, ${signatures}` : 'DOWN'}`);
  if (redis) {
    const where = redis.limits === 'shared' ? 'shared by every app process' : 'per app process';
    console.log(
      `  redis:    ${redis.state === 'up' ? 'up' : redis.state}, visitor limits ${where}`,
    );
  }
  return status === 200;
}

const role = process.argv[2];
try {
  let healthy = false;
  if (role === 'app') healthy = (await get('/healthz')).status === 200;
  else if (role === 'worker') healthy = await workerHealthy();
  else if (role === 'readiness') healthy = await printReadiness();
  else console.error('usage: healthcheck.ts app|worker|readiness');
  process.exitCode = healthy ? 0 : 1;
} catch (error) {
  console.error(`healthcheck ${role}: ${(error as Error).message.split('\n')[0]}`);
  process.exitCode = 1;
}
