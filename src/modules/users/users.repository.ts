import { Injectable } from '@nestjs/common';
import { Prisma } from '@/generated/prisma/client';
import type { Db } from '@/infra/prisma/db';
import { PrismaService } from '@/infra/prisma/prisma.service';

export const USER_SELECT = {
  id: true,
  email: true,
  username: true,
  bio: true,
  image: true,
  tokenVersion: true,
} satisfies Prisma.UserSelect;

export type UserRow = Prisma.UserGetPayload<{ select: typeof USER_SELECT }>;

export interface UserChanges {
  email?: string;
  username?: string;
  passwordHash?: string;
  bio?: string | null;
  image?: string | null;
  /** Set with `image` when the avatar is an upload, so that its variants are kept. */
  avatarUploadId?: string | null;
  emailNotifications?: boolean;
  digestEmails?: boolean;
  isAdmin?: boolean;
  /** Retires every token issued so far (a password or email change). */
  rotateTokens?: boolean;
}

export interface AccountRow {
  id: number;
  email: string;
  username: string;
  isAdmin: boolean;
}

@Injectable()
export class UsersRepository {
  constructor(private readonly prisma: PrismaService) {}

  findById(id: number): Promise<UserRow | null> {
    return this.prisma.user.findUnique({ where: { id }, select: USER_SELECT });
  }

  findAccount(where: { email: string } | { username: string }): Promise<AccountRow | null> {
    return this.prisma.user.findUnique({ where, select: { id: true, email: true, username: true, isAdmin: true } });
  }

  findCredentialsByEmail(email: string): Promise<{ id: number; passwordHash: string } | null> {
    return this.prisma.user.findUnique({ where: { email }, select: { id: true, passwordHash: true } });
  }

  /** The account's current token version (see TokenVersions); undefined when there is no such account. */
  async tokenVersionOf(id: number): Promise<number | undefined> {
    return (await this.prisma.user.findUnique({ where: { id }, select: { tokenVersion: true } }))?.tokenVersion;
  }

  /** Whether the account with `email` may administer, and its password hash (null when there is no such account). */
  findAdministration(email: string): Promise<{ passwordHash: string; isAdmin: boolean } | null> {
    return this.prisma.user.findUnique({ where: { email }, select: { passwordHash: true, isAdmin: true } });
  }

  findCredentialsById(id: number): Promise<{ email: string; passwordHash: string } | null> {
    return this.prisma.user.findUnique({ where: { id }, select: { email: true, passwordHash: true } });
  }

  /**
   * Which of the given email and username belong to someone other than `exceptId`. Usernames are
   * compared case-insensitively, as the unique index on lower(username) does.
   */
  async takenFields(candidate: { email?: string; username?: string }, exceptId?: number): Promise<Array<'email' | 'username'>> {
    if (candidate.email === undefined && candidate.username === undefined) return [];
    const owners = await this.prisma.$queryRaw<Array<{ email: string; username: string }>>`
      SELECT email, username FROM users
      WHERE (email = ${candidate.email ?? null} OR lower(username) = lower(${candidate.username ?? null}))
        AND id <> ${exceptId ?? 0}`;
    const taken = new Set<'email' | 'username'>();
    for (const owner of owners) {
      if (owner.email === candidate.email) taken.add('email');
      if (candidate.username !== undefined && owner.username.toLowerCase() === candidate.username.toLowerCase()) taken.add('username');
    }
    return [...taken];
  }

  create(data: { email: string; username: string; passwordHash: string; isAdmin?: boolean }, db: Db = this.prisma): Promise<UserRow> {
    return db.user.create({ data, select: USER_SELECT });
  }

  update(id: number, { rotateTokens, ...changes }: UserChanges): Promise<UserRow> {
    return this.prisma.user.update({ where: { id }, data: { ...changes, ...(rotateTokens && { tokenVersion: { increment: 1 } }) }, select: USER_SELECT });
  }
}
