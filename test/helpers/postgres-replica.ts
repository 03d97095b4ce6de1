import { spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { postgresBin, postgresUser, runCluster, startThrowawayPostgres, ThrowawayPostgres } from './throwaway-postgres';

/**
 * A PostgreSQL primary and a real streaming replica of it, both throwaway (see
 * throwaway-postgres.ts): the primary is the migrated throwaway cluster with WAL for replicas and
 * synchronous commits (the throwaway default defers them, which would hold WAL back from the
 * replica for up to 200 ms); the replica is `pg_basebackup -R` of it, a hot standby started as a
 * second `postgres` on another port. Both load pg_stat_statements, so that a test can count on the
 * replica itself which statements it ran.
 */
export interface StreamingReplication {
  primary: ThrowawayPostgres;
  replica: ThrowawayPostgres;
  /** Stops WAL replay on the replica (`pg_wal_replay_pause()`): it keeps answering, with older data. */
  pauseReplay(): Promise<void>;
  resumeReplay(): Promise<void>;
  /** Resolves, with the primary's WAL position when asked (`X/Y`), once the replica has replayed everything written up to it. */
  caughtUp(timeoutMs?: number): Promise<string>;
  /** How many times the replica ran statements whose text matches `pattern` (a LIKE pattern), by pg_stat_statements. */
  statementCalls(pattern: string): Promise<number>;
  remove(): Promise<void>;
}

const PRIMARY_SETTINGS = {
  wal_level: 'replica',
  max_wal_senders: '5',
  wal_keep_size: '128MB',
  synchronous_commit: 'on',
  shared_preload_libraries: 'pg_stat_statements',
};

/** Hot standby with no delay of its own; a query conflicting with replay is cancelled soon rather than holding replay back. */
const REPLICA_SETTINGS = {
  shared_preload_libraries: 'pg_stat_statements',
  hot_standby: 'on',
  max_standby_streaming_delay: '1s',
};

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startStreamingReplication({ database }: { database: string }): Promise<StreamingReplication> {
  const primary = await startThrowawayPostgres({ database, settings: PRIMARY_SETTINGS });
  let replica: ThrowawayPostgres | undefined;
  try {
    await primary.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    const user = postgresUser();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'conduit-pg-replica-'));
    if (user) chownSync(dataDir, user.uid, user.gid);
    // -R writes standby.signal and primary_conninfo; -X stream brings the WAL written meanwhile.
    const backup = spawnSync(
      path.join(postgresBin(), 'pg_basebackup'),
      ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', dataDir, '-R', '-X', 'stream', '-c', 'fast', '--no-sync'],
      { encoding: 'utf8', timeout: 120_000, ...user },
    );
    if (backup.status !== 0) {
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`pg_basebackup failed (${backup.status}): ${backup.stdout}\n${backup.stderr}`);
    }
    replica = await runCluster(dataDir, database, REPLICA_SETTINGS);
    await replica.start();
    const [{ standby }] = await replica.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
    if (!standby) throw new Error('the copy made by pg_basebackup -R is not a standby');
  } catch (error) {
    await replica?.remove();
    await primary.remove();
    throw error;
  }
  const standby = replica;

  const caughtUp = async (timeoutMs = 15_000): Promise<string> => {
    const [{ position }] = await primary.query<{ position: string }>('SELECT pg_current_wal_lsn()::text AS position');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [{ done }] = await standby.query<{ done: boolean }>('SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS done', [position]);
      if (done) return position;
      if (Date.now() > deadline) throw new Error(`the replica did not replay up to ${position} within ${timeoutMs} ms`);
      await sleep(20);
    }
  };

  return {
    primary,
    replica: standby,
    pauseReplay: async () => {
      await standby.query('SELECT pg_wal_replay_pause()');
    },
    resumeReplay: async () => {
      await standby.query('SELECT pg_wal_replay_resume()');
    },
    caughtUp,
    statementCalls: async (pattern) => {
      const [{ calls }] = await standby.query<{ calls: number }>(
        'SELECT coalesce(sum(calls), 0)::int AS calls FROM pg_stat_statements WHERE query LIKE $1 AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())',
        [pattern],
      );
      return calls;
    },
    remove: async () => {
      await standby.remove();
      await primary.remove();
    },
  };
}
