import type { Logger } from '@nestjs/common';
import { DomainError } from '@/common/errors/domain-error';
import type { SearchEngine } from './search-engine';

/** The search engine did not answer (Elasticsearch down or too slow). */
export class SearchUnavailable extends DomainError {
  readonly status = 503;
  constructor() {
    super('search', 'is unavailable, try again later');
  }
}

/** An engine that cannot answer is a 503, not a 500; PostgreSQL's own errors keep their mapping. */
export async function askSearchEngine<T>(engine: SearchEngine, logger: Logger, question: () => Promise<T>): Promise<T> {
  if (engine.kind === 'postgres') return question();
  try {
    return await question();
  } catch (error) {
    logger.warn(`Search engine failed: ${(error as Error).message}`);
    throw new SearchUnavailable();
  }
}
