import type { estypes } from '@elastic/elasticsearch';
import { Logger, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '@/config/environment';
import type {
  ArticleDocument,
  ArticleSearch,
  ArticleSearchResult,
  FeatureDocumentOperation,
  FeatureDocumentSearch,
  FeatureDocumentSearchResult,
  IndexedVersion,
  SearchEngine,
  SyncOperation,
  SyncOutcome,
  TrendingTag,
} from '../search-engine';
import {
  articleIndexSettings,
  articleMappings,
  articleSearchRequest,
  bulkOperations,
  readBulkOutcomes,
  readSearchHits,
  readTrendingTags,
  timestampedIndexName,
  trendingTagsRequest,
} from './article-index';
import { featureBulkOperations, featureMappings, featureSearchRequest, readFeatureHits } from './feature-index';
import { LONGEST_REQUEST_MS, type SearchIndexClient, type SearchRequestOptions } from './search-index-client';

const VERSIONS_PAGE = 5_000;
/**
 * The rebuild's writes and its one refresh run in a command, not in a request: they may take
 * longer than ELASTICSEARCH_TIMEOUT_MS (the first refresh of a fully loaded index writes all its
 * segments; a loaded node takes seconds per bulk), and a reindex must not fail for it.
 */
const REBUILD_REQUEST: SearchRequestOptions = { requestTimeout: LONGEST_REQUEST_MS };

/**
 * A search server's index engine (Elasticsearch or OpenSearch: one query DSL, see
 * search-index-client.ts), when configured. Searches and sync writes go through an alias
 * (ELASTICSEARCH_INDEX); a rebuild fills a new timestamped index and moves the alias to it in one
 * atomic request, then drops the old index. Generated features' documents live behind one more
 * alias (ELASTICSEARCH_FEATURES_INDEX), in one index, each tagged with its feature's type.
 */
export abstract class IndexSearchEngine implements SearchEngine, OnModuleInit {
  abstract readonly kind: 'elasticsearch' | 'opensearch';
  readonly syncsDocuments = true;
  readonly indexName: string;
  readonly featuresIndex: string;
  private readonly logger = new Logger(this.constructor.name);
  /** The alias exists (checked once; a sync write before that creates the first index). */
  private ready = false;
  private ensuring?: Promise<void>;
  private featuresReady = false;
  private ensuringFeatures?: Promise<void>;

  /** `enabled`: this engine is the configured one (otherwise it never talks to its server). */
  constructor(
    readonly client: SearchIndexClient,
    config: ConfigService<Environment, true>,
    private readonly enabled: boolean,
  ) {
    this.indexName = config.get('ELASTICSEARCH_INDEX', { infer: true });
    this.featuresIndex = config.get('ELASTICSEARCH_FEATURES_INDEX', { infer: true });
  }

  /**
   * Creates the first index behind the alias if there is none, without holding up start-up:
   * the server being down is not fatal (searches answer 503, sync writes are retried).
   */
  onModuleInit(): void {
    if (!this.enabled) return;
    this.ensureIndex().catch((error: Error) => this.logger.warn(`${this.kind} index "${this.indexName}" not ready: ${error.message}`));
  }

  /** The alias exists; concurrent callers share one check (and one creation). */
  ensureIndex(): Promise<void> {
    this.ensuring ??= this.createIndexIfMissing().finally(() => (this.ensuring = undefined));
    return this.ensuring;
  }

  private async createIndexIfMissing(): Promise<void> {
    if (this.ready) return;
    await this.createAliasedIndexIfMissing(this.indexName, articleMappings());
    this.ready = true;
  }

  /**
   * The features' index exists behind its alias, created with its mapping (writes go through the
   * alias with `require_alias`, so a lost index is never re-created by a write without a mapping).
   */
  private ensureFeaturesIndex(): Promise<void> {
    this.ensuringFeatures ??= (async () => {
      if (this.featuresReady) return;
      await this.createAliasedIndexIfMissing(this.featuresIndex, featureMappings());
      this.featuresReady = true;
    })().finally(() => (this.ensuringFeatures = undefined));
    return this.ensuringFeatures;
  }

  /** A first timestamped index with `mappings` behind `alias`, unless the alias exists. */
  private async createAliasedIndexIfMissing(alias: string, mappings: estypes.MappingTypeMapping): Promise<void> {
    if (await this.client.existsAlias(alias)) return;
    await this.client.createIndex({
      index: timestampedIndexName(alias),
      settings: articleIndexSettings(),
      mappings,
      aliases: { [alias]: { is_write_index: true } },
    });
  }

  async searchFeatureDocuments(search: FeatureDocumentSearch): Promise<FeatureDocumentSearchResult> {
    await this.ensureFeaturesIndex();
    return readFeatureHits(await this.client.search(featureSearchRequest(this.featuresIndex, search)));
  }

  async writeFeatureDocuments(operations: FeatureDocumentOperation[]): Promise<SyncOutcome[]> {
    if (operations.length === 0) return [];
    try {
      await this.ensureFeaturesIndex();
      const outcomes = readBulkOutcomes(operations, await this.client.bulk({ operations: featureBulkOperations(this.featuresIndex, operations), require_alias: true }));
      // The alias may have gone (an index deleted by hand): check it again before the retry.
      if (outcomes.some((outcome) => outcome.result === 'failed')) this.featuresReady = false;
      return outcomes;
    } catch (error) {
      this.featuresReady = false;
      return operations.map((operation) => ({ id: operation.id, result: 'failed' as const, error: (error as Error).message }));
    }
  }

  async searchArticles(search: ArticleSearch): Promise<ArticleSearchResult> {
    return readSearchHits(await this.client.search(articleSearchRequest(this.indexName, search)));
  }

  async trendingTags(days: number, limit: number): Promise<TrendingTag[]> {
    return readTrendingTags(await this.client.search(trendingTagsRequest(this.indexName, days, limit)));
  }

  async write(operations: SyncOperation[]): Promise<SyncOutcome[]> {
    try {
      await this.ensureIndex();
    } catch (error) {
      return operations.map((operation) => ({ id: operation.id, result: 'failed' as const, error: (error as Error).message }));
    }
    return this.writeTo(this.indexName, operations, true);
  }

  /** Counts and versions are read after a refresh, so that writes of the last second are seen. */
  reachable(): Promise<boolean> {
    return this.client.ping().then(
      (answer) => answer,
      () => false,
    );
  }

  async countDocuments(): Promise<number> {
    await this.client.refresh(this.indexName);
    return this.client.count(this.indexName);
  }

  async *indexedVersions(): AsyncIterable<IndexedVersion[]> {
    await this.client.refresh(this.indexName);
    let after: estypes.SortResults | undefined;
    for (;;) {
      const response = await this.client.search({
        index: this.indexName,
        size: VERSIONS_PAGE,
        _source: false,
        version: true,
        query: { match_all: {} },
        sort: [{ id: { order: 'asc' } }],
        ...(after && { search_after: after }),
      });
      const hits = response.hits.hits;
      if (hits.length === 0) return;
      yield hits.map((hit) => ({ id: Number(hit._id), version: BigInt(hit._version ?? 0) }));
      after = hits[hits.length - 1].sort;
      if (hits.length < VERSIONS_PAGE) return;
    }
  }

  async rebuild(documents: AsyncIterable<Array<{ version: bigint; document: ArticleDocument }>>): Promise<{ index: string; documents: number }> {
    const index = timestampedIndexName(this.indexName);
    // No refreshes while loading: faster, and the new index is invisible until the swap anyway.
    await this.client.createIndex({ index, settings: { ...articleIndexSettings(), refresh_interval: '-1' }, mappings: articleMappings() });
    let count = 0;
    try {
      for await (const page of documents) {
        if (page.length === 0) continue;
        const operations: SyncOperation[] = page.map(({ version, document }) => ({ kind: 'index', id: document.id, version, document }));
        const failed = (await this.writeTo(index, operations, false, REBUILD_REQUEST)).filter((outcome) => outcome.result === 'failed');
        if (failed.length > 0) throw new Error(`reindex failed on article ${failed[0].id}: ${failed[0].error ?? 'unknown error'}`);
        count += page.length;
      }
      await this.client.putSettings(index, { refresh_interval: '1s' }, REBUILD_REQUEST);
      await this.client.refresh(index, REBUILD_REQUEST);
    } catch (error) {
      // Nothing half-built is left behind: the alias still names the previous index.
      await this.client.deleteIndex(index).catch(() => undefined);
      throw error;
    }
    const previous = (await this.client.existsAlias(this.indexName)) ? await this.client.aliasIndices(this.indexName) : [];
    await this.client.updateAliases([
      ...previous.map((old) => ({ remove: { index: old, alias: this.indexName } })),
      { add: { index, alias: this.indexName, is_write_index: true } },
    ]);
    if (previous.length > 0) await this.client.deleteIndex(previous);
    return { index, documents: count };
  }

  /** `throughAlias`: refuse to write if `index` is not an alias (never let a write auto-create an unmapped index). */
  private async writeTo(index: string, operations: SyncOperation[], throughAlias = false, options?: SearchRequestOptions): Promise<SyncOutcome[]> {
    if (operations.length === 0) return [];
    try {
      const response = await this.client.bulk({ operations: bulkOperations(index, operations), ...(throughAlias && { require_alias: true }) }, options);
      return readBulkOutcomes(operations, response);
    } catch (error) {
      // The whole request failed (the server down, timeout): every operation is retried.
      return operations.map((operation) => ({ id: operation.id, result: 'failed' as const, error: (error as Error).message }));
    }
  }
}
