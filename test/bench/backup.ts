// Backup benchmark: Parley's backup and restore against the shell pipelines on the same database
// of at least 500 MB. Run: node_modules/.bin/node test/bench/backup.ts [MB]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../backup/archive/mariadb.ts';
import { clientHome, gnupgHome, keyPair, testAccess } from '../backup/fixtures.ts';
import { writeJson } from './report.ts';

const targetMb = Number(process.argv[2] ?? 550);
const database = 'parley_test_backup_bench';
const access = testAccess(database);
const work = mkdtempSync(join(tmpdir(), 'parley-bench-backup-'));

async function generate(): Promise<number> {
  const server = await connect(access, null);
  await server.query(`DROP DATABASE IF EXISTS \`${database}\``);
  await server.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
  await server.end();
  const conn = await connect(access);
  await conn.query('SET SESSION max_recursive_iterations = 1000000');
  await conn.query(
    'CREATE TABLE messages (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, chat_id INT NOT NULL, created_at DATETIME(3) NOT NULL, body TEXT NOT NULL) ENGINE=InnoDB',
  );
  await conn.query(
    'CREATE TABLE knex_migrations (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), batch INT, migration_time DATETIME)',
  );
  await conn.query(
    "INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('bench', 1, NOW())",
  );
  // ~1 KiB rows of chat-like text: words from a small vocabulary plus random ids.
  const rows = Math.ceil((targetMb * 1024 * 1024) / 1100);
  for (let done = 0; done < rows; done += 100_000) {
    const n = Math.min(100_000, rows - done);
    await conn.query(
      `INSERT INTO messages (chat_id, created_at, body)
       WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${n})
       SELECT FLOOR(RAND() * 100000), NOW(3) - INTERVAL FLOOR(RAND() * 1e7) SECOND,
              CONCAT_WS(' ', ELT(1 + FLOOR(RAND() * 6), 'hello, how can I help you today?', 'my card was declined at the till', 'please confirm your date of birth', 'the appointment is on Tuesday', 'thank you, that solved it', 'could you send the form again'), MD5(RAND()), ELT(1 + FLOOR(RAND() * 6), 'hello, how can I help you today?', 'my card was declined at the till', 'please confirm your date of birth', 'the appointment is on Tuesday', 'thank you, that solved it', 'could you send the form again'), MD5(RAND()), ELT(1 + FLOOR(RAND() * 6), 'hello, how can I help you today?', 'my card was declined at the till', 'please confirm your date of birth', 'the appointment is on Tuesday', 'thank you, that solved it', 'could you send the form again'), MD5(RAND()), ELT(1 + FLOOR(RAND() * 6), 'hello, how can I help you today?', 'my card was declined at the till', 'please confirm your date of birth', 'the appointment is on Tuesday', 'thank you, that solved it', 'could you send the form again'), MD5(RAND()), ELT(1 + FLOOR(RAND() * 6), 'hello, how can I help you today?', 'my card was declined at the till', 'please confirm your date of birth', 'the appointment is on Tuesday', 'thank you, that solved it', 'could you send the form again'), MD5(RAND()), ELT(1 + FLOOR(RAND() * 6), 'hello, how can I help you today?', 'my card was declined at the till', 'please confirm your date of birth', 'the appointment is on Tuesday', 'thank you, that solved it', 'could you send the form again'), MD5(RAND()), ELT(1 + FLOOR(RAND() * 6), 'hello, how can I help you today?', 'my card was declined at the till', 'please confirm your date of birth', 'the appointment is on Tuesday', 'thank you, that solved it', 'could you send the form again'), MD5(RAND()), ELT(1 + FLOOR(RAND() * 6), 'hello, how can I help you today?', 'my card was declined at the till', 'please confirm your date of birth', 'the appointment is on Tuesday', 'thank you, that solved it', 'could you send the form again'), MD5(RAND()), ELT(1 + FLOOR(RAND() * 6), 'hello, how can I help you today?', 'my card was declined at the till', 'please confirm your date of birth', 'the appointment is on Tuesday', 'thank you, that solved it', 'could you send the form again'), MD5(RAND()), ELT(1 + FLOOR(RAND() * 6), 'hello, how can I help you today?', 'my card was declined at the till', 'please confirm your date of birth', 'the appointment is on Tuesday', 'thank you, that solved it', 'could you send the form again'), MD5(RAND()), ELT(1 + FLOOR(RAND() * 6), 'hello, how can I help you today?', 'my card was declined at the till', 'please confirm your date of birth', 'the appointment is on Tuesday', 'thank you, that solved it', 'could you send the form again'), MD5(RAND()), ELT(1 + FLOOR(RAND() * 6), 'hello, how can I help you today?', 'my card was declined at the till', 'please confirm your date of birth', 'the appointment is on Tuesday', 'thank you, that solved it', 'could you send the form again'), MD5(RAND()), ELT(1 + FLOOR(RAND() * 6), 'hello, how can I help you today?', 'my card was declined at the till', 'please confirm your date of birth', 'the appointment is on Tuesday', 'thank you, that solved it', 'could you send the form again'), MD5(RAND()), ELT(1 + FLOOR(RAND() * 6), 'hello, how can I help you today?', 'my card was declined at the till', 'please confirm your date of birth', 'the appointment is on Tuesday', 'thank you, that solved it', 'could you send the form again'), MD5(RAND()), ELT(1 + FLOOR(RAND() * 6), 'hello, how can I help you today?', 'my card was declined at the till', 'please confirm your date of birth', 'the appointment is on Tuesday', 'thank you, that solved it', 'could you send the form again'), MD5(RAND()), ELT(1 + FLOOR(RAND() * 6), 'hello, how can I help you today?', 'my card was declined at the till', 'please confirm your date of birth', 'the appointment is on Tuesday', 'thank you, that solved it', 'could you send the form again'), MD5(RAND()))
       FROM s`,
    );
  }
  await conn.query('ANALYZE TABLE messages');
  const [size] = await conn.query(
    'SELECT SUM(data_length + index_length) AS bytes FROM information_schema.TABLES WHERE table_schema = ?',
    [database],
  );
  await conn.end();
  return Number((size as { bytes: number }[])[0]!.bytes);
}

function child(
  mode: string,
  input: object,
): { ms: number; maxRssKb: number; bytes?: number; file?: string } {
  const out = execFileSync(
    process.execPath,
    [new URL('./backupChild.ts', import.meta.url).pathname, mode],
    {
      env: { ...process.env, PARLEY_BENCH: JSON.stringify(input) },
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as never;
}

/** Runs a bash pipeline under /usr/bin/time per stage; returns wall ms and the largest stage RSS. */
function shell(script: string, env: NodeJS.ProcessEnv): { ms: number; maxRssKb: number } {
  const started = performance.now();
  const r = spawnSync('bash', ['-o', 'pipefail', '-c', script], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pipeline failed: ${r.stderr}`);
  const rss = [...r.stderr.matchAll(/^RSS (\d+)$/gm)].map((m) => Number(m[1]));
  return { ms: performance.now() - started, maxRssKb: Math.max(...rss) };
}

const it = await keyPair('IT');
const signer = await keyPair('appliance');
const bytes = await generate();
if (process.env.BENCH_GENERATE_ONLY) process.exit(0);
console.log(`database: ${(bytes / 1048576).toFixed(0)} MiB (InnoDB data + index)`);
const dir = join(work, 'parley');
const parley = child('backup', {
  access,
  dir,
  filesDir: null,
  recipients: it.publicKey,
  signingKey: signer.privateKey,
});
const gnupg = gnupgHome(it.publicKey, it.privateKey, signer.publicKey);
const home = clientHome(access);
const env = { ...process.env, GNUPGHOME: gnupg, HOME: home };
const keyId = execFileSync('gpg', ['--list-keys', '--with-colons'], { env, encoding: 'utf8' })
  .split('\n')
  .find((l) => l.startsWith('fpr:'))!
  .split(':')[9]!;
const T = "/usr/bin/time -f 'RSS %M'";
const pipeOut = join(work, 'pipeline.sql.gz.gpg');
const pipeline = shell(
  `${T} mariadb-dump --single-transaction ${database} | ${T} gzip -1 | ${T} gpg --batch --trust-model always --compress-algo none --encrypt -r ${keyId} -o ${pipeOut}`,
  env,
);
const parleyRestore = child('restore', {
  access,
  file: parley.file,
  decryptionKey: it.privateKey,
  verificationKeys: signer.publicKey,
  filesDir: null,
  knownMigrations: ['bench'],
});
const restoreDb = `${database}_shell`;
const shellRestore = shell(
  `mariadb -e 'DROP DATABASE IF EXISTS ${restoreDb}; CREATE DATABASE ${restoreDb}' && ${T} gpg --batch -q -d ${pipeOut} | ${T} gunzip | ${T} mariadb ${restoreDb}`,
  env,
);
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
console.log(
  `backup  parley: ${s(parley.ms)}, peak RSS ${mb(parley.maxRssKb)}, ${(parley.bytes! / 1048576).toFixed(0)} MiB written`,
);
console.log(
  `backup  shell : ${s(pipeline.ms)}, largest stage RSS ${mb(pipeline.maxRssKb)}, ${(statSync(pipeOut).size / 1048576).toFixed(0)} MiB written`,
);
console.log(
  `restore parley (signature pass + load into staging + row counts): ${s(parleyRestore.ms)}, peak RSS ${mb(parleyRestore.maxRssKb)}`,
);
console.log(
  `restore shell (gpg -d | gunzip | mariadb): ${s(shellRestore.ms)}, largest stage RSS ${mb(shellRestore.maxRssKb)}`,
);
const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
console.log(
  `ratios (parley / shell, goal <= 1.0): backup ${ratio(parley.ms, pipeline.ms)}, restore ${ratio(parleyRestore.ms, shellRestore.ms)}; peak memory goal < 256 MiB: backup ${mb(parley.maxRssKb)}, restore ${mb(parleyRestore.maxRssKb)}`,
);
const path = writeJson(
  new URL('../../test-results', import.meta.url).pathname,
  'bench-backup.json',
  {
    at: new Date().toISOString(),
    databaseMiB: Math.round(bytes / 1048576),
    backup: { parley: parley, shell: pipeline, ratio: ratio(parley.ms, pipeline.ms) },
    restore: {
      parley: parleyRestore,
      shell: shellRestore,
      ratio: ratio(parleyRestore.ms, shellRestore.ms),
    },
  },
);
console.log(`figures written to ${path}`);
const server = await connect(access, null);
await server.query(`DROP DATABASE IF EXISTS \`${database}\``);
await server.query(`DROP DATABASE IF EXISTS \`${restoreDb}\``);
await server.end();
execFileSync('gpgconf', ['--kill', 'gpg-agent'], { env });
rmSync(work, { recursive: true, force: true });
