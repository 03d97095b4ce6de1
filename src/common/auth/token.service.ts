import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import type { Environment } from '@/config/environment';
import { UnauthorizedError } from '@/common/errors/domain-error';

/** Who issues the tokens and whom they are for: a token made for another service is refused. */
export const TOKEN_ISSUER = 'conduit';
export const TOKEN_AUDIENCE = 'conduit-api';

interface AccessTokenClaims {
  sub: string;
  /** The user's token version when it was issued (see TokenVersions). */
  ver: number;
  exp?: number;
}

/** What a valid token says: whose it is, and the token version it was issued under. */
export interface VerifiedToken {
  userId: number;
  version: number;
}

/** Issues and verifies the access tokens (HS256 JWTs whose subject is the user id). */
@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  issue(userId: number, version: number): string {
    return this.jwt.sign({ sub: String(userId), ver: version } satisfies AccessTokenClaims, {
      algorithm: 'HS256',
      expiresIn: this.config.get('JWT_TTL_SECONDS', { infer: true }),
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
    });
  }

  /**
   * The claims of a valid token; anything else (tampered, expired, other key, `alg: none`, another
   * issuer or audience, no expiry) is a 401. Whether the version is still current is the guard's
   * question (TokenVersions).
   */
  verify(token: string): VerifiedToken {
    let claims: AccessTokenClaims;
    try {
      // The allow-list refuses `none` and every algorithm other than ours.
      claims = this.jwt.verify<AccessTokenClaims>(token, { algorithms: ['HS256'], issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE });
    } catch {
      throw new UnauthorizedError('token', 'is invalid');
    }
    const userId = Number(claims.sub);
    // jsonwebtoken accepts a token without `exp` as never expiring: ours always have one.
    if (typeof claims.exp !== 'number') throw new UnauthorizedError('token', 'is invalid');
    if (!Number.isSafeInteger(userId) || userId <= 0) throw new UnauthorizedError('token', 'is invalid');
    if (!Number.isSafeInteger(claims.ver) || claims.ver < 0) throw new UnauthorizedError('token', 'is invalid');
    return { userId, version: claims.ver };
  }
}
