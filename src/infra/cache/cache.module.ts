import { createKeyv } from '@keyv/redis';
import { CacheModuleOptions, CacheModule as NestCacheModule } from '@nestjs/cache-manager';
import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '@/config/environment';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { CacheInvalidator } from './cache-invalidator.service';
import { CacheStore } from './cache-store.service';
import { LocalEntries } from './local-entries';
import { ResponseCacheInterceptor } from './response-cache.interceptor';

/**
 * The response cache: cache-manager over a Keyv Redis store, versioned tags for invalidation,
 * and pub/sub between replicas. See CacheTags for what each write invalidates.
 */
@Global()
@Module({
  imports: [
    NestCacheModule.registerAsync({
      inject: [ConfigService, PrismaService],
      useFactory: async (config: ConfigService<Environment, true>, prisma: PrismaService) => ({
        ttl: config.get('CACHE_TTL_SECONDS', { infer: true }) * 1000,
        // keyv is typed twice (its CommonJS and ESM builds); the instance is the same at run time.
        stores: [
          createKeyv(
            {
              url: config.get('REDIS_URL', { infer: true }),
              // Fail at once while Redis is away (CacheStore then bypasses it), and keep reconnecting.
              disableOfflineQueue: true,
              socket: { connectTimeout: 2_000, reconnectStrategy: (retries: number) => Math.min(retries * 200, 2_000) },
            },
            { namespace: await databaseNamespace(prisma), throwOnConnectError: false, throwOnErrors: true },
          ),
        ] as unknown as CacheModuleOptions['stores'],
      }),
    }),
  ],
  providers: [CacheStore, CacheInvalidator, ResponseCacheInterceptor, {
      provide: LocalEntries,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => new LocalEntries(config.get('CACHE_TTL_SECONDS', { infer: true }) * 1000),
    }],
  exports: [CacheInvalidator, CacheStore, ResponseCacheInterceptor, LocalEntries],
})
export class CacheModule {}

/**
 * Cache keys are scoped to the database they describe: its name and object id, which change when
 * the database is dropped and created again. Several databases can share one Redis, and a
 * recreated database never meets answers cached from its predecessor.
 */
export async function databaseNamespace(prisma: Pick<PrismaService, '$queryRaw'>): Promise<string> {
  const [row] = await prisma.$queryRaw<Array<{ name: string; oid: number }>>`
    SELECT current_database() AS name, oid::int AS oid FROM pg_database WHERE datname = current_database()`;
  return `conduit:${row.name}:${row.oid}`;
}
