import { Injectable, Module } from '@nestjs/common';
import { PrismaService } from '@/infra/prisma/prisma.service';

/** Someone a mail can go to. */
export interface Recipient {
  id: number;
  email: string;
  username: string;
}

/** Accounts as mail recipients, read by the users feature that owns them (for notifications). */
@Injectable()
export class UserRecipients {
  constructor(private readonly prisma: PrismaService) {}

  /** The account with its mail preference; null when it is gone. */
  user(id: number): Promise<(Recipient & { emailNotifications: boolean }) | null> {
    return this.prisma.user.findUnique({ where: { id }, select: { id: true, email: true, username: true, emailNotifications: true } });
  }

  /** The accounts among `ids` that still exist, by id. */
  usersByIds(ids: number[]): Promise<Recipient[]> {
    return this.prisma.user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true, username: true }, orderBy: { id: 'asc' } });
  }

  /** The next page of users who opted in to the digest, by id (keyset paging). */
  async digestRecipientIds(afterId: number, limit: number): Promise<number[]> {
    const rows = await this.prisma.user.findMany({
      where: { digestEmails: true, id: { gt: afterId } },
      select: { id: true },
      orderBy: { id: 'asc' },
      take: limit,
    });
    return rows.map((row) => row.id);
  }
}

@Module({ providers: [UserRecipients], exports: [UserRecipients] })
export class UserRecipientsModule {}
