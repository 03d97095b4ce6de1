import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DiscoveryService, ModuleRef } from '@nestjs/core';
import { type Queue, Worker } from 'bullmq';
import type { Environment } from '@/config/environment';
import { declaredJobTables } from './job-handler';
import { type EnqueuedJob, jobHandlerProblems, JobRegistry } from './job-registry';
import { JobObserver, OutboxCompletion, QueueRuntime } from './queue-runtime';
import { QUEUE_CONCURRENCY, QUEUE_NAMES } from './queues';
import { TRIGGERED_JOBS } from './triggered-jobs';

/** Every job some code of this process can enqueue: the declared job tables and the triggers' jobs. */
export function enqueuedJobs(): EnqueuedJob[] {
  const declared = declaredJobTables().flatMap((table) => table.names.map((name) => ({ queue: table.queue, name, from: 'declared in a job table' })));
  return [...declared, ...TRIGGERED_JOBS];
}

/**
 * The worker's BullMQ workers: one per queue, each running its queue's QueueRuntime over the job
 * handlers of every provider (`@JobHandler`). At start-up, before any job is taken, it checks that
 * every job that can be enqueued has exactly one handler, and refuses to start otherwise.
 *
 * A job's lock lasts JOB_LOCK_MS, and workers look for jobs whose lock expired (their worker died)
 * as often: a job cut short by SIGKILL runs again after about that long.
 */
@Injectable()
export class QueueWorkers implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Worker');
  private readonly workers: Worker[] = [];
  private registry?: JobRegistry;
  private warned = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly moduleRef: ModuleRef,
    private readonly outbox: OutboxCompletion,
    private readonly observer: JobObserver,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  /** The job handlers of every provider: found once every provider exists. */
  handlers(): JobRegistry {
    this.registry ??= JobRegistry.of(this.discovery.getProviders().map((wrapper) => wrapper.instance as unknown));
    return this.registry;
  }

  /** Before any provider starts work (the relay, the schedulers, the workers): a mismatch stops the process. */
  onModuleInit(): void {
    const problems = jobHandlerProblems(this.handlers(), enqueuedJobs(), QUEUE_NAMES);
    if (problems.length > 0) throw new Error(`the job handlers do not match the jobs: ${problems.join('; ')}`);
  }

  /** After every provider's onModuleInit, so that no handler runs before its own set-up. */
  onApplicationBootstrap(): void {
    const lockMs = this.config.get('JOB_LOCK_MS', { infer: true });
    for (const queue of this.handlers().queues(QUEUE_NAMES)) {
      const runtime = new QueueRuntime(queue, this.handlers(), this.outbox, this.observer);
      // The connection and key prefix of the queue (BullModule's shared configuration), as @nestjs/bullmq passes them.
      const { connection, prefix, telemetry } = this.moduleRef.get<Queue>(getQueueToken(queue), { strict: false }).opts;
      const worker = new Worker(queue, (job, token) => runtime.process(job, token), {
        connection,
        prefix,
        telemetry,
        concurrency: QUEUE_CONCURRENCY[queue],
        lockDuration: lockMs,
        stalledInterval: lockMs,
      });
      // Without an 'error' listener BullMQ prints each Redis connection error with its stack, again at
      // every reconnection attempt: one warning instead. The workers keep reconnecting and take jobs once Redis answers.
      worker.on('error', (error: Error) => {
        if (!this.warned) this.logger.warn(`Redis unavailable for the queue workers: ${error.message}`);
        this.warned = true;
      });
      this.workers.push(worker);
    }
  }

  /** Every BullMQ worker of the process (for the graceful shutdown). */
  all(): readonly Worker[] {
    return this.workers;
  }

  /** Each worker stops taking jobs and finishes those in hand (a second close waits for the first). */
  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}
