import { applyDecorators, SetMetadata, Type, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { Request } from 'express';
import type { Viewer } from '@/common/auth/viewer';
import { ResponseCacheInterceptor } from './response-cache.interceptor';

/** Lays one viewer's personal flags (`favorited`, `following`) over a response built for nobody. */
export interface ViewerOverlay<T = unknown> {
  apply(body: T, viewer: Viewer): Promise<T>;
}

export interface CachePolicy {
  /** Names the route in cache keys. */
  name: string;
  /**
   * The invalidation tags this response depends on, known from the request alone (see
   * CacheTags). A write that may change the response bumps one of them.
   */
  tags: (request: Request) => string[];
  /** Personalises a cached response for a signed-in viewer; without it, the route is never personal. */
  overlay?: Type<ViewerOverlay>;
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
