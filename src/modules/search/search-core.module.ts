import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ElasticsearchModule } from '@nestjs/elasticsearch';
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import type { Environment } from '@/config/environment';
import { OutboxModule } from '@/infra/outbox/outbox.module';
import { ArticleDocumentsModule } from '@/modules/articles/article-documents';
import { FeatureDocumentSources, FeatureDocumentSync, FeatureSearch } from './feature-documents';
import { configuredSearchEngine, ElasticsearchSearchEngine } from './engines/elasticsearch-search.engine';
import { OpenSearchSearchEngine } from './engines/opensearch-search.engine';
import { ElasticsearchIndexClient, LONGEST_REQUEST_MS, OPENSEARCH_CLIENT, OpenSearchIndexClient } from './engines/search-index-client';
import { PostgresSearchEngine } from './engines/postgres-search.engine';
import { SEARCH_ENGINE, type SearchEngine } from './search-engine';
import { SearchLimits } from './search-limits';
import { SearchMaintenance } from './search-maintenance.service';
import { SearchSync } from './search-sync';

/**
 * The search engine chosen by configuration, and what every process does with it: the api
 * searches, the worker syncs, the command line checks and reindexes. Searchable generated
 * features import it for FeatureDocumentSources and FeatureSearch (see feature-documents.ts). The Elasticsearch and
 * OpenSearch clients are always constructed (they connect lazily) but used only by the configured engine.
 */
@Module({
  imports: [
    // Global, and already loaded in the api and the worker; named here for the command line.
    OutboxModule,
    ArticleDocumentsModule,
    ElasticsearchModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        node: config.get('ELASTICSEARCH_NODE', { infer: true }) ?? 'http://127.0.0.1:9200',
        // A ceiling only: ElasticsearchIndexClient bounds each request by ELASTICSEARCH_TIMEOUT_MS
        // or by the longer timeout it asks for (this client can shorten its timeout, not lengthen it).
        requestTimeout: LONGEST_REQUEST_MS,
        // One retry: the client waits longer before each retry, and a dead node would hold a
        // search for seconds (sync writes are retried by the queue anyway).
        maxRetries: 1,
      }),
    }),
  ],
  providers: [
    PostgresSearchEngine,
    ElasticsearchIndexClient,
    ElasticsearchSearchEngine,
    {
      provide: OPENSEARCH_CLIENT,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        new OpenSearchClient({
          node: config.get('OPENSEARCH_NODE', { infer: true }) ?? 'http://127.0.0.1:9200',
          requestTimeout: config.get('ELASTICSEARCH_TIMEOUT_MS', { infer: true }),
          // No retry: this client retries a timed-out request too, which would hold a search for
          // twice ELASTICSEARCH_TIMEOUT_MS (sync writes are retried by the queue anyway).
          maxRetries: 0,
        }),
    },
    OpenSearchIndexClient,
    OpenSearchSearchEngine,
    {
      provide: SEARCH_ENGINE,
      inject: [ConfigService, PostgresSearchEngine, ElasticsearchSearchEngine, OpenSearchSearchEngine],
      useFactory: (
        config: ConfigService<Environment, true>,
        postgres: PostgresSearchEngine,
        elasticsearch: ElasticsearchSearchEngine,
        opensearch: OpenSearchSearchEngine,
      ): SearchEngine => ({ postgres, elasticsearch, opensearch })[configuredSearchEngine(config)],
    },
    SearchSync,
    SearchMaintenance,
    FeatureDocumentSources,
    FeatureDocumentSync,
    FeatureSearch,
    SearchLimits,
  ],
  exports: [ElasticsearchModule, ElasticsearchIndexClient, OpenSearchIndexClient, SEARCH_ENGINE, SearchSync, SearchMaintenance, FeatureDocumentSources, FeatureDocumentSync, FeatureSearch, SearchLimits],
})
export class SearchCoreModule {}
