import type { NestExpressApplication } from '@nestjs/platform-express';
import { ElasticsearchService } from '@nestjs/elasticsearch';
import type { Job } from 'bullmq';
import { OutboxService } from '@/infra/outbox/outbox.service';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { FeatureDocumentSync } from '@/modules/search/feature-documents';
import { SearchIndexProcessor } from '@/modules/search/search-index.processor';
import { SearchSync } from '@/modules/search/search-sync';

/**
 * The worker's `search` queue processor, built on an api test app's providers (the api runs no
 * queue processors), so that a suite can do what the worker does, when it chooses.
 */
export function searchProcessor(app: NestExpressApplication): SearchIndexProcessor {
  return new SearchIndexProcessor(app.get(SearchSync), app.get(FeatureDocumentSync), app.get(OutboxService));
}

/** Runs one search job as the worker would, then makes what it wrote visible to searches. */
export async function runSearchJob(app: NestExpressApplication, processor: SearchIndexProcessor, name: string, data: Record<string, unknown>): Promise<void> {
  await processor.process({ name, data } as unknown as Job);
  if (process.env.ELASTICSEARCH_NODE) await app.get(ElasticsearchService).indices.refresh({ index: '_all' });
}

/** Handles every pending `search` outbox event whose name starts with `prefix`, oldest first, as the worker would. */
export async function handlePendingSearchEvents(app: NestExpressApplication, processor: SearchIndexProcessor, prefix: string): Promise<number> {
  const events = await app.get(PrismaService).outboxEvent.findMany({
    where: { queue: 'search', completedAt: null, name: { startsWith: prefix } },
    orderBy: { id: 'asc' },
  });
  for (const event of events) await runSearchJob(app, processor, event.name, { ...(event.payload as object), eventId: event.id.toString() });
  return events.length;
}
