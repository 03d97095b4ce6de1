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
 * How many jobs of each queue one worker process runs at once (the queue's runtime, see
 * QueueWorkers). Search jobs mostly wait for the engine, and side by side they become a few bulk
 * writes (SearchSync batches them); an image job holds a decoded image in memory.
 */
export const QUEUE_CONCURRENCY: Record<QueueName, number> = {
  [QUEUES.mail]: 8,
  [QUEUES.scheduled]: 2,
  [QUEUES.search]: 200,
  [QUEUES.media]: 2,
};

/** Every job carries the outbox event it came from (absent for jobs a scheduler or a handler started). */
export interface OutboxJobData {
  eventId?: string;
}
