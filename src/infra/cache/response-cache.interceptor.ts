import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { lastValueFrom, Observable, of } from 'rxjs';
import type { AuthenticatedRequest } from '@/common/auth/auth.decorators';
import type { Viewer } from '@/common/auth/viewer';
import { DomainError } from '@/common/errors/domain-error';
import { CACHE_POLICY, CachePolicy, ViewerOverlay } from './cache-policy';
import { requireReplayed } from '@/infra/prisma/replica-scope';
import { CachedEntry, CacheStore, EPOCH_TAG, fillPosition } from './cache-store.service';
import { canonicalUrl, queryParametersOf } from './cache-key';
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
  /** Per handler, the query parameters it reads (see queryParametersOf), found once. */
  private readonly parameters = new WeakMap<object, string[]>();

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

    const viewer = request.viewer;
    const url = canonicalUrl(request.originalUrl, this.parametersOf(context));
    const tags = policy.tags(request);
    if (policy.perViewer) return viewer ? this.serveOwn(`${policy.name}:${viewer.id}:${url}`, tags, next) : next.handle();
    const overlay = viewer && policy.overlay ? this.moduleRef.get<ViewerOverlay>(policy.overlay, { strict: false }) : undefined;
    return this.serveShared(`${policy.name}:${url}`, tags, request, next, overlay && viewer && { overlay, viewer });
  }

  private parametersOf(context: ExecutionContext): string[] {
    const handler = context.getHandler();
    let parameters = this.parameters.get(handler);
    if (!parameters) {
      parameters = queryParametersOf(context.getClass().prototype as object, handler.name);
      this.parameters.set(handler, parameters);
    }
    return parameters;
  }

  /** An entry of one viewer's own, built for them: the feed. */
  private async serveOwn(key: string, tags: string[], next: CallHandler): Promise<Observable<unknown>> {
    const found = await this.store.lookup([key], tags);
    if (!found) return this.uncached(next);
    requireReplayed(() => fillPosition(found.versions));
    const cached = found.entries[0];
    if (cached && sameVersions(cached.versions, found.versions)) {
      this.store.stats.hits += 1;
      return of(cached.value);
    }
    this.store.stats.misses += 1;
    const body: unknown = await lastValueFrom(next.handle() as Observable<unknown>);
    const fresh = { value: body, versions: found.versions };
    const bytes = this.store.measure(key, fresh);
    if (bytes !== undefined) await this.store.write(key, fresh, bytes);
    return of(body);
  }

  /**
   * One entry for every viewer, built for an anonymous one, with a signed-in viewer's flags laid
   * over it. The flags are cached per viewer beside the entry and are valid while the entry's
   * tags and the viewer's own tags are unchanged, so a signed-in hit needs no query either.
   */
  private async serveShared(
    key: string,
    tags: string[],
    request: AuthenticatedRequest,
    next: CallHandler,
    personal?: { overlay: ViewerOverlay; viewer: Viewer },
  ): Promise<Observable<unknown>> {
    const localEntry = this.local.get(key);
    const flagsKey = personal && `${key}:flags:${personal.viewer.id}`;
    const keys = [...(localEntry ? [] : [key]), ...(flagsKey ? [flagsKey] : [])];
    const found = await this.store.lookup(keys, [...tags, ...(personal?.overlay.viewerTags(personal.viewer) ?? [])]);
    if (!found) return this.uncached(next);
    // Whatever is built from here on (the entry, the viewer's flags) is cached under these versions.
    requireReplayed(() => fillPosition(found.versions));
    const fetched = new Map(keys.map((name, index) => [name, found.entries[index]]));
    const sharedVersions = only(found.versions, [EPOCH_TAG, ...tags]);

    const entry = localEntry ?? fetched.get(key);
    let body: unknown;
    if (entry && sameVersions(entry.versions, sharedVersions)) {
      body = entry.value;
      this.store.stats.hits += 1;
      if (!localEntry) this.local.set(key, entry, tags, this.store.measure(key, entry) ?? Number.POSITIVE_INFINITY);
    } else {
      this.store.stats.misses += 1;
      const anonymous = await this.buildForAnonymous(request, next);
      // Hidden from everyone but the viewer (a scheduled article seen by its author): not shared, not cached.
      if (anonymous === HIDDEN_FROM_ANONYMOUS) return next.handle();
      body = anonymous;
      const fresh: CachedEntry<unknown> = { value: body, versions: sharedVersions };
      const bytes = this.store.measure(key, fresh);
      if (bytes !== undefined) {
        this.local.set(key, fresh, tags, bytes);
        await this.store.write(key, fresh, bytes);
      }
    }
    if (!personal || !flagsKey) return of(body);

    const cachedFlags = fetched.get(flagsKey);
    let flags: unknown;
    if (cachedFlags && sameVersions(cachedFlags.versions, found.versions)) {
      flags = cachedFlags.value;
    } else {
      flags = await personal.overlay.flags(body, personal.viewer);
      const fresh = { value: flags, versions: found.versions };
      const bytes = this.store.measure(flagsKey, fresh);
      if (bytes !== undefined) await this.store.write(flagsKey, fresh, bytes);
    }
    return of(personal.overlay.apply(body, flags));
  }

  /** Redis unusable: answer from PostgreSQL as if uncached. */
  private uncached(next: CallHandler): Observable<unknown> {
    this.store.stats.unavailable += 1;
    return next.handle();
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


function only(versions: Record<string, string | null>, tags: string[]): Record<string, string | null> {
  return Object.fromEntries(tags.map((tag) => [tag, versions[tag] ?? null]));
}

function sameVersions(cached: Record<string, string | null>, current: Record<string, string | null>): boolean {
  const names = Object.keys(current);
  return names.length === Object.keys(cached).length && names.every((name) => cached[name] === current[name]);
}
