import { createKeyv } from '@keyv/redis';
import { CacheModuleOptions, CacheModule as NestCacheModule } from '@nestjs/cache-manager';
import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '@/config/environment';
import { DeploymentNamespace } from '@/infra/redis/deployment-namespace';
import { keyvConnection, redisSettings } from '@/infra/redis/redis-connection';
import { RedisCacheBudget } from './cache-budget';
import { CacheInvalidator } from './cache-invalidator.service';
import { CacheStore } from './cache-store.service';
import { LocalEntries } from './local-entries';
import { ResponseCacheInterceptor } from './response-cache.interceptor';

/**
 * The response cache: cache-manager over a Keyv Redis store, versioned tags for invalidation,
 * and pub/sub between replicas. The features own the tags: each
 * `<feature>.cache-tags.ts` says what its reads carry and what each of its writes invalidates.
 */
@Global()
@Module({
  imports: [
    NestCacheModule.registerAsync({
      inject: [ConfigService, DeploymentNamespace],
      useFactory: (config: ConfigService<Environment, true>, namespace: DeploymentNamespace) => ({
        ttl: config.get('CACHE_TTL_SECONDS', { infer: true }) * 1000,
        // keyv is typed twice (its CommonJS and ESM builds); the instance is the same at run time.
        stores: [
          createKeyv(
            // Fail at once while Redis is away (CacheStore then bypasses it), and keep reconnecting.
            keyvConnection(redisSettings(config), { connectTimeout: 2_000, reconnectStrategy: (retries: number) => Math.min(retries * 200, 2_000) }, true),
            { namespace: namespace.prefix, throwOnConnectError: false, throwOnErrors: true },
          ),
        ] as unknown as CacheModuleOptions['stores'],
      }),
    }),
  ],
  providers: [CacheStore, CacheInvalidator, ResponseCacheInterceptor, RedisCacheBudget, {
      provide: LocalEntries,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        new LocalEntries(config.get('CACHE_TTL_SECONDS', { infer: true }) * 1000, config.get('CACHE_LOCAL_MAX_BYTES', { infer: true })),
    }],
  exports: [CacheInvalidator, CacheStore, ResponseCacheInterceptor, LocalEntries],
})
export class CacheModule {}
