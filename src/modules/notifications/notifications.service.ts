import { Injectable } from '@nestjs/common';
import type { Db } from '@/infra/prisma/db';
import { OutboxService } from '@/infra/outbox/outbox.service';
import { MAIL_JOBS, type MailJobName, type MailJobs } from './mail-jobs';

/**
 * What other features call when something worth a mail happens, inside their own transaction:
 * the mail becomes an outbox event, committed with the change or not at all.
 */
@Injectable()
export class NotificationsService {
  constructor(private readonly outbox: OutboxService) {}

  welcome(db: Db, userId: number): Promise<void> {
    return this.mail(db, 'welcome', { userId });
  }

  newFollower(db: Db, followerId: number, followedId: number): Promise<void> {
    return this.mail(db, 'new-follower', { followerId, followedId });
  }

  newComment(db: Db, commentId: number): Promise<void> {
    return this.mail(db, 'new-comment', { commentId });
  }

  articlePublished(db: Db, articleId: number): Promise<void> {
    return this.mail(db, 'new-article', { articleId });
  }

  private mail<N extends MailJobName>(db: Db, name: N, data: MailJobs[N]): Promise<void> {
    return this.outbox.add(db, MAIL_JOBS.intent(name, data));
  }
}
