import { defineJobs } from '@/infra/queue/job-handler';
import { QUEUES } from '@/infra/queue/queues';

/** The articles' job on the `scheduled` queue. */
export interface ArticleJobs {
  /** From the outbox event written with a scheduled article, due at its `publishAt`. */
  'publish-article': { articleId: number };
}

export const ARTICLE_JOBS = defineJobs<ArticleJobs>(QUEUES.scheduled, { 'publish-article': true });
