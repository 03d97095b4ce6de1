import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigService } from '@nestjs/config';
import type { Job } from 'bullmq';
import { PrismaService } from '@/infra/prisma/prisma.service';
import type { QueueRuntime } from '@/infra/queue/queue-runtime';
import { QUEUES } from '@/infra/queue/queues';
import { ElasticsearchIndexClient, OpenSearchIndexClient, type SearchIndexClient } from '@/modules/search/engines/search-index-client';
import type { SearchEngineKind } from '@/modules/search/search-engine';
import { FeatureDocumentSync } from '@/modules/search/feature-documents';
import { SearchIndexJobHandlers } from '@/modules/search/search-index.handlers';
import { SearchSync } from '@/modules/search/search-sync';
import { queueRuntime } from './jobs';

/**
 * The worker's `search` queue runtime, built on an api test app's providers (the api runs no
 * jobs), so that a suite can do what the worker does, when it chooses.
 */
export function searchProcessor(app: NestExpressApplication): QueueRuntime {
  return queueRuntime(app, QUEUES.search, new SearchIndexJobHandlers(app.get(SearchSync), app.get(FeatureDocumentSync)));
}

/** Runs one search job as the worker would, then makes what it wrote visible to searches. */
export async function runSearchJob(app: NestExpressApplication, processor: QueueRuntime, name: string, data: Record<string, unknown>): Promise<void> {
  await processor.process({ name, data } as unknown as Job);
  await refreshSearchIndexes(app);
}

/** Makes every write so far visible to searches (a refresh), on whichever search node is named. */
export async function refreshSearchIndexes(app: NestExpressApplication): Promise<void> {
  const client = liveIndexClient(app);
  if (client) await client.refresh('_all');
}

/** The client of the search node this run names (none on PostgreSQL alone). */
function liveIndexClient(app: NestExpressApplication): SearchIndexClient | undefined {
  if (process.env.SEARCH_ENGINE === 'opensearch') return app.get(OpenSearchIndexClient);
  return process.env.ELASTICSEARCH_NODE ? app.get(ElasticsearchIndexClient) : undefined;
}

/** Handles every pending `search` outbox event whose name starts with `prefix`, oldest first, as the worker would. */
export async function handlePendingSearchEvents(app: NestExpressApplication, processor: QueueRuntime, prefix: string): Promise<number> {
  const events = await app.get(PrismaService).outboxEvent.findMany({
    where: { queue: 'search', completedAt: null, name: { startsWith: prefix } },
    orderBy: { id: 'asc' },
  });
  for (const event of events) await runSearchJob(app, processor, event.name, { ...(event.payload as object), eventId: event.id.toString() });
  return events.length;
}

/**
 * Loses every document of one feature from the engine, as a lost index or table would: rows of
 * `search_documents` on PostgreSQL; on a search node, deletes just above each document's version
 * (the integration-test nodes have no delete-by-query), so later events still win over them.
 */
export async function forgetFeatureDocuments(app: NestExpressApplication, engine: SearchEngineKind, type: string): Promise<void> {
  if (engine === 'postgres') {
    await app.get(PrismaService).$executeRaw`DELETE FROM search_documents WHERE type = ${type}`;
    return;
  }
  const client = liveIndexClient(app)!;
  const index = app.get(ConfigService).getOrThrow<string>('ELASTICSEARCH_FEATURES_INDEX');
  await client.refresh(index);
  const found = await client.search({ index, size: 10_000, version: true, _source: false, query: { term: { type } } });
  if (found.hits.hits.length === 0) return;
  const response = await client.bulk({
    refresh: true,
    operations: found.hits.hits.map((hit) => ({ delete: { _index: index, _id: hit._id!, version: (hit._version ?? 0) + 1, version_type: 'external' as const } })),
  });
  if (response.errors) throw new Error(`deleting ${type}'s documents failed: ${JSON.stringify(response.items.find((item) => item.delete?.error))}`);
}

/**
 * The engines a search suite runs on: PostgreSQL alone by default; the live engine alone in the
 * live step (scripts/test-search-live.mjs, which has run the PostgreSQL half in the e2e step
 * already); both when a developer names an Elasticsearch server with ELASTICSEARCH_NODE.
 */
export function searchEnginesUnderTest(suite: string): SearchEngineKind[] {
  const live = process.env.SEARCH_LIVE_ENGINE as SearchEngineKind | undefined;
  if (live) return [live];
  if (process.env.ELASTICSEARCH_NODE) return ['postgres', 'elasticsearch'];
  // Said in the output on purpose: the other engines' half of the suite needs a real server.
  console.log(`${suite}: no search node named (ELASTICSEARCH_NODE, or npm run test:search-live), so only the PostgreSQL engine is tested here`);
  return ['postgres'];
}

/** The search node this run names (the live step's, or a developer's ELASTICSEARCH_NODE), if any. */
export function namedSearchNode(): { engine: 'elasticsearch' | 'opensearch'; url: string } | undefined {
  if (process.env.SEARCH_ENGINE === 'opensearch' && process.env.OPENSEARCH_NODE) return { engine: 'opensearch', url: process.env.OPENSEARCH_NODE };
  return process.env.ELASTICSEARCH_NODE ? { engine: 'elasticsearch', url: process.env.ELASTICSEARCH_NODE } : undefined;
}
