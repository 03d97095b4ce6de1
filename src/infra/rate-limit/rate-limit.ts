import { ExecutionContext, HttpException, HttpStatus, Injectable, SetMetadata } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { ThrottlerLimitDetail } from '@nestjs/throttler/dist/throttler.guard.interface';
import type { Request, Response } from 'express';
import { errorBody } from '@/common/errors/error-body';

const STRICT_RATE_LIMIT = 'conduit:strict-rate-limit';

/**
 * Routes that guess at credentials or create accounts (login, registration): on top of the
 * generous limit of every route, a strict one per client address and a stricter one per client
 * address and email address together.
 */
export const StrictRateLimit = (): MethodDecorator => SetMetadata(STRICT_RATE_LIMIT, true);

const SEARCH_RATE_LIMIT = 'conduit:search-rate-limit';

/** Search routes: each search is costly, so on top of the general limit, SEARCH_RATE_LIMIT_MAX per client address. */
export const SearchRateLimit = (): MethodDecorator => SetMetadata(SEARCH_RATE_LIMIT, true);

export function isSearchRoute(context: ExecutionContext): boolean {
  return Reflect.getMetadata(SEARCH_RATE_LIMIT, context.getHandler()) === true;
}

export function isStrictRoute(context: ExecutionContext): boolean {
  return Reflect.getMetadata(STRICT_RATE_LIMIT, context.getHandler()) === true;
}

/** The email a login or registration is about, when the body names one. */
export function accountOf(request: Request): string | undefined {
  const email = (request.body as { user?: { email?: unknown } } | undefined)?.user?.email;
  return typeof email === 'string' && email.trim() !== '' ? email.trim().toLowerCase() : undefined;
}

/** ThrottlerGuard answering 429 in the API's error shape, with a plain Retry-After whichever limit tripped. */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const retryAfter = Math.max(1, detail.timeToBlockExpire);
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(retryAfter));
    throw new HttpException(errorBody('rate', `too many requests, retry in ${retryAfter} s`), HttpStatus.TOO_MANY_REQUESTS);
  }
}
