import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { lastValueFrom, Observable, of } from 'rxjs';
import type { AuthenticatedRequest } from '@/common/auth/auth.decorators';
import { DomainError } from '@/common/errors/domain-error';
import { CACHE_POLICY, CachePolicy, ViewerOverlay } from './cache-policy';
import { CachedEntry, CacheStore } from './cache-store.service';
import { LocalEntries } from './local-entries';

/**
 * Serves `@CacheResponse()` routes from the cache. The cached value is the response as an
 * anonymous viewer sees it; a signed-in viewer gets it with their own flags laid over it, so one
 * entry serves everyone. Entries are checked against the current versions of their tags, read
 * (in one round trip with the entry) before the database would be, so a write is never hidden.
 * Express adds the ETag and answers 304 to a matching If-None-Match.
 */
@Injectable()
export class ResponseCacheInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly store: CacheStore,
    private readonly local: LocalEntries,
    private readonly moduleRef: ModuleRef,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const response = context.switchToHttp().getResponse<Response>();
    const policy = this.reflector.get<CachePolicy | undefined>(CACHE_POLICY, context.getHandler());
    if (!policy) return next.handle();

    // Shared caches may keep anonymous answers (revalidating each time), never personal ones.
    // `vary` appends, keeping the `Origin` that CORS added.
    response.vary('Authorization');
    response.setHeader('Cache-Control', request.viewer ? 'private, no-cache' : 'public, no-cache');
    if (!this.store.enabled || request.method !== 'GET') return next.handle();

    const key = `${policy.name}:${canonicalUrl(request.originalUrl)}`;
    const tags = policy.tags(request);
    const localEntry = this.local.get(key);
    const found = await this.store.lookup(key, tags, localEntry !== undefined);
    if (!found) {
      this.store.stats.unavailable += 1;
      return next.handle(); // Redis unusable: answer from PostgreSQL as if uncached.
    }

    const entry = localEntry ?? found.entry;
    let body: unknown;
    if (entry && sameVersions(entry.versions, found.versions)) {
      body = entry.value;
      this.store.stats.hits += 1;
      if (!localEntry) this.local.set(key, entry, tags);
    } else {
      this.store.stats.misses += 1;
      const anonymous = await this.buildForAnonymous(request, next);
      // Hidden from everyone but the viewer (a scheduled article seen by its author): not shared, not cached.
      if (anonymous === HIDDEN_FROM_ANONYMOUS) return next.handle();
      body = anonymous;
      const fresh: CachedEntry<unknown> = { value: body, versions: found.versions };
      this.local.set(key, fresh, tags);
      await this.store.write(key, fresh);
    }
    if (request.viewer && policy.overlay) {
      const overlay = this.moduleRef.get<ViewerOverlay>(policy.overlay, { strict: false });
      body = await overlay.apply(body, request.viewer);
    }
    return of(body);
  }

  private async buildForAnonymous(request: AuthenticatedRequest, next: CallHandler): Promise<unknown> {
    const viewer = request.viewer;
    request.viewer = undefined;
    try {
      return await lastValueFrom(next.handle());
    } catch (error) {
      if (viewer && error instanceof DomainError && error.status === 404) return HIDDEN_FROM_ANONYMOUS;
      throw error;
    } finally {
      request.viewer = viewer;
    }
  }
}

const HIDDEN_FROM_ANONYMOUS = Symbol('hidden from anonymous viewers');

/** The same query in any parameter order is the same entry. */
function canonicalUrl(url: string): string {
  const parsed = new URL(url, 'http://localhost');
  parsed.searchParams.sort();
  return `${parsed.pathname}?${parsed.searchParams.toString()}`;
}

function sameVersions(cached: Record<string, string | null>, current: Record<string, string | null>): boolean {
  const names = Object.keys(current);
  return names.length === Object.keys(cached).length && names.every((name) => cached[name] === current[name]);
}
