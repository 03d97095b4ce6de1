import type { estypes } from '@elastic/elasticsearch';
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';
import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ElasticsearchService } from '@nestjs/elasticsearch';
import type { Environment } from '@/config/environment';

/**
 * What the index engines ask of a search server, in Elasticsearch's request and response shapes
 * (OpenSearch speaks the same query DSL). The Elasticsearch and OpenSearch JavaScript clients
 * differ in how they take a request and hand back its answer, and each refuses the other's
 * server, so each gets a thin implementation below; IndexSearchEngine does the rest once.
 */
export interface SearchIndexClient {
  ping(): Promise<boolean>;
  existsAlias(name: string): Promise<boolean>;
  /** The concrete indices behind an alias. */
  aliasIndices(name: string): Promise<string[]>;
  createIndex(
    request: { index: string; settings: estypes.IndicesIndexSettings; mappings: estypes.MappingTypeMapping; aliases?: Record<string, estypes.IndicesAlias> },
    options?: SearchRequestOptions,
  ): Promise<void>;
  deleteIndex(index: string | string[]): Promise<void>;
  putSettings(index: string, settings: estypes.IndicesIndexSettings, options?: SearchRequestOptions): Promise<void>;
  updateAliases(actions: estypes.IndicesUpdateAliasesAction[]): Promise<void>;
  refresh(index: string, options?: SearchRequestOptions): Promise<void>;
  count(index: string): Promise<number>;
  search(request: estypes.SearchRequest): Promise<estypes.SearchResponse>;
  bulk(request: BulkRequest, options?: SearchRequestOptions): Promise<estypes.BulkResponse>;
}

export interface BulkRequest {
  operations: unknown[];
  require_alias?: boolean;
  refresh?: boolean;
}

/** Per-request transport options, which both clients take as their second argument. */
export interface SearchRequestOptions {
  requestTimeout?: number;
  maxRetries?: number;
}

/**
 * The error type a search server answered with (`resource_already_exists_exception`, ...): both
 * clients' response errors carry the server's answer in `meta.body`.
 */
export function searchErrorType(error: unknown): string | undefined {
  const type = (error as { meta?: { body?: { error?: { type?: unknown } } } } | undefined)?.meta?.body?.error?.type;
  return typeof type === 'string' ? type : undefined;
}

/**
 * The ceiling of any request to a search node, the client's own timeout: what a reindex's refresh
 * of a freshly loaded index may take. Every request names a shorter one (ELASTICSEARCH_TIMEOUT_MS
 * unless it says otherwise), because the Elasticsearch client's undici connection can shorten its
 * own timeout per request but never lengthen it.
 */
export const LONGEST_REQUEST_MS = 300_000;

/**
 * The Elasticsearch 8.x client (which 8.x and 9.x servers accept), through @nestjs/elasticsearch.
 * Each request is bounded by ELASTICSEARCH_TIMEOUT_MS, or by the longer timeout it asks for.
 */
@Injectable()
export class ElasticsearchIndexClient implements SearchIndexClient {
  private readonly defaults: SearchRequestOptions;

  constructor(
    private readonly client: ElasticsearchService,
    config: ConfigService<Environment, true>,
  ) {
    this.defaults = { requestTimeout: config.get('ELASTICSEARCH_TIMEOUT_MS', { infer: true }) };
  }

  private options(options?: SearchRequestOptions): SearchRequestOptions {
    return { ...this.defaults, ...options };
  }

  ping(): Promise<boolean> {
    return this.client.ping(undefined, this.options());
  }
  existsAlias(name: string): Promise<boolean> {
    return this.client.indices.existsAlias({ name }, this.options());
  }
  async aliasIndices(name: string): Promise<string[]> {
    return Object.keys(await this.client.indices.getAlias({ name }, this.options()));
  }
  async createIndex(request: Parameters<SearchIndexClient['createIndex']>[0], options?: SearchRequestOptions): Promise<void> {
    await this.client.indices.create(request, this.options(options));
  }
  async deleteIndex(index: string | string[]): Promise<void> {
    await this.client.indices.delete({ index }, this.options());
  }
  async putSettings(index: string, settings: estypes.IndicesIndexSettings, options?: SearchRequestOptions): Promise<void> {
    await this.client.indices.putSettings({ index, settings }, this.options(options));
  }
  async updateAliases(actions: estypes.IndicesUpdateAliasesAction[]): Promise<void> {
    await this.client.indices.updateAliases({ actions }, this.options());
  }
  async refresh(index: string, options?: SearchRequestOptions): Promise<void> {
    await this.client.indices.refresh({ index }, this.options(options));
  }
  async count(index: string): Promise<number> {
    return (await this.client.count({ index }, this.options())).count;
  }
  search(request: estypes.SearchRequest): Promise<estypes.SearchResponse> {
    return this.client.search(request, this.options());
  }
  bulk(request: BulkRequest, options?: SearchRequestOptions): Promise<estypes.BulkResponse> {
    return this.client.bulk(request, this.options(options));
  }
}

export const OPENSEARCH_CLIENT = Symbol('OpenSearchClient');

type OpenSearchBulkBody = Parameters<OpenSearchClient['bulk']>[0]['body'];

/**
 * The OpenSearch client (@opensearch-project/opensearch): requests carry their DSL in `body`,
 * answers come back in `body`, and the DSL itself is Elasticsearch's.
 */
@Injectable()
export class OpenSearchIndexClient implements SearchIndexClient, OnModuleDestroy {
  constructor(@Inject(OPENSEARCH_CLIENT) private readonly client: OpenSearchClient) {}

  onModuleDestroy(): Promise<void> {
    return this.client.close();
  }

  async ping(): Promise<boolean> {
    return (await this.client.ping()).body;
  }
  async existsAlias(name: string): Promise<boolean> {
    return (await this.client.indices.existsAlias({ name })).body;
  }
  async aliasIndices(name: string): Promise<string[]> {
    return Object.keys((await this.client.indices.getAlias({ name })).body);
  }
  async createIndex({ index, ...body }: Parameters<SearchIndexClient['createIndex']>[0], options?: SearchRequestOptions): Promise<void> {
    await this.client.indices.create({ index, body: body as never }, options);
  }
  async deleteIndex(index: string | string[]): Promise<void> {
    await this.client.indices.delete({ index });
  }
  async putSettings(index: string, settings: estypes.IndicesIndexSettings, options?: SearchRequestOptions): Promise<void> {
    await this.client.indices.putSettings({ index, body: settings as never }, options);
  }
  async updateAliases(actions: estypes.IndicesUpdateAliasesAction[]): Promise<void> {
    await this.client.indices.updateAliases({ body: { actions } as never });
  }
  async refresh(index: string, options?: SearchRequestOptions): Promise<void> {
    await this.client.indices.refresh({ index }, options);
  }
  async count(index: string): Promise<number> {
    return (await this.client.count({ index })).body.count;
  }
  async search({ index, ...body }: estypes.SearchRequest): Promise<estypes.SearchResponse> {
    return (await this.client.search({ index, body: body as never })).body as unknown as estypes.SearchResponse;
  }
  async bulk({ operations, require_alias, refresh }: BulkRequest, options?: SearchRequestOptions): Promise<estypes.BulkResponse> {
    return (await this.client.bulk({ body: operations as OpenSearchBulkBody, ...(require_alias && { require_alias }), ...(refresh && { refresh }) }, options)).body;
  }
}
