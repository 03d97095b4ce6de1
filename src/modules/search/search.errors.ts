import { DomainError } from '@/common/errors/domain-error';

/** The search engine did not answer (Elasticsearch down or too slow). */
export class SearchUnavailable extends DomainError {
  readonly status = 503;
  constructor() {
    super('search', 'is unavailable, try again later');
  }
}
