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

  /**
   * Runs `send` unless the mail was already delivered (recorded here, or `sentBefore()` says so),
   * holding a PostgreSQL lock on its message id meanwhile, and records the delivery in the same
   * transaction. Two runs of one mail (a job handed over again while the first run is still
   * talking to the SMTP server) therefore send it once; if the worker dies mid-send, its
   * connection and so the lock go with it, and a retry sends.
   *
   * A send that succeeded is never undone by a failure to record it (PostgreSQL lost mid-way):
   * the outcome is then `sent-unrecorded`, and the caller records it with `recordDelivered`.
   */
  async deliverOnce(
    messageId: string,
    recipient: string,
    { sentBefore, send }: { sentBefore: () => Promise<boolean>; send: () => Promise<void> },
  ): Promise<'sent' | 'skipped' | 'sent-unrecorded'> {
    let sent = false;
    try {
      return await this.prisma.$transaction(
        async (tx) => {
          await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${messageId}, 0))`;
          if ((await tx.mailDelivery.count({ where: { messageId } })) > 0) return 'skipped';
          const already = await sentBefore();
          if (!already) {
            await send();
            sent = true;
          }
          await tx.mailDelivery.create({ data: { messageId, recipient } });
          return already ? 'skipped' : 'sent';
        },
        // Longer than the transport's own limit on one send.
        { maxWait: 10_000, timeout: 45_000 },
      );
    } catch (error) {
      if (sent) return 'sent-unrecorded';
      throw error;
    }
  }

  /** Records a delivery outside the lock; a delivery already recorded (its commit did land) is kept. */
  async recordDelivered(messageId: string, recipient: string): Promise<void> {
    await this.prisma.$executeRaw`
      INSERT INTO mail_deliveries (message_id, recipient) VALUES (${messageId}, ${recipient})
      ON CONFLICT (message_id) DO NOTHING`;
  }
}
