import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import type { Environment } from '@/config/environment';
import { PasswordHasher } from './password-hasher';
import { TokenService } from './token.service';

/**
 * Token issuing and checking and password hashing. The global guard behind `@Auth()` is
 * registered by the users feature (AccountsModule), which owns the accounts it checks.
 */
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
  providers: [TokenService, PasswordHasher],
  exports: [TokenService, PasswordHasher],
})
export class AuthModule {}
