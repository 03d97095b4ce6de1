import type { OutboxJobData } from '@/infra/queue/queues';

/**
 * Jobs of the `search` queue. Their outbox events are written by database triggers (see the
 * search_engine migration) in the transaction of every change a search document shows.
 */
export interface SearchJobs {
  'index-article': { articleId: number; version: number | string };
  'delete-article': { articleId: number; version: number | string };
  /** Write every generated feature's documents again (see FeatureDocumentSync.resyncAll); `search:reindex` asks for it. */
  'resync-features': Record<string, never>;
}

export type SearchJobName = keyof SearchJobs;
export type SearchJobData<Name extends SearchJobName> = SearchJobs[Name] & OutboxJobData;

export const SEARCH_JOB_NAMES: SearchJobName[] = ['index-article', 'delete-article', 'resync-features'];
