/**
 * Every queue of Conduit. Producers never hold a `Queue`: features write job intents to the
 * outbox (see OutboxService) and the worker's relay hands them to these queues.
 */
export const QUEUES = {
  /** Welcome, new-follower, new-comment and new-article mails, and the digest. */
  mail: 'mail',
  /** Work due at a time: scheduled publication, the digest run, outbox housekeeping. */
  scheduled: 'scheduled',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const QUEUE_NAMES = Object.values(QUEUES);

/** Every job carries the outbox event it came from (absent for jobs a scheduler started). */
export interface OutboxJobData {
  eventId?: string;
}
