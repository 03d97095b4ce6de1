import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { UnauthorizedError } from '@/common/errors/domain-error';
import { AccountChecks } from './account-checks';
import { AUTH_MODE, AuthenticatedRequest, AuthMode } from './auth.decorators';
import { TokenService } from './token.service';

/** `Token <jwt>` as the spec says; `Bearer <jwt>` too, since many HTTP clients send that. */
const AUTHORIZATION = /^(?:Token|Bearer)\s+(\S+)\s*$/i;

/**
 * Global guard (registered by the users feature's AccountsModule). Routes marked `@Auth()` need a
 * valid token, `@OptionalAuth()` routes accept none, and unmarked routes ignore the header.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly accounts: AccountChecks,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const mode = this.reflector.getAllAndOverride<AuthMode | undefined>(AUTH_MODE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!mode) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      if (mode === 'required') throw new UnauthorizedError('token', 'is missing');
      return true;
    }
    const token = AUTHORIZATION.exec(header)?.[1];
    if (!token) throw new UnauthorizedError('token', 'is invalid');
    const { userId, version } = this.tokens.verify(token);
    // A password or email change retires every earlier token, and a deleted account all of its own.
    if (!(await this.accounts.acceptsToken(userId, version))) throw new UnauthorizedError('token', 'is invalid');
    request.viewer = { id: userId, token };
    return true;
  }
}
