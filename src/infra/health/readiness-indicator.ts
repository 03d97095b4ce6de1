import type { HealthIndicatorResult } from '@nestjs/terminus';

/**
 * One dependency reported by GET /health/ready. `check` resolves to terminus's `up`/`down`
 * result under `key`; the controller bounds it in time, so a hanging dependency is reported down
 * rather than holding the probe. Only `required` indicators make the api unready when down: the
 * others (Redis, the search engine) are reported, and the api serves without them.
 */
export interface ReadinessIndicator {
  readonly key: string;
  readonly required: boolean;
  check(): Promise<HealthIndicatorResult>;
}

/** The list of indicators the readiness probe runs (see HealthModule.forRoot for where to add one). */
export const READINESS_INDICATORS = Symbol('READINESS_INDICATORS');
