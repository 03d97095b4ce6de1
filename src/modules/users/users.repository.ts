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

  /** Which of the given email and username belong to someone other than `exceptId`. */
  async takenFields(candidate: { email?: string; username?: string }, exceptId?: number): Promise<Array<'email' | 'username'>> {
    const or: Prisma.UserWhereInput[] = [];
    if (candidate.email !== undefined) or.push({ email: candidate.email });
    if (candidate.username !== undefined) or.push({ username: candidate.username });
    if (or.length === 0) return [];
    const owners = await this.prisma.user.findMany({
      where: { OR: or, ...(exceptId !== undefined && { id: { not: exceptId } }) },
      select: { email: true, username: true },
    });
    const taken = new Set<'email' | 'username'>();
    for (const owner of owners) {
      if (owner.email === candidate.email) taken.add('email');
      if (owner.username === candidate.username) taken.add('username');
    }
    return [...taken];
  }

  create(data: { email: string; username: string; passwordHash: string; isAdmin?: boolean }, db: Db = this.prisma): Promise<UserRow> {
    return db.user.create({ data, select: USER_SELECT });
  }

  update(id: number, changes: UserChanges): Promise<UserRow> {
    return this.prisma.user.update({ where: { id }, data: changes, select: USER_SELECT });
  }
}
