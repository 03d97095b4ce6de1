import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiResponse, ApiSecurity } from '@nestjs/swagger';
import type { Request } from 'express';
import type { Viewer } from './viewer';

export const AUTH_MODE = 'conduit:auth-mode';
export type AuthMode = 'required' | 'optional';

const unauthorized = ApiResponse({
  status: 401,
  description: 'Missing, malformed, expired or forged token',
  schema: { $ref: '#/components/schemas/GenericErrorModel' },
});

/** The route needs a valid `Authorization: Token <jwt>`; without one it answers 401. */
export function Auth(): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(AUTH_MODE, 'required'), ApiSecurity('Token'), unauthorized);
}

/**
 * The route works for anyone, and personalises its answer when a token is given.
 * A token that is present but invalid is still refused with 401: a client must learn that its
 * session is over instead of silently seeing anonymous data.
 */
export function OptionalAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(AUTH_MODE, 'optional'), ApiSecurity('Token'), ApiSecurity({}), unauthorized);
}

export interface AuthenticatedRequest extends Request {
  viewer?: Viewer;
}

/** The viewer of an `@Auth()` route. */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): Viewer => {
  const viewer = context.switchToHttp().getRequest<AuthenticatedRequest>().viewer;
  if (!viewer) throw new Error('@CurrentUser() used on a route without @Auth()');
  return viewer;
});

/** The viewer of an `@OptionalAuth()` route, or `undefined` for an anonymous request. */
export const MaybeCurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Viewer | undefined =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().viewer,
);
