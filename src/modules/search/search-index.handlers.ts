import { Injectable, Logger } from '@nestjs/common';
import { type JobInfo, JobHandler } from '@/infra/queue/job-handler';
import { QUEUES } from '@/infra/queue/queues';
import { FEATURE_DOCUMENT_EVENT, featureDocumentEventType, FeatureDocumentSync } from './feature-documents';
import { SEARCH_JOBS, type SearchJobData } from './search-jobs';
import { SearchSync } from './search-sync';

/**
 * The `search` queue: brings article documents, and generated features' documents
 * (`<feature>.changed` / `<feature>.deleted`, see feature-documents.ts), in line with PostgreSQL. Many jobs run side by side
 * so that a burst of events becomes a few bulk writes (SearchSync batches them). Jobs carry ids
 * and versions only; the current row is read at write time, and external versions make a late or
 * repeated job harmless.
 */
@Injectable()
export class SearchIndexJobHandlers {
  private readonly logger = new Logger('SearchIndexJobHandlers');

  constructor(
    private readonly sync: SearchSync,
    private readonly features: FeatureDocumentSync,
  ) {}

  /** Indexed or deleted alike: SearchSync reads the article now and writes what it finds. */
  @JobHandler(SEARCH_JOBS, 'index-article')
  @JobHandler(SEARCH_JOBS, 'delete-article')
  async syncArticle({ articleId, version }: SearchJobData<'index-article'>): Promise<void> {
    await this.sync.sync(articleId, BigInt(version ?? 0));
  }

  @JobHandler(SEARCH_JOBS, 'resync-features')
  async resyncFeatures(): Promise<void> {
    const counts = await this.features.resyncAll();
    this.logger.log(`feature documents to write again: ${JSON.stringify(counts)}`);
  }

  /** The event's id is the document's version: events of one item are ordered by their transactions. */
  @JobHandler(QUEUES.search, FEATURE_DOCUMENT_EVENT)
  async syncFeatureDocument({ id, eventId }: { id: number; eventId?: string }, job: JobInfo): Promise<void> {
    await this.features.sync(featureDocumentEventType(job.name)!, id, BigInt(eventId ?? 0));
  }
}
