import { DelayedError, type Job } from 'bullmq';
import { runInJobContext } from '@/infra/logging/request-context';
import { throughDatabaseOutages } from './database-outage';
import type { JobInfo } from './job-handler';
import type { JobRegistry } from './job-registry';
import type { OutboxJobData, QueueName } from './queues';

/**
 * Marks an outbox event done once its job succeeded (OutboxService provides it). A port, so that
 * the queue runtime needs nothing of the outbox module, which itself builds on the queues.
 */
export abstract class OutboxCompletion {
  abstract complete(eventId: string): Promise<void>;
}

/** How a job ended: done, failed (BullMQ retries it or keeps it failed), or delayed by a database outage. */
export type JobOutcome = 'completed' | 'failed' | 'delayed';

export interface FinishedJob {
  queue: QueueName;
  /** The job's name; `unknown` for a job no handler claims (names from Redis are not trusted as labels). */
  name: string;
  outcome: JobOutcome;
  seconds: number;
}

/** Told of every job a runtime ran (the process's metrics provide it). A port, as OutboxCompletion. */
export abstract class JobObserver {
  abstract jobFinished(job: FinishedJob): void;
}

/**
 * The runtime of one queue: every job of the queue goes through `process`, which is the one place
 * that runs a job around its handler. In this order:
 *   1. the job context: its log lines carry the queue, name and id, and the request id that caused it;
 *   2. database outages: a job that fails because PostgreSQL is unreachable goes back to the delayed
 *      set without spending an attempt (throughDatabaseOutages);
 *   3. the handler registered for the job's name (none: the job fails, and is retried like any failure);
 *   4. outbox completion: a job that carried an outbox event id marks the event done, within the
 *      same outage handling (a database lost just then re-runs the job, and handlers are idempotent);
 *   5. metrics: the outcome and the time of every job.
 */
export class QueueRuntime {
  constructor(
    readonly queue: QueueName,
    private readonly registry: JobRegistry,
    private readonly outbox: OutboxCompletion,
    private readonly observer: JobObserver,
  ) {}

  async process(job: Job, token?: string): Promise<void> {
    const handler = this.registry.find(this.queue, job.name);
    const info: JobInfo = { queue: this.queue, name: job.name, id: job.id };
    const started = performance.now();
    let outcome: JobOutcome = 'failed';
    try {
      await runInJobContext({ ...info, queueName: this.queue, data: job.data }, () =>
        throughDatabaseOutages(job, token, async () => {
          if (!handler) throw new Error(`${this.queue} queue has no handler for job "${job.name}"`);
          await handler.run(job.data, info);
          const { eventId } = (job.data ?? {}) as OutboxJobData;
          if (eventId) await this.outbox.complete(eventId);
        }),
      );
      outcome = 'completed';
    } catch (error) {
      if (error instanceof DelayedError) outcome = 'delayed';
      throw error;
    } finally {
      this.observer.jobFinished({ queue: this.queue, name: handler ? job.name : 'unknown', outcome, seconds: (performance.now() - started) / 1000 });
    }
  }
}
