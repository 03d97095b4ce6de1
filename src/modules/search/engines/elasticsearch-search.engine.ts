import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '@/config/environment';
import { IndexSearchEngine } from './index-search.engine';
import { ElasticsearchIndexClient } from './search-index-client';

/** Elasticsearch 8.x or 9.x, when ELASTICSEARCH_NODE is set (and SEARCH_ENGINE names no other engine). */
@Injectable()
export class ElasticsearchSearchEngine extends IndexSearchEngine {
  readonly kind = 'elasticsearch';

  constructor(client: ElasticsearchIndexClient, config: ConfigService<Environment, true>) {
    super(client, config, configuredSearchEngine(config) === 'elasticsearch');
  }
}

/** The engine configuration names: SEARCH_ENGINE when set, else Elasticsearch when ELASTICSEARCH_NODE is set, else PostgreSQL. */
export function configuredSearchEngine(config: ConfigService<Environment, true>): 'postgres' | 'elasticsearch' | 'opensearch' {
  return config.get('SEARCH_ENGINE', { infer: true }) ?? (config.get('ELASTICSEARCH_NODE', { infer: true }) ? 'elasticsearch' : 'postgres');
}
