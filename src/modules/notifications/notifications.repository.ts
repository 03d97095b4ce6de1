import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/infra/prisma/prisma.service';

export interface Recipient {
  id: number;
  email: string;
  username: string;
}

/**
 * The read model of the mail jobs: who should hear about what. It reads users, follows, articles
 * and comments, and writes only `mail_deliveries`, the record that makes sending idempotent.
 */
@Injectable()
export class NotificationsRepository {
  constructor(private readonly prisma: PrismaService) {}

  user(id: number): Promise<(Recipient & { emailNotifications: boolean }) | null> {
    return this.prisma.user.findUnique({ where: { id }, select: { id: true, email: true, username: true, emailNotifications: true } });
  }

  usersByIds(ids: number[]): Promise<Recipient[]> {
    return this.prisma.user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true, username: true }, orderBy: { id: 'asc' } });
  }

  article(id: number) {
    return this.prisma.article.findUnique({
      where: { id },
      select: { id: true, slug: true, title: true, description: true, publishedAt: true, author: { select: { id: true, username: true } } },
    });
  }

  comment(id: number) {
    return this.prisma.comment.findUnique({
      where: { id },
      select: {
        body: true,
        author: { select: { id: true, username: true } },
        article: { select: { slug: true, title: true, authorId: true } },
      },
    });
  }

  /** The next page of followers of `authorId` who accept mails, by id (keyset paging). */
  async followerIds(authorId: number, afterId: number, limit: number): Promise<number[]> {
    const rows = await this.prisma.follow.findMany({
      where: { followedId: authorId, followerId: { gt: afterId }, follower: { emailNotifications: true } },
      select: { followerId: true },
      orderBy: { followerId: 'asc' },
      take: limit,
    });
    return rows.map((row) => row.followerId);
  }

  /** The next page of users who opted in to the digest. */
  async digestRecipientIds(afterId: number, limit: number): Promise<number[]> {
    const rows = await this.prisma.user.findMany({
      where: { digestEmails: true, id: { gt: afterId } },
      select: { id: true },
      orderBy: { id: 'asc' },
      take: limit,
    });
    return rows.map((row) => row.id);
  }

  /** Articles published in [since, until) by the authors `userId` follows, newest first. */
  feedBetween(userId: number, since: Date, until: Date, limit: number) {
    return this.prisma.article.findMany({
      where: { publishedAt: { gte: since, lt: until }, author: { followers: { some: { followerId: userId } } } },
      select: { slug: true, title: true, description: true, author: { select: { username: true } } },
      orderBy: [{ publishedAt: 'desc' }, { id: 'desc' }],
      take: limit,
    });
  }

  async delivered(messageId: string): Promise<boolean> {
    return (await this.prisma.mailDelivery.count({ where: { messageId } })) > 0;
  }

  async recordDelivery(messageId: string, recipient: string): Promise<void> {
    await this.prisma.mailDelivery.createMany({ data: [{ messageId, recipient }], skipDuplicates: true });
  }
}
