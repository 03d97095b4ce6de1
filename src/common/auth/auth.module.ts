import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import type { Environment } from '@/config/environment';
import { AuthGuard } from './auth.guard';
import { PasswordHasher } from './password-hasher';
import { TokenService } from './token.service';
import { TokenVersions } from './token-versions';

/** Token issuing and checking, password hashing, and the global guard behind `@Auth()`. */
@Global()
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        secret: config.get('JWT_SECRET', { infer: true }),
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  providers: [TokenService, TokenVersions, PasswordHasher, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [TokenService, TokenVersions, PasswordHasher],
})
export class AuthModule {}
