import type { EnqueuedJob } from './job-registry';
import { QUEUES } from './queues';

/**
 * The jobs that SQL triggers enqueue: outbox rows written by the database itself, in the
 * transaction of the change (prisma/migrations). No TypeScript producer names them, so the
 * worker's start-up check learns them here; triggered-jobs.spec.ts holds this list to the
 * migrations' SQL, so a trigger that writes a new job name fails the tests until it is listed.
 */
export const TRIGGERED_JOBS: readonly EnqueuedJob[] = [
  { queue: QUEUES.search, name: 'index-article', from: 'trigger articles_search_outbox' },
  { queue: QUEUES.search, name: 'delete-article', from: 'trigger articles_search_outbox' },
];
