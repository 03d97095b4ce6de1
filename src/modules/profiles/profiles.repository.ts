import { Injectable } from '@nestjs/common';
import { Prisma } from '@/generated/prisma/client';
import type { Db } from '@/infra/prisma/db';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { ReadReplicas } from '@/infra/prisma/read-replicas';
import type { PublicUser } from './profile.mapper';

/** The columns every embedded profile (author, commenter) needs. Other features select with it. */
export const PUBLIC_USER_SELECT = {
  id: true,
  username: true,
  bio: true,
  image: true,
} satisfies Prisma.UserSelect;

/** Reads go through `replicas.read` (a replica on the routes that allow it, else the primary). */
@Injectable()
export class ProfilesRepository {
  constructor(
    private readonly prisma: PrismaService,
    private readonly replicas: ReadReplicas,
  ) {}

  findByUsername(username: string): Promise<PublicUser | null> {
    return this.replicas.read((db) => db.user.findUnique({ where: { username }, select: PUBLIC_USER_SELECT }));
  }

  async idByUsername(username: string): Promise<number | undefined> {
    return (await this.replicas.read((db) => db.user.findUnique({ where: { username }, select: { id: true } })))?.id;
  }

  /**
   * Of `usernames`, the ones `followerId` follows: one indexed query whatever the list length (raw:
   * it runs on every signed-in read). Every `following` flag comes from here, by username, since
   * that is what a response body names.
   */
  async followedUsernames(followerId: number, usernames: string[]): Promise<Set<string>> {
    if (usernames.length === 0) return new Set();
    const rows = await this.replicas.read(
      (db) => db.$queryRaw<Array<{ username: string }>>`
        SELECT u.username FROM follows f JOIN users u ON u.id = f.followed_id
        WHERE f.follower_id = ${followerId} AND u.username = ANY(${[...new Set(usernames)]}::text[])`,
    );
    return new Set(rows.map((row) => row.username));
  }

  /** True when the follow is new (following twice changes nothing). */
  async follow(followerId: number, followedId: number, db: Db = this.prisma): Promise<boolean> {
    const { count } = await db.follow.createMany({ data: [{ followerId, followedId }], skipDuplicates: true });
    return count > 0;
  }

  async unfollow(followerId: number, followedId: number): Promise<void> {
    await this.prisma.follow.deleteMany({ where: { followerId, followedId } });
  }
}
