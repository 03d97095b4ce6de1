import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Queue } from 'bullmq';
import type { Environment } from '@/config/environment';
import { MailTransport } from '@/infra/mail/mail-transport';
import { requestIdData } from '@/infra/logging/request-context';
import { JobHandler } from '@/infra/queue/job-handler';
import { DeploymentNamespace, senderDomain } from '@/infra/redis/deployment-namespace';
import { QUEUES } from '@/infra/queue/queues';
import { DIGEST_JOBS, FAN_OUT_BATCH, MAIL_JOBS, MailJobData } from './mail-jobs';
import { digestMail, newArticleMail, newCommentMail, newFollowerMail, welcomeMail } from './mail-templates';
import { MailDeliveries } from './mail-deliveries';
import { ArticleSummaries } from '@/modules/articles/article-summaries';
import { CommentSummaries } from '@/modules/comments/comment-summaries';
import { Followers } from '@/modules/profiles/followers';
import { type Recipient, UserRecipients } from '@/modules/users/user-recipients';

interface MailContent {
  subject: string;
  text: string;
  html: string;
}

/**
 * The `mail` queue's jobs, and the daily digest run. Jobs carry ids; each handler re-reads what it
 * needs and skips mails whose subject is gone or whose recipient opted out. Each mail has a
 * deterministic message id that is recorded once sent, so a repeated job (a retry, a re-delivered
 * outbox event, a worker killed mid-job, a database lost after the send) never sends it twice:
 * see MailDeliveries.
 */
@Injectable()
export class MailJobHandlers {
  private readonly logger = new Logger('MailJobHandlers');
  private readonly appUrl: string;
  private readonly senderDomain: string;

  constructor(
    private readonly users: UserRecipients,
    private readonly followers: Followers,
    private readonly articles: ArticleSummaries,
    private readonly comments: CommentSummaries,
    private readonly transport: MailTransport,
    private readonly deliveries: MailDeliveries,
    @InjectQueue(QUEUES.mail) private readonly mailQueue: Queue,
    private readonly namespace: DeploymentNamespace,
    config: ConfigService<Environment, true>,
  ) {
    this.appUrl = config.get('APP_URL', { infer: true });
    this.senderDomain = senderDomain(config.get('MAIL_FROM', { infer: true }));
  }

  /** Scheduled methods only enqueue: the digest's one job of the day fans out on the mail queue. */
  @JobHandler(DIGEST_JOBS, 'digest-run', { schedule: { id: 'digest', repeat: (config) => ({ pattern: config.get('DIGEST_CRON', { infer: true }) }) } })
  async startDigest(): Promise<void> {
    const day = new Date().toISOString().slice(0, 10);
    await this.mailQueue.add('digest', { day }, { jobId: `digest-${day}` });
  }

  @JobHandler(MAIL_JOBS, 'welcome')
  async welcome({ userId }: MailJobData<'welcome'>): Promise<void> {
    const user = await this.users.user(userId);
    if (!user) return;
    await this.sendOnce(`welcome.${userId}`, user, welcomeMail({ username: user.username, appUrl: this.appUrl }));
  }

  @JobHandler(MAIL_JOBS, 'new-follower')
  async newFollower({ followerId, followedId }: MailJobData<'new-follower'>): Promise<void> {
    const [followed, follower] = await Promise.all([this.users.user(followedId), this.users.user(followerId)]);
    if (!followed || !follower || !followed.emailNotifications) return;
    const content = newFollowerMail({ recipient: followed.username, follower: follower.username, appUrl: this.appUrl });
    await this.sendOnce(`follow.${followerId}.${followedId}`, followed, content);
  }

  @JobHandler(MAIL_JOBS, 'new-comment')
  async newComment({ commentId }: MailJobData<'new-comment'>): Promise<void> {
    const comment = await this.comments.comment(commentId);
    if (!comment || comment.author.id === comment.article.authorId) return;
    const author = await this.users.user(comment.article.authorId);
    if (!author || !author.emailNotifications) return;
    const content = newCommentMail({
      recipient: author.username,
      commenter: comment.author.username,
      articleTitle: comment.article.title,
      articleSlug: comment.article.slug,
      commentBody: comment.body,
      appUrl: this.appUrl,
    });
    await this.sendOnce(`comment.${commentId}`, author, content);
  }

  /** One batch job per FAN_OUT_BATCH followers, with ids that make a repeated fan-out harmless. */
  @JobHandler(MAIL_JOBS, 'new-article')
  async fanOutNewArticle({ articleId }: MailJobData<'new-article'>): Promise<void> {
    const article = await this.articles.article(articleId);
    if (!article?.publishedAt) return;
    let after = 0;
    for (;;) {
      const recipientIds = await this.followers.mailableFollowerIds(article.author.id, after, FAN_OUT_BATCH);
      if (recipientIds.length === 0) return;
      await this.mailQueue.add('new-article-batch', { articleId, recipientIds, ...requestIdData() }, { jobId: `article-${articleId}-from-${recipientIds[0]}` });
      after = recipientIds[recipientIds.length - 1];
    }
  }

  @JobHandler(MAIL_JOBS, 'new-article-batch')
  async newArticleBatch({ articleId, recipientIds }: MailJobData<'new-article-batch'>): Promise<void> {
    const article = await this.articles.article(articleId);
    if (!article?.publishedAt) return;
    for (const recipient of await this.users.usersByIds(recipientIds)) {
      const content = newArticleMail({
        recipient: recipient.username,
        author: article.author.username,
        title: article.title,
        slug: article.slug,
        description: article.description,
        appUrl: this.appUrl,
      });
      await this.sendOnce(`article.${articleId}.${recipient.id}`, recipient, content);
    }
  }

  @JobHandler(MAIL_JOBS, 'digest')
  async fanOutDigest({ day }: MailJobData<'digest'>): Promise<void> {
    let after = 0;
    for (;;) {
      const recipientIds = await this.users.digestRecipientIds(after, FAN_OUT_BATCH);
      if (recipientIds.length === 0) return;
      await this.mailQueue.add('digest-batch', { day, recipientIds }, { jobId: `digest-${day}-from-${recipientIds[0]}` });
      after = recipientIds[recipientIds.length - 1];
    }
  }

  /** The articles of the day before `day` in each recipient's feed; nobody gets an empty digest. */
  @JobHandler(MAIL_JOBS, 'digest-batch')
  async digestBatch({ day, recipientIds }: MailJobData<'digest-batch'>): Promise<void> {
    const until = new Date(`${day}T00:00:00.000Z`);
    const since = new Date(until.getTime() - 24 * 3600 * 1000);
    for (const recipient of await this.users.usersByIds(recipientIds)) {
      const articles = await this.articles.feedBetween(recipient.id, since, until, 20);
      if (articles.length === 0) continue;
      const content = digestMail({
        recipient: recipient.username,
        articles: articles.map((article) => ({ title: article.title, slug: article.slug, description: article.description, author: article.author.username })),
        appUrl: this.appUrl,
      });
      await this.sendOnce(`digest.${day}.${recipient.id}`, recipient, content);
    }
  }

  private async sendOnce(key: string, recipient: Recipient, content: MailContent): Promise<void> {
    const messageId = this.namespace.messageId(key, this.senderDomain);
    const sent = await this.deliveries.sendOnce(messageId, recipient.email, () =>
      this.transport.send({ to: recipient.email, messageId, ...content }),
    );
    if (sent) this.logger.debug(`sent ${messageId}`);
  }
}
