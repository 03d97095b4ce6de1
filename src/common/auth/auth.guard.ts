import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { UnauthorizedError } from '@/common/errors/domain-error';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { AUTH_MODE, AuthenticatedRequest, AuthMode } from './auth.decorators';
import { TokenService } from './token.service';

/** `Token <jwt>` as the spec says; `Bearer <jwt>` too, since many HTTP clients send that. */
const AUTHORIZATION = /^(?:Token|Bearer)\s+(\S+)\s*$/i;

/**
 * Global guard. Routes marked `@Auth()` need a valid token, `@OptionalAuth()` routes accept
 * none, and unmarked routes ignore the header.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly prisma: PrismaService,
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
    const userId = this.tokens.verify(token);
    // A token outlives its user when the account is deleted; such a token is no longer valid.
    if (mode === 'required' && !(await this.userExists(userId))) throw new UnauthorizedError('token', 'is invalid');
    request.viewer = { id: userId, token };
    return true;
  }

  private async userExists(id: number): Promise<boolean> {
    return (await this.prisma.user.count({ where: { id } })) === 1;
  }
}
