import { defineJobs } from '@/infra/queue/job-handler';
import { type OutboxJobData, QUEUES } from '@/infra/queue/queues';

/**
 * Jobs of the `search` queue. The article ones are written by database triggers (see the
 * search_engine migration, and TRIGGERED_JOBS) in the transaction of every change a search
 * document shows. Generated features' `<feature>.changed` / `<feature>.deleted` are a family of
 * names of their own (FEATURE_DOCUMENT_EVENT).
 */
export interface SearchJobs {
  'index-article': { articleId: number; version: number | string };
  'delete-article': { articleId: number; version: number | string };
  /** Write every generated feature's documents again (see FeatureDocumentSync.resyncAll); `search:reindex` asks for it. */
  'resync-features': Record<string, never>;
}

export type SearchJobName = keyof SearchJobs;
export type SearchJobData<Name extends SearchJobName> = SearchJobs[Name] & OutboxJobData;

export const SEARCH_JOBS = defineJobs<SearchJobs>(QUEUES.search, { 'index-article': true, 'delete-article': true, 'resync-features': true });
