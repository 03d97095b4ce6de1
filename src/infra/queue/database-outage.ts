import { DelayedError, Job } from 'bullmq';
import { isDatabaseUnavailable } from '@/infra/prisma/prisma-errors';

/** While PostgreSQL is unreachable, a job tries again this often. */
export const DATABASE_OUTAGE_RETRY_MS = 5_000;

/**
 * Runs a job's work. If it fails because PostgreSQL is unreachable (a restart, a failover), the
 * job goes back to the delayed set without spending one of its attempts (BullMQ's DelayedError):
 * attempts and backoff are for jobs that fail on their own, and an outage longer than their
 * backoff must not leave every job of that time in the failed set, waiting for an operator.
 */
export async function throughDatabaseOutages(job: Job, token: string | undefined, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (!token || !isDatabaseUnavailable(error)) throw error;
    await job.moveToDelayed(Date.now() + DATABASE_OUTAGE_RETRY_MS, token);
    throw new DelayedError(`PostgreSQL is unavailable: job delayed by ${DATABASE_OUTAGE_RETRY_MS} ms`);
  }
}
