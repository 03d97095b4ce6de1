import { createHmac } from 'node:crypto';
import { ConfigService } from '@nestjs/config';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '@/common/auth/token.service';

/**
 * JWTs built by hand, so that the tests control every byte: the header's `alg`, the claims, the
 * key and the signature. `sign` with the application's own secret must give a token the API
 * accepts (the suites check that first), so that a refusal of a forged one means something.
 */

type Algorithm = 'HS256' | 'HS384' | 'HS512';
const HASHES: Record<Algorithm, string> = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' };

export interface Claims {
  sub?: unknown;
  iat?: number;
  exp?: number;
  [claim: string]: unknown;
}

function base64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

function encodeSegments(header: object, claims: Claims): string {
  return `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}

/** The secret the running application signs its tokens with. */
export function jwtSecret(app: NestExpressApplication): string {
  return app.get(ConfigService).getOrThrow<string>('JWT_SECRET');
}

/** Claims of a token for `userId` that is valid for an hour (token version 0: a user who never changed password or email). */
export function claimsFor(userId: number | string, overrides: Partial<Claims> = {}): Claims {
  return { sub: String(userId), ver: 0, iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, iat: now(), exp: now() + 3600, ...overrides };
}

/** A JWT signed with `secret` using an HMAC algorithm. */
export function sign(claims: Claims, secret: string, algorithm: Algorithm = 'HS256'): string {
  const unsigned = encodeSegments({ alg: algorithm, typ: 'JWT' }, claims);
  const signature = createHmac(HASHES[algorithm], secret).update(unsigned).digest('base64url');
  return `${unsigned}.${signature}`;
}

/** An unsigned token (`alg: none`), with an empty signature as RFC 7519 describes. */
export function unsignedToken(claims: Claims): string {
  return `${encodeSegments({ alg: 'none', typ: 'JWT' }, claims)}.`;
}

/** A token whose claims were replaced after signing: the signature is the original one. */
export function withTamperedClaims(token: string, claims: Claims): string {
  const [header, , signature] = token.split('.');
  return `${header}.${base64url(JSON.stringify(claims))}.${signature}`;
}

/** A token with one character of its signature changed. */
export function withTamperedSignature(token: string): string {
  const [header, payload, signature] = token.split('.');
  const last = signature.at(-1) === 'A' ? 'B' : 'A';
  return `${header}.${payload}.${signature.slice(0, -1)}${last}`;
}

/** The claims of a token, decoded without verification. */
export function decodeClaims(token: string): Claims {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Claims;
}

/** A token that expired a minute ago, correctly signed. */
export function expiredToken(userId: number | string, secret: string): string {
  return sign(claimsFor(userId, { iat: now() - 7200, exp: now() - 60 }), secret);
}
