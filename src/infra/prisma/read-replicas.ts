import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import pg from 'pg';
import type { Environment } from '@/config/environment';
import { PrismaClient } from '@/generated/prisma/client';
import { isDatabaseUnavailable } from './prisma-errors';
import { boundedDatabaseAdapter, PrismaService } from './prisma.service';
import { assessReplica, PrimaryReason, PrimaryTimeline, ReplicaProbe, routeRead } from './replica-routing';
import { replicaScope } from './replica-scope';
import { formatWalPosition, parseWalPosition, UNREPLAYABLE, WalPosition } from './wal-position';

/** What repositories read with: the primary's client or a replica's (the same API; a replica refuses writes). */
export type ReadClient = PrismaClient;

/** A check (of the primary's position or of one replica) that takes longer than this counts as failed. */
const CHECK_TIMEOUT_CAP_MS = 2_000;

interface Replica {
  /** `host:port/database`: never the credentials. */
  name: string;
  client: PrismaClient;
  /** A connection of its own for the checks, so that a busy pool never delays them. */
  probe: pg.Pool;
  healthy: boolean;
  replayed?: WalPosition;
  lagMs?: number;
  reason?: string;
  reads: number;
  /** Reads that failed here and were answered by the primary instead. */
  failures: number;
}

/** A replica's state, for the readiness probe and the metrics. */
export interface ReplicaState {
  name: string;
  healthy: boolean;
  lagMs?: number;
  replayed?: string;
  reason?: string;
  reads: number;
  failures: number;
}

/** A replica as logs and metrics name it. */
export function replicaName(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

/**
 * The read path over DATABASE_REPLICA_URLS. `read(work)` runs `work` on a replica when the request
 * allows it (a `@ReplicaReads()` route, see ReplicaReadsInterceptor) and one can serve it: healthy,
 * and known to have replayed what the read must see (the viewer's last write, the last
 * invalidation of the cache entry being filled); round robin among those. Otherwise, and always
 * without replicas or outside such a route, `work` runs on the primary, exactly as before.
 *
 * A check every DATABASE_REPLICA_CHECK_MS reads the primary's WAL position and each replica's
 * replayed one, and leaves out a replica that does not answer, is no standby, or is further behind
 * than DATABASE_REPLICA_MAX_LAG_MS (see PrimaryTimeline for how lag is measured); it is back at
 * the first check that finds it well. A read that fails on a replica is run again on the primary,
 * and the replica is left out until that check.
 *
 * Only api processes route (`startRouting`); the worker and the command line read the primary,
 * but still stamp cache invalidations with the primary's position (`primaryPosition`).
 */
@Injectable()
export class ReadReplicas implements OnModuleDestroy {
  private readonly logger = new Logger('ReadReplicas');
  private readonly replicas: Replica[];
  private readonly timeline: PrimaryTimeline;
  private readonly primaryProbe?: pg.Pool;
  private readonly maxLagMs: number;
  private readonly checkMs: number;
  private routing = false;
  private turn = 0;
  private timer?: NodeJS.Timeout;
  private checking?: Promise<void>;
  private primaryWarned = false;
  /** Reads a replica could have served that went to the primary, by reason. */
  readonly primaryReads: Record<PrimaryReason, number> = { 'no-replica': 0, 'read-your-writes': 0, 'writer-unknown': 0, 'cache-fill': 0 };

  constructor(
    private readonly prisma: PrismaService,
    config: ConfigService<Environment, true>,
  ) {
    const urls = config.get('DATABASE_REPLICA_URLS', { infer: true });
    this.maxLagMs = config.get('DATABASE_REPLICA_MAX_LAG_MS', { infer: true });
    this.checkMs = config.get('DATABASE_REPLICA_CHECK_MS', { infer: true });
    // Samples cover the lag bound and a few checks more: a replica behind all of them is out anyway.
    this.timeline = new PrimaryTimeline(this.maxLagMs + 3 * this.checkMs);
    const checkTimeout = Math.min(this.checkMs, CHECK_TIMEOUT_CAP_MS);
    const probe = (connectionString: string) => {
      const pool = new pg.Pool({ connectionString, max: 1, connectionTimeoutMillis: checkTimeout, statement_timeout: checkTimeout, idleTimeoutMillis: 60_000 });
      pool.on('error', () => undefined);
      return pool;
    };
    if (urls.length > 0) this.primaryProbe = probe(config.get('DATABASE_URL', { infer: true }));
    this.replicas = urls.map((url) => {
      const name = replicaName(url);
      const { adapter } = boundedDatabaseAdapter(url, config, this.logger, `Replica ${name}`);
      return { name, client: new PrismaClient({ adapter }), probe: probe(url), healthy: false, reason: 'not checked yet', reads: 0, failures: 0 };
    });
  }

  /** Whether DATABASE_REPLICA_URLS names any replica. */
  get configured(): boolean {
    return this.replicas.length > 0;
  }

  /** Starts the checks and routing (api processes); resolves after the first check. */
  async startRouting(): Promise<void> {
    if (!this.configured || this.routing) return;
    this.routing = true;
    await this.check();
    this.logger.log(`Reads that tolerate lag go to ${this.replicas.length} replica(s): ${this.describe()}`);
  }

  /**
   * Runs `work` on a replica if this read may and can go to one (see the class), else on the
   * primary. A failure on a replica is answered by the primary: the client never sees it.
   */
  async read<T>(work: (db: ReadClient) => Promise<T>): Promise<T> {
    const scope = replicaScope.getStore();
    if (!scope || !this.routing) return work(this.prisma);
    const route = routeRead(this.replicas, { writer: await scope.writer(), fill: scope.fill }, this.turn);
    this.turn = (this.turn + 1) % this.replicas.length;
    if ('primary' in route) {
      this.primaryReads[route.primary] += 1;
      return work(this.prisma);
    }
    const replica = this.replicas[route.replica];
    replica.reads += 1;
    try {
      return await work(replica.client);
    } catch (error) {
      replica.failures += 1;
      if (isDatabaseUnavailable(error)) {
        this.leaveOut(replica, error);
        return work(this.prisma);
      }
      // Any other error is the replica's only if the primary answers; if it fails there too, it is the read's own.
      const answer = await work(this.prisma);
      this.leaveOut(replica, error);
      return answer;
    }
  }

  /**
   * The primary's WAL position now, for stamps that must outlast a write that just committed
   * (read-your-writes, cache invalidations); UNREPLAYABLE if the primary does not say. Undefined
   * without replicas: nothing then needs it.
   */
  async primaryPosition(): Promise<WalPosition | undefined> {
    if (!this.configured) return undefined;
    try {
      const [row] = await this.prisma.$queryRaw<Array<{ position: string }>>`SELECT pg_current_wal_lsn()::text AS position`;
      return parseWalPosition(row.position);
    } catch {
      return UNREPLAYABLE;
    }
  }

  states(): ReplicaState[] {
    return this.replicas.map(({ name, healthy, lagMs, replayed, reason, reads, failures }) => ({
      name,
      healthy,
      ...(lagMs !== undefined && { lagMs }),
      ...(replayed !== undefined && { replayed: formatWalPosition(replayed) }),
      ...(!healthy && reason && { reason }),
      reads,
      failures,
    }));
  }

  async onModuleDestroy(): Promise<void> {
    this.routing = false;
    clearTimeout(this.timer);
    await this.checking;
    await Promise.all([
      ...this.replicas.map(async (replica) => {
        await replica.client.$disconnect();
        await replica.probe.end();
      }),
      this.primaryProbe?.end(),
    ]);
  }

  /** One round of checks, then the next one scheduled. */
  private check(): Promise<void> {
    this.checking = this.checkAll().finally(() => {
      this.checking = undefined;
      if (!this.routing) return;
      this.timer = setTimeout(() => void this.check(), this.checkMs);
      this.timer.unref();
    });
    return this.checking;
  }

  private async checkAll(): Promise<void> {
    const askedAt = Date.now();
    try {
      const { rows } = await this.primaryProbe!.query<{ position: string }>('SELECT pg_current_wal_lsn()::text AS position');
      this.timeline.record(askedAt, parseWalPosition(rows[0].position));
      this.primaryWarned = false;
    } catch (error) {
      // Replicas are judged against the last position seen: with the primary away, nothing new commits.
      if (!this.primaryWarned) this.logger.warn(`Replica lag cannot be measured: the primary does not answer (${(error as Error).message})`);
      this.primaryWarned = true;
    }
    await Promise.all(
      this.replicas.map(async (replica) => {
        const probe = await probeReplica(replica.probe);
        const assessment = assessReplica(probe, this.timeline, Date.now(), this.maxLagMs);
        if (probe.reachable && probe.replayed !== null) replica.replayed = probe.replayed;
        replica.lagMs = assessment.lagMs;
        this.setHealth(replica, assessment.healthy, assessment.reason);
      }),
    );
  }

  private leaveOut(replica: Replica, error: unknown): void {
    this.setHealth(replica, false, `a read failed: ${(error as Error)?.message ?? String(error)}`.slice(0, 300));
  }

  private setHealth(replica: Replica, healthy: boolean, reason: string | undefined): void {
    const was = replica.healthy;
    replica.healthy = healthy;
    replica.reason = reason;
    if (was && !healthy) this.logger.warn(`Replica ${replica.name} left out: ${reason}`);
    if (!was && healthy && this.routing) this.logger.log(`Replica ${replica.name} serves reads again (${replica.lagMs ?? 0} ms behind)`);
  }

  private describe(): string {
    return this.replicas.map((replica) => `${replica.name} (${replica.healthy ? 'in' : `out: ${replica.reason}`})`).join(', ');
  }
}

async function probeReplica(pool: pg.Pool): Promise<ReplicaProbe> {
  try {
    const { rows } = await pool.query<{ standby: boolean; replayed: string | null; replay_age_ms: number | null }>(
      `SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replayed,
              (extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::float8 AS replay_age_ms`,
    );
    const [row] = rows;
    return { reachable: true, inRecovery: row.standby, replayed: row.replayed === null ? null : parseWalPosition(row.replayed), replayAgeMs: row.replay_age_ms };
  } catch (error) {
    return { reachable: false, error: (error as Error).message };
  }
}
