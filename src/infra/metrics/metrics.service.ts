import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { createServer, Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Environment } from '@/config/environment';
import { CacheStore } from '@/infra/cache/cache-store.service';
import { OutboxService, OutboxStatus } from '@/infra/outbox/outbox.service';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { ReadReplicas } from '@/infra/prisma/read-replicas';
import { type FinishedJob, JobObserver } from '@/infra/queue/queue-runtime';
import { QUEUE_NAMES } from '@/infra/queue/queues';
import { BoundedSample } from './bounded-sample';
import { metricsHandler } from './metrics-endpoint';

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;
/** The outbox query has its own budget: PostgreSQL's statement timeout is far longer than a scrape may wait. */
const OUTBOX_SAMPLE_TIMEOUT_MS = 2_000;

/**
 * Prometheus metrics of one process, in a registry of its own (several applications can live in
 * one process, as in the tests). HTTP requests and jobs are counted as they finish; everything else is
 * read when scraped: the pg pool, the response cache's hits and misses, the depth of every
 * queue and the outbox backlog. Reads from Redis and PostgreSQL are bounded in time, so a
 * hanging dependency shows as `..._up 0` instead of hanging the scrape.
 */
@Injectable()
export class Metrics implements JobObserver, OnModuleDestroy {
  private readonly logger = new Logger('Metrics');
  readonly registry = new Registry();
  private readonly servers: Server[] = [];
  private scrapes = 0;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly jobDuration: Histogram<'queue' | 'name' | 'outcome'>;

  constructor(
    config: ConfigService<Environment, true>,
    prisma: PrismaService,
    cache: CacheStore,
    outbox: OutboxService,
    moduleRef: ModuleRef,
    replicas: ReadReplicas,
  ) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from request to response finished, by route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });

    this.jobDuration = new Histogram({
      name: 'conduit_job_duration_seconds',
      help: 'Jobs run by this worker, by queue, job name and outcome (completed, failed, delayed by a database outage), and their time',
      labelNames: ['queue', 'name', 'outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });

    const poolMax = config.get('DATABASE_POOL_MAX', { infer: true });
    new Gauge({
      name: 'conduit_db_pool_connections',
      help: 'PostgreSQL pool connections: open (total), idle, requests waiting for one, and the maximum',
      labelNames: ['state'],
      registers,
      collect() {
        this.set({ state: 'total' }, prisma.pool.totalCount);
        this.set({ state: 'idle' }, prisma.pool.idleCount);
        this.set({ state: 'waiting' }, prisma.pool.waitingCount);
        this.set({ state: 'max' }, poolMax);
      },
    });

    new Counter({
      name: 'conduit_cache_lookups_total',
      help: 'Response cache lookups: hit, miss, or unavailable (Redis did not answer in time)',
      labelNames: ['result'],
      registers,
      collect() {
        this.reset();
        for (const result of ['hits', 'misses', 'unavailable'] as const) {
          this.inc({ result: result === 'hits' ? 'hit' : result === 'misses' ? 'miss' : 'unavailable' }, cache.stats[result]);
        }
      },
    });

    if (replicas.configured) this.replicaMetrics(replicas);

    const timeoutMs = config.get('REDIS_COMMAND_TIMEOUT_MS', { infer: true });
    const queueSamples = QUEUE_NAMES.map((name) => {
      const queue = moduleRef.get<Queue>(getQueueToken(name), { strict: false });
      return { name, sample: new BoundedSample(() => queue.getJobCounts(...JOB_STATES), timeoutMs) };
    });
    // prom-client collects every metric of a scrape in parallel: the gauges fed by one read share it.
    const queueCounts = this.perScrape(() => Promise.all(queueSamples.map(async ({ name, sample }) => ({ name, counts: await sample.take() }))));
    new Gauge({
      name: 'conduit_queue_up',
      help: 'Whether the queue counts could be read from Redis in time at this scrape',
      labelNames: ['queue'],
      registers,
      async collect() {
        for (const { name, counts } of await queueCounts()) this.set({ queue: name }, counts ? 1 : 0);
      },
    });
    new Gauge({
      name: 'conduit_queue_jobs',
      help: 'Jobs per queue and state (failed: jobs kept after their last attempt failed); absent when Redis did not answer',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        for (const { name, counts } of await queueCounts()) {
          for (const state of JOB_STATES) if (counts) this.set({ queue: name, state }, counts[state] ?? 0);
        }
      },
    });

    const outboxSample = new BoundedSample<OutboxStatus>(() => outbox.status(), OUTBOX_SAMPLE_TIMEOUT_MS);
    const outboxStatus = this.perScrape(() => outboxSample.take());
    const outboxGauge = (name: string, help: string, value: (status: OutboxStatus) => number) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          const status = await outboxStatus();
          if (status) this.set(value(status));
          else this.reset();
        },
      });
    new Gauge({
      name: 'conduit_outbox_up',
      help: 'Whether the outbox could be read in time at this scrape',
      registers,
      async collect() {
        this.set((await outboxStatus()) ? 1 : 0);
      },
    });
    outboxGauge('conduit_outbox_pending_events', 'Outbox events whose side effect is not done yet', (status) => status.pending);
    outboxGauge('conduit_outbox_redispatched_events', 'Pending outbox events handed to the queue more than once', (status) => status.redispatched);
    outboxGauge('conduit_outbox_oldest_pending_age_seconds', 'Age of the oldest pending outbox event (0 when none is pending)', (status) =>
      status.oldestPendingAt ? Math.max(0, (Date.now() - status.oldestPendingAt.getTime()) / 1000) : 0,
    );
  }

  /** Per replica: reads served, reads that failed over to the primary, health and lag; and the reads kept on the primary, by reason. */
  private replicaMetrics(replicas: ReadReplicas): void {
    const registers = [this.registry];
    new Counter({
      name: 'conduit_db_replica_reads_total',
      help: 'Reads served by each PostgreSQL read replica',
      labelNames: ['replica'],
      registers,
      collect() {
        this.reset();
        for (const state of replicas.states()) this.inc({ replica: state.name }, state.reads);
      },
    });
    new Counter({
      name: 'conduit_db_replica_failed_reads_total',
      help: 'Reads that failed on a replica and were answered by the primary instead',
      labelNames: ['replica'],
      registers,
      collect() {
        this.reset();
        for (const state of replicas.states()) this.inc({ replica: state.name }, state.failures);
      },
    });
    new Gauge({
      name: 'conduit_db_replica_healthy',
      help: 'Whether the replica serves reads (1) or is left out (0: unreachable, not a standby, or behind by more than DATABASE_REPLICA_MAX_LAG_MS)',
      labelNames: ['replica'],
      registers,
      collect() {
        for (const state of replicas.states()) this.set({ replica: state.name }, state.healthy ? 1 : 0);
      },
    });
    new Gauge({
      name: 'conduit_db_replica_lag_seconds',
      help: 'How far the replica was behind the primary at its last check; absent when it could not be measured',
      labelNames: ['replica'],
      registers,
      collect() {
        this.reset();
        for (const state of replicas.states()) if (state.lagMs !== undefined) this.set({ replica: state.name }, state.lagMs / 1000);
      },
    });
    new Counter({
      name: 'conduit_db_primary_reads_total',
      help: 'Reads a replica could have served that went to the primary: no healthy replica, the reader wrote recently (read-your-writes), it is not known whether they did (writer-unknown), or a cache fill behind its last invalidation (cache-fill)',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, count] of Object.entries(replicas.primaryReads)) this.inc({ reason }, count);
      },
    });
  }

  /** The exposition of every metric, each source read afresh. */
  render(): Promise<string> {
    this.scrapes += 1;
    return this.registry.metrics();
  }

  /** `read`, done once per scrape and shared by the collectors of that scrape. */
  private perScrape<T>(read: () => Promise<T>): () => Promise<T> {
    let last: { scrape: number; value: Promise<T> } | undefined;
    return () => {
      if (last?.scrape !== this.scrapes) last = { scrape: this.scrapes, value: read() };
      return last.value;
    };
  }

  /** Records one finished HTTP request. */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  /** Records one job a queue runtime ran (see QueueRuntime). */
  jobFinished({ queue, name, outcome, seconds }: FinishedJob): void {
    this.jobDuration.observe({ queue, name, outcome }, seconds);
  }

  /** Serves GET /metrics on a port of its own, on `host` (METRICS_HOST), closed with the application. */
  async listen(port: number, host: string, token: string | undefined): Promise<Server> {
    const server = createServer(metricsHandler(this, token));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.servers.push(server);
    this.logger.log(`Metrics served on ${host}:${port} at /metrics`);
    return server;
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          }),
      ),
    );
  }
}

