import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { OutboxService } from '@/infra/outbox/outbox.service';
import { jobLockOptions, QUEUES } from '@/infra/queue/queues';
import { featureDocumentEventType, FeatureDocumentSync } from './feature-documents';
import type { SearchJobData, SearchJobName } from './search-jobs';
import { SearchSync } from './search-sync';

/**
 * The `search` queue: brings article documents, and generated features' documents
 * (`<feature>.changed` / `<feature>.deleted`, see feature-documents.ts), in line with PostgreSQL. Many jobs run side by side
 * so that a burst of events becomes a few bulk writes (SearchSync batches them). Jobs carry ids
 * and versions only; the current row is read at write time, and external versions make a late or
 * repeated job harmless.
 */
@Processor(QUEUES.search, { concurrency: 200, ...jobLockOptions() })
export class SearchIndexProcessor extends WorkerHost {
  private readonly logger = new Logger('SearchIndexProcessor');

  constructor(
    private readonly sync: SearchSync,
    private readonly features: FeatureDocumentSync,
    private readonly outbox: OutboxService,
  ) {
    super();
  }

  async process(job: Job): Promise<void> {
    const name = job.name as SearchJobName;
    switch (name) {
      case 'index-article':
      case 'delete-article': {
        const data = job.data as SearchJobData<typeof name>;
        await this.sync.sync(data.articleId, BigInt(data.version ?? 0));
        break;
      }
      case 'resync-features': {
        const counts = await this.features.resyncAll();
        this.logger.log(`feature documents to write again: ${JSON.stringify(counts)}`);
        break;
      }
      default: {
        const featureType = featureDocumentEventType(name);
        if (!featureType) throw new Error(`search queue has no handler for job "${String(name)}"`);
        const data = job.data as { id: number; eventId?: string };
        await this.features.sync(featureType, data.id, BigInt(data.eventId ?? 0));
      }
    }
    const eventId = (job.data as SearchJobData<SearchJobName>).eventId;
    if (eventId) await this.outbox.complete(eventId);
  }
}
