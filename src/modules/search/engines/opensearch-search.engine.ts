import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '@/config/environment';
import { configuredSearchEngine } from './elasticsearch-search.engine';
import { IndexSearchEngine } from './index-search.engine';
import { OpenSearchIndexClient } from './search-index-client';

/** OpenSearch 2.x, when SEARCH_ENGINE=opensearch (with OPENSEARCH_NODE): the same index, mapping and queries as Elasticsearch. */
@Injectable()
export class OpenSearchSearchEngine extends IndexSearchEngine {
  readonly kind = 'opensearch';

  constructor(client: OpenSearchIndexClient, config: ConfigService<Environment, true>) {
    super(client, config, configuredSearchEngine(config) === 'opensearch');
  }
}
