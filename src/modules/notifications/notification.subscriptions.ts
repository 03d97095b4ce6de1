import { reactTo } from '@/infra/outbox/domain-events';
import { ARTICLE_EVENTS } from '@/modules/articles/article-events';
import { COMMENT_EVENTS } from '@/modules/comments/comment-events';
import { PROFILE_EVENTS } from '@/modules/profiles/profile-events';
import { USER_EVENTS } from '@/modules/users/user-events';
import { MAIL_JOBS } from './mail-jobs';

/** The mails other features' events cause: each event becomes a job of the `mail` queue (see MailJobHandlers). */
export const NOTIFICATION_SUBSCRIPTIONS = [
  reactTo(USER_EVENTS, 'user.registered', 'notifications: welcome mail', ({ userId }) => MAIL_JOBS.intent('welcome', { userId })),
  reactTo(PROFILE_EVENTS, 'profile.followed', 'notifications: new-follower mail', (follow) => MAIL_JOBS.intent('new-follower', follow)),
  reactTo(COMMENT_EVENTS, 'comment.added', 'notifications: new-comment mail', ({ commentId }) => MAIL_JOBS.intent('new-comment', { commentId })),
  reactTo(ARTICLE_EVENTS, 'article.published', "notifications: the followers' new-article mails", ({ articleId }) => MAIL_JOBS.intent('new-article', { articleId })),
];
