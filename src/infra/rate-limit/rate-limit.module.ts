import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { Request } from 'express';
import type { Environment } from '@/config/environment';
import { accountOf, isSearchRoute, isStrictRoute, RateLimitGuard } from './rate-limit';
import { RedisThrottlerStorage } from './redis-throttler.storage';
import { WriteLimits } from './write-limits';

/** One set of counters (one Redis connection) for the request limits and the per-user write limits. */
@Module({ providers: [RedisThrottlerStorage], exports: [RedisThrottlerStorage] })
export class RateLimitStorageModule {}

/** Per-user write limits, for the features whose writes they bound (see WriteLimits). */
@Module({ imports: [RateLimitStorageModule], providers: [WriteLimits], exports: [WriteLimits] })
export class WriteLimitsModule {}

/**
 * Rate limits of the api, counted in Redis (see RedisThrottlerStorage): `default` on every route
 * per client address, and on login and registration `auth-ip` per address and `auth-account` per
 * address and email together. The client address is Express's `req.ip`, which honours TRUST_PROXY.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      imports: [RateLimitStorageModule],
      inject: [ConfigService, RedisThrottlerStorage],
      useFactory: (config: ConfigService<Environment, true>, storage: RedisThrottlerStorage) => {
        const enabled = config.get('RATE_LIMIT_ENABLED', { infer: true }) === true;
        const ttl = config.get('RATE_LIMIT_WINDOW_SECONDS', { infer: true }) * 1000;
        const notStrict = (context: Parameters<typeof isStrictRoute>[0]) => !enabled || !isStrictRoute(context);
        return {
          storage,
          throttlers: [
            { name: 'default', ttl, limit: config.get('RATE_LIMIT_MAX', { infer: true }), skipIf: () => !enabled },
            { name: 'search', ttl, limit: config.get('SEARCH_RATE_LIMIT_MAX', { infer: true }), skipIf: (context) => !enabled || !isSearchRoute(context) },
            { name: 'auth-ip', ttl, limit: config.get('RATE_LIMIT_AUTH_MAX', { infer: true }), skipIf: notStrict },
            {
              name: 'auth-account',
              ttl,
              limit: config.get('RATE_LIMIT_AUTH_ACCOUNT_MAX', { infer: true }),
              skipIf: notStrict,
              // Counted per address and account together: a stranger's wrong passwords must not lock the
              // owner out, who signs in from another address. Spraying many accounts from one address
              // is what `auth-ip` stops. Without an email in the body (invalid anyway), the address alone.
              getTracker: (request: Record<string, unknown>) => `${String(request.ip)}|${accountOf(request as unknown as Request) ?? ''}`,
            },
          ],
        };
      },
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
})
export class RateLimitModule {}
