import { Injectable, Module } from '@nestjs/common';
import { PrismaService } from '@/infra/prisma/prisma.service';

/** Who follows whom, read by the profiles feature that owns the follows (for notifications). */
@Injectable()
export class Followers {
  constructor(private readonly prisma: PrismaService) {}

  /** The next page of followers of `userId` who accept mails, by id (keyset paging). */
  async mailableFollowerIds(userId: number, afterId: number, limit: number): Promise<number[]> {
    const rows = await this.prisma.follow.findMany({
      where: { followedId: userId, followerId: { gt: afterId }, follower: { emailNotifications: true } },
      select: { followerId: true },
      orderBy: { followerId: 'asc' },
      take: limit,
    });
    return rows.map((row) => row.followerId);
  }
}

@Module({ providers: [Followers], exports: [Followers] })
export class FollowersModule {}
