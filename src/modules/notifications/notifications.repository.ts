import { Injectable } from '@nestjs/common';
import { PrismaService } from '@/infra/prisma/prisma.service';

/**
 * The record that makes sending idempotent (`mail_deliveries`), the one table notifications owns.
 * What a mail says and to whom comes from the features that own it (UserRecipients, Followers,
 * ArticleSummaries, CommentSummaries).
 */
@Injectable()
export class NotificationsRepository {
  constructor(private readonly prisma: PrismaService) {}

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
