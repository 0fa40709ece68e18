import type { Config } from '../../config/load.ts';
import { openDb } from '../../app/storage/db.ts';
import { readReplication, type ReplicationState } from '../../app/storage/replication.ts';
import { ER_NO_SUCH_TABLE, sqlErrno } from '../../app/storage/sqlErrors.ts';
import { connect } from '../../backup/archive/mariadb.ts';
import { rollbackDatabases } from '../../backup/archive/rollback.ts';
import { dbAccess } from '../../backup/worker/settings.ts';
import { DrRefusal } from './failover.ts';
import { resume } from './resume.ts';
import { drSettings, openSite } from './site.ts';

// What `make failover FROM=offsite` asks of this site before it replaces its data: not a standby
// (that one is promoted, which loses less than any backup), no chats (a live site overwritten by
// mistake) unless FORCE=1, no restore awaiting confirmation; and it is made writable.

export interface FreshSite {
  chats: number;
  readOnly: boolean;
  databaseExists: boolean;
}

const drConfigured = (config: Config) => Boolean(config.env.PARLEY_DR_ADMIN_PASSWORD_FILE);

/** The DR account may read the replica's status; the app's account may not ('unknown'). */
async function replicationHere(config: Config): Promise<ReplicationState> {
  if (drConfigured(config)) {
    const s = drSettings(config);
    const here = openSite('here', s.here, s);
    try {
      return await here.state();
    } finally {
      await here.close();
    }
  }
  const db = openDb(config, 'information_schema'); // the parley database may not exist yet
  try {
    return await readReplication(db);
  } finally {
    await db.destroy();
  }
}

export async function checkFreshSite(
  config: Config,
  o: { force: boolean; say: (line: string) => void },
): Promise<FreshSite> {
  const state = await replicationHere(config);
  if (state.replica !== null && state.replica !== 'unknown')
    throw new DrRefusal(
      'is_standby',
      `This site is a standby (its database replicates from ${state.replica.primaryHost}:${state.replica.primaryPort}): promote it with make failover, without FROM=offsite; it loses less than any backup.`,
    );
  if (state.readOnly && !drConfigured(config))
    throw new DrRefusal(
      'read_only',
      "This site's database is read-only (@@read_only = 1) and no DR account (PARLEY_DR_ADMIN_PASSWORD_FILE) is configured to make it writable; start MariaDB without --read-only and run again.",
    );
  const access = dbAccess(config);
  const server = await connect(access, null);
  try {
    const [schemata] = await server.query(
      'SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
      [access.database],
    );
    const databaseExists = (schemata as unknown[]).length > 0;
    const pending = await rollbackDatabases(server, access.database);
    if (pending.length > 0)
      throw new DrRefusal(
        'restore_pending',
        `A restore awaits confirmation here (${pending.join(', ')}): run make restore-confirm or make restore-rollback first.`,
      );
    const chats = databaseExists ? await chatCount(server, access.database) : 0;
    if (chats > 0 && !o.force)
      throw new DrRefusal(
        'site_has_chats',
        `Refused: this site's database ${access.database} holds ${chats} chat(s), and FROM=offsite would replace them with an older backup. It builds a new site. If this site really is to be rebuilt, run again with FORCE=1 (the replaced data is kept until make restore-confirm).`,
      );
    if (chats > 0) o.say(`FORCE: replacing a database that holds ${chats} chat(s).`);
    return { chats, readOnly: state.readOnly, databaseExists };
  } finally {
    await server.end();
  }
}

async function chatCount(
  server: Awaited<ReturnType<typeof connect>>,
  database: string,
): Promise<number> {
  try {
    const [rows] = await server.query(`SELECT COUNT(*) AS n FROM \`${database}\`.\`chats\``);
    return Number((rows as { n: string }[])[0]?.n ?? 0);
  } catch (error) {
    if (sqlErrno(error) === ER_NO_SUCH_TABLE) return 0; // an empty database: nothing to lose
    throw error;
  }
}

/** Writable (the DR account lifts read_only, refusing while the peer is the primary), database there. */
export async function makeWritable(
  config: Config,
  site: FreshSite,
  o: { force: boolean; say: (line: string) => void },
): Promise<void> {
  if (site.readOnly) await resume(drSettings(config), o);
  if (site.databaseExists) return;
  const access = dbAccess(config);
  const server = await connect(access, null);
  try {
    await server.query(
      `CREATE DATABASE IF NOT EXISTS \`${access.database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await server.end();
  }
}
