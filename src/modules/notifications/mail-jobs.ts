import type { OutboxJobData } from '@/infra/queue/queues';

/** Every job of the `mail` queue, by name, with its data: the processor's switch is checked against it. */
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
export const MAIL_JOB_NAMES = [
  'welcome',
  'new-follower',
  'new-comment',
  'new-article',
  'new-article-batch',
  'digest',
  'digest-batch',
] as const satisfies readonly MailJobName[];

export type MailJobData<N extends MailJobName> = MailJobs[N] & OutboxJobData;

/** Recipients per fan-out batch: one job sends this many mails at most. */
export const FAN_OUT_BATCH = 100;
