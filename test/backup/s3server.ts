import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './sshd.ts';

// @20minutes/s3rver, the maintained fork of s3rver: the original (3.7.1) accepts any SigV4
// signature, so a wrong secret key would pass. It ships no types: these describe what we use
// (also by test/appliance/testS3.ts, the appliance test's server).
export interface S3rverOptions {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
  key?: string;
  cert?: string;
}
export interface S3rver {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  logger: { close(): void };
}
const S3rver = createRequire(import.meta.url)('@20minutes/s3rver') as new (
  options: S3rverOptions,
) => S3rver;

/** An S3-compatible server on a loopback port, storing objects under `root`. */
export interface TestS3 {
  endpoint: string;
  port: number;
  bucket: string;
  accessKeyId: string;
  secretKey: string;
  root: string;
  /** The PEM of the private CA that signed the server's certificate (https only). */
  ca?: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A CA and a certificate for 127.0.0.1 signed by it, made with openssl. */
function privateCa(dir: string): { ca: string; key: string; cert: string } {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run(
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
    ...['-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Parley test CA'],
  );
  run(
    ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
    ...['-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'],
  );
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run(
    ...['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key'],
    ...['-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.crt'],
  );
  const read = (name: string) => readFileSync(join(dir, name), 'utf8');
  return { ca: read('ca.crt'), key: read('server.key'), cert: read('server.crt') };
}

export async function testS3(options: { tls?: boolean } = {}): Promise<TestS3> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-s3-'));
  const root = join(dir, 'objects');
  mkdirSync(root);
  const tls = options.tls ? privateCa(dir) : null;
  const port = await freePort();
  const bucket = 'parley-backups';
  let server: S3rver | null = null;
  return {
    endpoint: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    bucket,
    // s3rver's built-in account; it checks SigV4 signatures against this secret.
    accessKeyId: 'S3RVER',
    secretKey: 'S3RVER',
    root,
    ...(tls ? { ca: tls.ca } : {}),
    async start() {
      // A new instance each time: a closed one has closed its logger. The objects stay on disk.
      server = new S3rver({
        address: '127.0.0.1',
        port,
        silent: true,
        directory: root,
        configureBuckets: [{ name: bucket }],
        ...(tls ? { key: tls.key, cert: tls.cert } : {}),
      });
      // Its request log line can come after a client has read the whole answer and stopped the
      // server; a closed logger then prints a warning, so it is never closed (it is silent).
      server.logger.close = () => {};
      await server.run();
    },
    async stop() {
      const s = server;
      server = null;
      await s?.close();
    },
  };
}
