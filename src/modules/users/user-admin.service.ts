import { Injectable } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { randomBytes } from 'node:crypto';
import { PasswordHasher } from '@/common/auth/password-hasher';
import { NewUserDto, PasswordResetDto } from './dto/user-requests.dto';
import { AccountRow, UsersRepository } from './users.repository';

/** A problem with the operator's input, or a missing account; its message is one line. */
export class UserAdminError extends Error {}

export interface AdminResult {
  user: AccountRow;
  /** `created`: a new account; `granted`: an existing one became admin; `unchanged`: it already was. */
  action: 'created' | 'granted' | 'unchanged';
  /** Set when the password was generated here (shown once to the operator). */
  generatedPassword?: string;
}

/**
 * Account administration from the command line: administrators and password resets. Input is
 * checked by the same rules as the API's registration (NewUserDto).
 */
@Injectable()
export class UserAdminService {
  constructor(
    private readonly users: UsersRepository,
    private readonly passwords: PasswordHasher,
  ) {}

  /** Makes the account with `email` an administrator, creating it (with `username`) if there is none. */
  async createAdmin(input: { email: string; username?: string; password?: string }): Promise<AdminResult> {
    const email = input.email.trim().toLowerCase();
    const existing = await this.users.findAccount({ email });
    if (existing) {
      if (existing.isAdmin) return { user: existing, action: 'unchanged' };
      await this.users.update(existing.id, { isAdmin: true });
      return { user: { ...existing, isAdmin: true }, action: 'granted' };
    }
    if (!input.username) throw new UserAdminError(`no user with email ${email}: give --username to create one`);
    const generatedPassword = input.password === undefined ? newPassword() : undefined;
    const password = input.password ?? generatedPassword!;
    const { username } = check(NewUserDto, { email, username: input.username, password });
    if ((await this.users.takenFields({ username })).length > 0) throw new UserAdminError(`username ${username} is taken`);
    const created = await this.users.create({ email, username, passwordHash: await this.passwords.hash(password), isAdmin: true });
    return { user: { id: created.id, email: created.email, username: created.username, isAdmin: true }, action: 'created', generatedPassword };
  }

  /** Sets a new password and retires every token issued before (`tokenVersion` is the new token version). */
  async resetPassword(input: { email: string; password?: string }): Promise<{ user: AccountRow; generatedPassword?: string; tokenVersion: number }> {
    const email = input.email.trim().toLowerCase();
    const generatedPassword = input.password === undefined ? newPassword() : undefined;
    const password = input.password ?? generatedPassword!;
    check(PasswordResetDto, { email, password });
    const user = await this.users.findAccount({ email });
    if (!user) throw new UserAdminError(`no user with email ${email}`);
    const updated = await this.users.update(user.id, { passwordHash: await this.passwords.hash(password), rotateTokens: true });
    return { user, generatedPassword, tokenVersion: updated.tokenVersion };
  }
}

/** 18 random bytes, base64url: 24 characters. */
function newPassword(): string {
  return randomBytes(18).toString('base64url');
}

/** The input as the API would take it (trimmed, normalised), or the problems in one line. */
function check<T extends object>(type: new () => T, plain: object): T {
  const instance = plainToInstance(type, plain);
  const errors = validateSync(instance);
  if (errors.length === 0) return instance;
  const problems = errors.map((error) => `${error.property} ${Object.values(error.constraints ?? {})[0] ?? 'is invalid'}`);
  throw new UserAdminError(problems.join('; '));
}
