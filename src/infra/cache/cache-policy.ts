import { applyDecorators, SetMetadata, Type, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { AuthenticatedRequest } from '@/common/auth/auth.decorators';
import type { Viewer } from '@/common/auth/viewer';
import { ResponseCacheInterceptor } from './response-cache.interceptor';

/**
 * Lays one viewer's personal flags (`favorited`, `following`) over a response built for nobody.
 * The flags are read from PostgreSQL once and then cached per viewer and entry, checked against
 * the viewer's own tags, so a signed-in hit needs no query.
 */
export interface ViewerOverlay<T = unknown, F = unknown> {
  /** The tags the viewer's flags depend on (the viewer's own favorites and follows, say). */
  viewerTags(viewer: Viewer): string[];
  /** The viewer's flags for the articles and people in `body`, as plain JSON. */
  flags(body: T, viewer: Viewer): Promise<F>;
  /** `body` as the viewer sees it: the same shape, with the viewer's flags set. */
  apply(body: T, flags: F): T;
}

/**
 * `body` (built for an anonymous reader) as `viewer` sees it. Services call it when they answer
 * without the response cache (a write's answer, the cache off or Redis down); the cache calls the
 * same overlay, with its flags cached per viewer. So the flags come from one piece of code on
 * every path.
 */
export async function personalise<T, F, B extends T>(overlay: ViewerOverlay<T, F>, body: B, viewer: Viewer | undefined): Promise<B> {
  // An overlay only sets flags: what it returns has the shape it was given.
  return viewer ? (overlay.apply(body, await overlay.flags(body, viewer)) as B) : body;
}

export interface CachePolicy {
  /** Names the route in cache keys. */
  name: string;
  /**
   * The invalidation tags this response depends on, known from the request alone. Each feature
   * declares its tags and what its writes retire in its `<feature>.cache-tags.ts`; a write that
   * may change the response bumps one of them.
   */
  tags: (request: AuthenticatedRequest) => string[];
  /** Personalises a cached response for a signed-in viewer; without it, the route is never personal. */
  overlay?: Type<ViewerOverlay>;
  /**
   * The whole response is the viewer's own (the feed): each viewer gets an entry of their own,
   * built for them, and `tags` must include the viewer's tags. Such routes require a viewer.
   */
  perViewer?: boolean;
}

export const CACHE_POLICY = 'conduit:cache-policy';

/**
 * Caches the route's response in Redis, shared by every viewer: the response is built for an
 * anonymous viewer, cached, and personalised per request by the policy's overlay.
 */
export function CacheResponse(policy: CachePolicy): MethodDecorator {
  return applyDecorators(
    SetMetadata(CACHE_POLICY, policy),
    UseInterceptors(ResponseCacheInterceptor),
    ApiHeader({ name: 'If-None-Match', required: false, description: 'An ETag from an earlier answer; 304 when unchanged' }),
  );
}
