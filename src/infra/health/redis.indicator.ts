import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisPubSub } from '@/infra/redis/redis.module';
import type { ReadinessIndicator } from './readiness-indicator';

/**
 * Redis answers a PING. Reported, not required: the api serves from PostgreSQL without its cache,
 * and writes queue their side effects in the outbox, so it stays "up" with `reachable: false`.
 */
@Injectable()
export class RedisIndicator implements ReadinessIndicator {
  readonly key = 'redis';
  readonly required = false;

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisPubSub,
  ) {}

  async check() {
    const reachable = await this.redis.ping().then(
      () => true,
      () => false,
    );
    return this.indicators.check(this.key).up({ reachable });
  }
}
