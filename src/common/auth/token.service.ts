import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { Environment } from '@/config/environment';
import { UnauthorizedError } from '@/common/errors/domain-error';

interface AccessTokenClaims {
  sub: string;
}

/** Issues and verifies the access tokens (HS256 JWTs whose subject is the user id). */
@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  issue(userId: number): string {
    return this.jwt.sign(
      { sub: String(userId) } satisfies AccessTokenClaims,
      { algorithm: 'HS256', expiresIn: this.config.get('JWT_TTL_SECONDS', { infer: true }) },
    );
  }

  /** The user id in a valid token; anything else (tampered, expired, other key, `alg: none`) is a 401. */
  verify(token: string): number {
    let claims: AccessTokenClaims;
    try {
      // The allow-list refuses `none` and every algorithm other than ours.
      claims = this.jwt.verify<AccessTokenClaims>(token, { algorithms: ['HS256'] });
    } catch {
      throw new UnauthorizedError('token', 'is invalid');
    }
    const userId = Number(claims.sub);
    if (!Number.isSafeInteger(userId) || userId <= 0) throw new UnauthorizedError('token', 'is invalid');
    return userId;
  }
}
