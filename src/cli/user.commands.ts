import { Module } from '@nestjs/common';
import { Command, CommandRunner, Option } from 'nest-commander';
import { TOKEN_VERSION_CACHE_SECONDS, tokenVersionKey } from '@/modules/users/token-versions';
import { UserAdminError, UserAdminService } from '@/modules/users/user-admin.service';
import { UsersAdminModule } from '@/modules/users/users-admin.module';
import { CliFailure, report } from '@/common/cli/cli-output';
import { CliRedis } from './cli-redis';

interface CreateAdminOptions {
  email: string;
  username?: string;
  password?: string;
  json?: boolean;
}

/** User admin errors are the operator's to fix: one line, no stack. */
async function asFailure<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof UserAdminError) throw new CliFailure(error.message);
    throw error;
  }
}

@Command({
  name: 'user:create-admin',
  description: 'make a user an administrator (the queue dashboard), creating the account when --username is given and none has the email',
})
export class CreateAdminCommand extends CommandRunner {
  constructor(private readonly admin: UserAdminService) {
    super();
  }

  async run(_params: string[], options: CreateAdminOptions): Promise<void> {
    const result = await asFailure(this.admin.createAdmin(options));
    const { user, action, generatedPassword } = result;
    report(options, result, () => [
      {
        created: `Created administrator ${user.username} <${user.email}> (id ${user.id}).`,
        granted: `${user.username} <${user.email}> (id ${user.id}) is now an administrator.`,
        unchanged: `${user.username} <${user.email}> (id ${user.id}) already is an administrator.`,
      }[action],
      ...(generatedPassword ? [`Password (shown once): ${generatedPassword}`] : []),
    ]);
  }

  @Option({ flags: '--email <email>', description: 'email of the account', required: true })
  parseEmail(value: string): string {
    return value;
  }

  @Option({ flags: '--username <username>', description: 'username, to create the account if it does not exist' })
  parseUsername(value: string): string {
    return value;
  }

  @Option({ flags: '--password <password>', description: 'password of a new account (default: a generated one, printed once); an existing account keeps its own' })
  parsePassword(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'print the result as JSON' })
  parseJson(): boolean {
    return true;
  }
}

@Command({
  name: 'user:reset-password',
  arguments: '<email>',
  argsDescription: { email: 'email of the account' },
  description: "set a user's password (a generated one unless --password is given)",
})
export class ResetPasswordCommand extends CommandRunner {
  constructor(
    private readonly admin: UserAdminService,
    private readonly redis: CliRedis,
  ) {
    super();
  }

  async run([email]: string[], options: { password?: string; json?: boolean }): Promise<void> {
    const { tokenVersion, ...result } = await asFailure(this.admin.resetPassword({ email, password: options.password }));
    const tokensRetired = await this.retireTokens(result.user.id, tokenVersion);
    report(options, { ...result, tokensRetired }, () => [
      `Password of ${result.user.username} <${result.user.email}> changed.`,
      ...(result.generatedPassword ? [`New password (shown once): ${result.generatedPassword}`] : []),
      tokensRetired ? 'Every token issued before is refused from now on.' : `Redis is unreachable: tokens issued before are refused within ${TOKEN_VERSION_CACHE_SECONDS} s.`,
    ]);
  }

  /** The api reads token versions through Redis: writing the new one there makes the change immediate. */
  private async retireTokens(userId: number, version: number): Promise<boolean> {
    try {
      const redis = await this.redis.open();
      await redis.set(tokenVersionKey(await this.redis.namespace(), userId), String(version), 'EX', TOKEN_VERSION_CACHE_SECONDS);
      return true;
    } catch {
      return false;
    }
  }

  @Option({ flags: '--password <password>', description: 'the new password (default: a generated one, printed once)' })
  parsePassword(value: string): string {
    return value;
  }

  @Option({ flags: '--json', description: 'print the result as JSON' })
  parseJson(): boolean {
    return true;
  }
}

@Module({
  imports: [UsersAdminModule],
  providers: [CreateAdminCommand, ResetPasswordCommand],
})
export class UserCommandsModule {}
