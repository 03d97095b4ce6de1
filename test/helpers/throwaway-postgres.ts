import { ChildProcess, spawn, spawnSync, SpawnSyncOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { adoptChild, freePort } from './child-processes';
import { postgresUser } from './local-servers.mjs';

export { postgresUser };

/**
 * A PostgreSQL cluster of its own (`initdb` into a temporary folder, `postgres` on a free port),
 * for the suites that stop or restart the database: the machine's shared server is never touched.
 * The database is created and migrated with scripts/prisma-migrate.mjs, as in production.
 *
 * PostgreSQL refuses to run as root: when the tests run as root, the cluster runs as the
 * `postgres` system user.
 */

const ROOT = path.resolve(__dirname, '..', '..');

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The bin folder of the newest PostgreSQL under /usr/lib/postgresql, or PG_BIN when set. */
export function postgresBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const base = '/usr/lib/postgresql';
  const versions = readdirSync(base)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error(`no PostgreSQL under ${base}: install it or set PG_BIN`);
  return path.join(base, versions[0], 'bin');
}

/** Server settings (`-c name=value`) beyond the throwaway defaults, which they override. */
export type PostgresSettings = Record<string, string>;

export interface ThrowawayPostgres {
  port: number;
  /** The cluster's data folder. */
  dataDir: string;
  /** The connection string of the migrated application database. */
  url: string;
  /** Fast shutdown (SIGINT): sessions are ended with 57P01, then nothing listens on the port. */
  stop(): Promise<void>;
  /** Starts the server again on the same port and data folder; resolves once it accepts queries. */
  start(): Promise<void>;
  /** stop(), then start(): a PostgreSQL restart as an operator or a failover would cause. */
  restart(): Promise<void>;
  /** Runs one query on the application database over a fresh connection. */
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Stops the server and deletes its data folder. */
  remove(): Promise<void>;
}

/** A hash of every migration and the PostgreSQL version: names the migrated template cluster that fits them. */
function templateKey(bin: string, database: string): string {
  const migrations = path.join(ROOT, 'prisma', 'migrations');
  const hash = createHash('sha256').update(bin).update(database);
  for (const entry of readdirSync(migrations, { recursive: true, encoding: 'utf8' }).sort()) {
    if (entry.endsWith('.sql')) hash.update(entry).update(readFileSync(path.join(migrations, entry)));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * Starts a cluster with a migrated `database`. The first cluster of a given set of migrations is
 * made with initdb and migrated, then kept (stopped) in the temporary folder as a template; later
 * ones copy it, which takes a fraction of the time.
 */
export async function startThrowawayPostgres({ database = 'conduit_drill', settings = {} }: { database?: string; settings?: PostgresSettings } = {}): Promise<ThrowawayPostgres> {
  const template = path.join(tmpdir(), `conduit-pg-template-${templateKey(postgresBin(), database)}`);
  if (!existsSync(template)) {
    const fresh = await createCluster(database);
    await fresh.stop();
    // Renamed whole into place, so that a concurrent run never copies a half-made template.
    if (!existsSync(template)) renameSync(fresh.dataDir, template);
    else await fresh.remove();
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'conduit-pg-'));
  cpSync(template, dataDir, { recursive: true, preserveTimestamps: true });
  const user = postgresUser();
  if (user) spawnSync('chown', ['-R', `${user.uid}:${user.gid}`, dataDir]);
  rmSync(path.join(dataDir, 'postmaster.pid'), { force: true });
  const cluster = await runCluster(dataDir, database, settings);
  await cluster.start();
  return cluster;
}

/** initdb, start, create and migrate `database`. */
async function createCluster(database: string): Promise<ThrowawayPostgres> {
  const bin = postgresBin();
  const user = postgresUser();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'conduit-pg-'));
  if (user) chownSync(dataDir, user.uid, user.gid);
  const asPostgres: SpawnSyncOptions = { encoding: 'utf8', timeout: 60_000, ...user };
  const init = spawnSync(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], asPostgres);
  if (init.status !== 0) throw new Error(`initdb failed: ${String(init.stdout)}\n${String(init.stderr)}`);
  const cluster = await runCluster(dataDir, database);
  try {
    await cluster.start();
    const admin = new pg.Client({ connectionString: cluster.url.replace(/\/[^/]*$/, '/postgres') });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${database}"`);
    await admin.end();
    const migrate = spawnSync(process.execPath, [path.join(ROOT, 'scripts/prisma-migrate.mjs'), 'deploy'], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: cluster.url },
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (migrate.status !== 0) throw new Error(`migrating the throwaway database failed:\n${migrate.stdout}\n${migrate.stderr}`);
  } catch (error) {
    await cluster.remove();
    throw error;
  }
  return cluster;
}

/** A cluster over `dataDir` (made by initdb, or pg_basebackup) on a free port, not started yet. */
export async function runCluster(dataDir: string, database: string, settings: PostgresSettings = {}): Promise<ThrowawayPostgres> {
  const bin = postgresBin();
  const user = postgresUser();

  const port = await freePort();
  const serverUrl = (name: string): string => `postgresql://postgres@127.0.0.1:${port}/${name}`;
  const url = serverUrl(database);
  let child: ChildProcess | undefined;
  let output = '';

  const answers = async (): Promise<boolean> => {
    const client = new pg.Client({ connectionString: serverUrl('postgres'), connectionTimeoutMillis: 1_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  const start = async (): Promise<void> => {
    output = '';
    // Durability off: a throwaway cluster is for outages, not for surviving a power cut.
    const server = spawn(
      path.join(bin, 'postgres'),
      [
        ...['-D', dataDir, '-p', String(port), '-k', dataDir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=100'],
        // Later settings win over earlier ones of the same name.
        ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], ...user },
    );
    adoptChild(server);
    server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child = server;
    const deadline = Date.now() + 30_000;
    while (!(await answers())) {
      if (server.exitCode !== null) throw new Error(`postgres exited with ${server.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`postgres on port ${port} not ready within 30 s:\n${output}`);
      await sleep(100);
    }
  };

  const stop = async (): Promise<void> => {
    const server = child;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    server.kill('SIGINT');
    const timer = setTimeout(() => server.kill('SIGQUIT'), 15_000);
    await exited;
    clearTimeout(timer);
  };

  const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  return {
    port,
    dataDir,
    url,
    stop,
    start,
    restart: async () => {
      await stop();
      await start();
    },
    query,
    remove: async () => {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
