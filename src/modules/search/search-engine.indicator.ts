import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { ReadinessIndicator } from '@/infra/health/readiness-indicator';
import { SEARCH_ENGINE, type SearchEngine } from './search-engine';

/**
 * The search engine answers. Reported, not required: without Elasticsearch, searches answer 503
 * while every other route serves, and the index catches up from the outbox when it returns.
 */
@Injectable()
export class SearchEngineIndicator implements ReadinessIndicator {
  readonly key = 'search';
  readonly required = false;

  constructor(
    private readonly indicators: HealthIndicatorService,
    @Inject(SEARCH_ENGINE) private readonly engine: SearchEngine,
  ) {}

  async check() {
    return this.indicators.check(this.key).up({ engine: this.engine.kind, reachable: await this.engine.reachable() });
  }
}
