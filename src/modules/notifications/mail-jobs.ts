import { defineJobs } from '@/infra/queue/job-handler';
import { type OutboxJobData, QUEUES } from '@/infra/queue/queues';

/** Every job of the `mail` queue, by name, with its data: producers and handlers are checked against it. */
export interface MailJobs {
  welcome: { userId: number };
  'new-follower': { followerId: number; followedId: number };
  'new-comment': { commentId: number };
  /** Fans out to the author's followers in batches of `new-article-batch`. */
  'new-article': { articleId: number };
  'new-article-batch': { articleId: number; recipientIds: number[] };
  /** Fans out to the opted-in users in batches of `digest-batch`. */
  digest: { day: string };
  'digest-batch': { day: string; recipientIds: number[] };
}

export type MailJobName = keyof MailJobs;

export const MAIL_JOBS = defineJobs<MailJobs>(QUEUES.mail, {
  welcome: true,
  'new-follower': true,
  'new-comment': true,
  'new-article': true,
  'new-article-batch': true,
  digest: true,
  'digest-batch': true,
});

export type MailJobData<N extends MailJobName> = MailJobs[N] & OutboxJobData;

/** The notifications' job on the `scheduled` queue. */
export interface DigestJobs {
  /** Repeatable (DIGEST_CRON): starts the day's digest mails. */
  'digest-run': Record<string, never>;
}

export const DIGEST_JOBS = defineJobs<DigestJobs>(QUEUES.scheduled, { 'digest-run': true });

/** Recipients per fan-out batch: one job sends this many mails at most. */
export const FAN_OUT_BATCH = 100;
