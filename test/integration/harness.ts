import type { DynamicModule, Type } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { Test, TestingModule, TestingModuleBuilder } from '@nestjs/testing';
import { defer, lastValueFrom, Observable } from 'rxjs';
import type { AuthenticatedRequest } from '@/common/auth/auth.decorators';
import type { Viewer } from '@/common/auth/viewer';
import { CacheStore, EPOCH_TAG } from '@/infra/cache/cache-store.service';
import { LocalEntries } from '@/infra/cache/local-entries';
import { ResponseCacheInterceptor } from '@/infra/cache/response-cache.interceptor';
import { EventSubscriptionsModule } from '@/event-subscriptions';
import { InfrastructureModule } from '@/infra/infrastructure.module';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { PostgresSearchEngine } from '@/modules/search/engines/postgres-search.engine';
import { SEARCH_ENGINE } from '@/modules/search/search-engine';

/**
 * The integration tier: feature modules as the api wires them, with the real infrastructure
 * (PostgreSQL through Prisma, Redis for the cache, pub/sub and counters) and no HTTP. The database
 * is the tier's own, created and migrated by `scripts/with-test-db.mjs`; Redis keys live under the
 * namespace derived from it (see DeploymentNamespace), so they never meet another run's.
 */
export async function integrationModule(
  imports: Array<Type | DynamicModule>,
  customize: (builder: TestingModuleBuilder) => TestingModuleBuilder = (builder) => builder,
): Promise<TestingModule> {
  const moduleRef = await customize(Test.createTestingModule({ imports: [InfrastructureModule, EventSubscriptionsModule, ...imports] })).compile();
  moduleRef.useLogger(['error', 'warn']);
  await moduleRef.init();
  return moduleRef;
}

/**
 * The PostgreSQL search engine, whatever the environment names (the live search suites set
 * ELASTICSEARCH_NODE): what the tier's search tests measure.
 */
export function withPostgresSearch(builder: TestingModuleBuilder): TestingModuleBuilder {
  return builder.overrideProvider(SEARCH_ENGINE).useFactory({ factory: (engine: PostgresSearchEngine) => engine, inject: [PostgresSearchEngine] });
}

/** Retires every cached response, as a write would, so that the next read is built from PostgreSQL. */
export async function retireCache(moduleRef: TestingModule): Promise<void> {
  moduleRef.get(LocalEntries).clear();
  await moduleRef.get(CacheStore).bump([EPOCH_TAG]);
}

export interface CachedRead<T> {
  /** The route's handler, for its cache policy: `ArticlesController.prototype.list`. */
  handler: (...args: never[]) => Promise<T>;
  controller: Type;
  /** What the request looks like to the policy and the cache key. */
  url: string;
  params?: Record<string, string>;
  viewer?: Viewer;
  /** Calls the handler as Nest would; it must read the viewer from the request when called. */
  call: (request: AuthenticatedRequest) => Promise<T>;
}

/**
 * A GET through the real ResponseCacheInterceptor, as the router runs it once the guard has set
 * the viewer: the entry is looked up, built for an anonymous viewer on a miss, and the viewer's
 * flags are laid over it. Without Express, the response only records its headers.
 */
export async function readThroughCache<T>(moduleRef: TestingModule, read: CachedRead<T>): Promise<T> {
  const request = {
    method: 'GET',
    originalUrl: read.url,
    url: read.url,
    params: read.params ?? {},
    query: Object.fromEntries(new URL(read.url, 'http://local').searchParams),
    headers: {},
    viewer: read.viewer,
  } as unknown as AuthenticatedRequest;
  const response = { vary: () => response, setHeader: () => response };
  const context = new ExecutionContextHost([request, response, undefined], read.controller, read.handler);
  context.setType('http');
  const interceptor = moduleRef.get(ResponseCacheInterceptor);
  const handled = await interceptor.intercept(context, { handle: () => defer(() => read.call(request)) });
  return lastValueFrom(handled as Observable<T>);
}

export interface OutboxRow {
  queue: string;
  name: string;
  payload: Record<string, unknown>;
  availableAt: Date;
}

/** The outbox events written after `since` (an id from `outboxMark`), in order. */
export async function outboxSince(moduleRef: TestingModule, since: bigint): Promise<OutboxRow[]> {
  return moduleRef.get(PrismaService).outboxEvent.findMany({
    where: { id: { gt: since } },
    orderBy: { id: 'asc' },
    select: { queue: true, name: true, payload: true, availableAt: true },
  }) as Promise<OutboxRow[]>;
}

/** The id of the latest outbox event, to read what a write adds after it. */
export async function outboxMark(moduleRef: TestingModule): Promise<bigint> {
  const latest = await moduleRef.get(PrismaService).outboxEvent.findFirst({ orderBy: { id: 'desc' }, select: { id: true } });
  return latest?.id ?? 0n;
}
