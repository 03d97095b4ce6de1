import { Module } from '@nestjs/common';
import { ArticleSummariesModule } from '@/modules/articles/article-summaries';
import { CommentSummariesModule } from '@/modules/comments/comment-summaries';
import { FollowersModule } from '@/modules/profiles/followers';
import { UserRecipientsModule } from '@/modules/users/user-recipients';
import { MailDeliveries } from './mail-deliveries';
import { MailJobHandlers } from './mail.handlers';
import { NotificationsRepository } from './notifications.repository';

/**
 * The consumer side: the `mail` queue's jobs and the digest run, run by the worker only. What the
 * mails say comes from the read services of the features that own it.
 */
@Module({
  imports: [UserRecipientsModule, FollowersModule, ArticleSummariesModule, CommentSummariesModule],
  providers: [MailJobHandlers, MailDeliveries, NotificationsRepository],
})
export class NotificationsWorkerModule {}
