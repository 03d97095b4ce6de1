import { Injectable, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccountChecks } from '@/common/auth/account-checks';
import { AuthGuard } from '@/common/auth/auth.guard';
import { PasswordHasher } from '@/common/auth/password-hasher';
import { TokenVersions } from './token-versions';
import { UsersRepository } from './users.repository';

/** The users feature's answers to authentication (see AccountChecks). */
@Injectable()
export class UserAccountChecks implements AccountChecks {
  constructor(
    private readonly versions: TokenVersions,
    private readonly users: UsersRepository,
    private readonly passwords: PasswordHasher,
  ) {}

  acceptsToken(userId: number, version: number): Promise<boolean> {
    return this.versions.accepts(userId, version);
  }

  async isAdministrator(email: string, password: string): Promise<boolean> {
    const account = await this.users.findAdministration(email);
    // Verified even without an account, so that the answer takes as long either way.
    return (await this.passwords.verify(account?.passwordHash, password)) && account?.isAdmin === true;
  }
}

/**
 * Accounts as authentication sees them: the global guard behind `@Auth()` (registered here, beside
 * the token versions it checks) and AccountChecks for the rest (the administration dashboard).
 * UsersModule brings it, as its writes change token versions.
 */
@Module({
  providers: [UsersRepository, TokenVersions, UserAccountChecks, { provide: AccountChecks, useExisting: UserAccountChecks }, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [UsersRepository, TokenVersions, AccountChecks],
})
export class AccountsModule {}
