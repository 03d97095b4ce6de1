import { Injectable } from '@nestjs/common';
import { PasswordHasher } from '@/common/auth/password-hasher';
import { TokenService } from '@/common/auth/token.service';
import type { Viewer } from '@/common/auth/viewer';
import { UnauthorizedError } from '@/common/errors/domain-error';
import { CacheInvalidator } from '@/infra/cache/cache-invalidator.service';
import { ArticleCacheTags } from '@/modules/articles/articles.cache-tags';
import { ProfileCacheTags } from '@/modules/profiles/profiles.cache-tags';
import { uniqueViolationFields } from '@/infra/prisma/prisma-errors';
import { writtenBy } from '@/infra/prisma/replica-scope';
import { DomainEvents } from '@/infra/outbox/domain-events';
import { TransactionRunner } from '@/infra/prisma/transaction-runner';
import { isUploadId } from '@/modules/uploads/upload-id';
import { UploadsService } from '@/modules/uploads/uploads.service';
import type { LoginUserDto, NewUserDto, UpdateUserDto } from './dto/user-requests.dto';
import type { UserResponseDto } from './dto/user-response.dto';
import { TokenVersions } from './token-versions';
import { USER_EVENTS } from './user-events';
import { toUserResponse } from './user.mapper';
import { UserChanges, UsersRepository } from './users.repository';
import { CurrentPasswordIncorrect, CurrentPasswordMissing, EmptyUserUpdate, InvalidCredentials, UserFieldsTaken } from './users.errors';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly passwords: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly tokenVersions: TokenVersions,
    private readonly cache: CacheInvalidator,
    private readonly transaction: TransactionRunner,
    private readonly events: DomainEvents,
    private readonly uploads: UploadsService,
  ) {}

  async register(input: NewUserDto): Promise<UserResponseDto> {
    await this.assertAvailable({ email: input.email, username: input.username });
    const passwordHash = await this.passwords.hash(input.password);
    const user = await this.withUniqueness(() =>
      this.transaction.run(async (db) => {
        const created = await this.users.create({ email: input.email, username: input.username, passwordHash }, db);
        await this.events.emit(db, USER_EVENTS.of('user.registered', { userId: created.id }));
        return created;
      }),
    );
    // No viewer wrote this: name the new user, whose first reads must find them (read-your-writes).
    writtenBy(user.id);
    return toUserResponse(user, this.tokens.issue(user.id, user.tokenVersion));
  }

  async login(input: LoginUserDto): Promise<UserResponseDto> {
    const credentials = await this.users.findCredentialsByEmail(input.email);
    if (!(await this.passwords.verify(credentials?.passwordHash, input.password)) || !credentials) {
      throw new InvalidCredentials();
    }
    const user = await this.users.findById(credentials.id);
    if (!user) throw new InvalidCredentials();
    return toUserResponse(user, this.tokens.issue(user.id, user.tokenVersion));
  }

  async current(viewer: Viewer): Promise<UserResponseDto> {
    const user = await this.users.findById(viewer.id);
    if (!user) throw new UnauthorizedError('token', 'is invalid');
    return toUserResponse(user, viewer.token);
  }

  async update(viewer: Viewer, input: UpdateUserDto): Promise<UserResponseDto> {
    const credentials = await this.users.findCredentialsById(viewer.id);
    if (!credentials) throw new UnauthorizedError('token', 'is invalid');
    // The address already held, in any case (the DTO lower-cases it), is no change at all.
    const newEmail = input.email !== undefined && input.email !== credentials.email ? input.email : undefined;
    // A stolen token alone must not be enough to take the account over; checked before any other work.
    const rotateTokens = newEmail !== undefined || input.password !== undefined;
    if (rotateTokens) await this.assertCurrentPassword(credentials.passwordHash, input.currentPassword);

    const changes: UserChanges = {};
    if (newEmail !== undefined) changes.email = newEmail;
    if (input.username !== undefined) changes.username = input.username;
    if (input.bio !== undefined) changes.bio = input.bio;
    if (input.image !== undefined) Object.assign(changes, await this.avatarChange(viewer, input.image));
    if (input.emailNotifications !== undefined) changes.emailNotifications = input.emailNotifications;
    if (input.digestEmails !== undefined) changes.digestEmails = input.digestEmails;
    if (input.password !== undefined) changes.passwordHash = await this.passwords.hash(input.password);
    if (Object.keys(changes).length === 0 && input.email === undefined) throw new EmptyUserUpdate();
    changes.rotateTokens = rotateTokens;

    await this.assertAvailable({ email: changes.email, username: changes.username }, viewer.id);
    // A rename also retires the profile cached under the old name, which only the old row knows.
    const previous = changes.username !== undefined ? await this.users.findById(viewer.id) : null;
    const user = await this.uploads.attaching('image', () => this.withUniqueness(() => this.users.update(viewer.id, changes)));
    if (changes.rotateTokens) await this.tokenVersions.changed(user.id, user.tokenVersion);
    await this.cache.invalidate(
      ProfileCacheTags.all,
      // Every article list embeds its authors' profiles.
      ArticleCacheTags.list,
      ProfileCacheTags.one(user.username),
      ...(previous ? [ProfileCacheTags.one(previous.username)] : []),
    );
    return toUserResponse(user, changes.rotateTokens ? this.tokens.issue(user.id, user.tokenVersion) : viewer.token);
  }

  private async assertCurrentPassword(hash: string, given: string | undefined): Promise<void> {
    if (given === undefined) throw new CurrentPasswordMissing();
    if (!(await this.passwords.verify(hash, given))) throw new CurrentPasswordIncorrect();
  }

  /** `image` is a URL (kept as given), null (cleared), or the id of a processed avatar upload. */
  private async avatarChange(viewer: Viewer, image: string | null): Promise<Pick<UserChanges, 'image' | 'avatarUploadId'>> {
    if (image === null || !isUploadId(image)) return { image, avatarUploadId: null };
    const avatar = await this.uploads.avatarFor(viewer.id, image);
    return { image: avatar.url, avatarUploadId: avatar.uploadId };
  }

  private async assertAvailable(candidate: { email?: string; username?: string }, exceptId?: number): Promise<void> {
    const taken = await this.users.takenFields(candidate, exceptId);
    if (taken.length > 0) throw new UserFieldsTaken(taken);
  }

  /** The pre-check can race with a concurrent registration; the unique index settles it. */
  private async withUniqueness<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      const fields = uniqueViolationFields(error);
      // The username's indexes are `users_username_key` and `users_username_lower_key`.
      if (fields) throw new UserFieldsTaken([fields.some((field) => field.includes('username')) ? 'username' : 'email']);
      throw error;
    }
  }
}
