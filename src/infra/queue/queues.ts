/**
 * Every queue of Conduit. Producers never hold a `Queue`: features write job intents to the
 * outbox (see OutboxService) and the worker's relay hands them to these queues.
 */
export const QUEUES = {
  /** Welcome, new-follower, new-comment and new-article mails, and the digest. */
  mail: 'mail',
  /** Work due at a time: scheduled publication, the digest run, outbox housekeeping. */
  scheduled: 'scheduled',
  /** Search documents (articles, searchable generated features) indexed or deleted in the search engine. */
  search: 'search',
  /** Uploaded images: checking, re-encoding into variants, and deleting what is no longer used. */
  media: 'media',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const QUEUE_NAMES = Object.values(QUEUES);

/**
 * How long a worker's lock on an active job lasts, and how often workers look for jobs whose
 * lock expired (their worker died): a job cut short by SIGKILL runs again after about this long.
 * Read from the environment directly because processor options are fixed when the class is
 * declared, before configuration is injected; JOB_LOCK_MS is validated with the rest at start-up.
 */
export function jobLockOptions(): { lockDuration: number; stalledInterval: number } {
  const lockMs = Number(process.env.JOB_LOCK_MS || 30_000);
  return { lockDuration: lockMs, stalledInterval: lockMs };
}

/** Every job carries the outbox event it came from (absent for jobs a scheduler started). */
export interface OutboxJobData {
  eventId?: string;
}
