import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Job, Queue } from 'bullmq';
import type { Environment } from '@/config/environment';
import { MailTransport } from '@/infra/mail/mail-transport';
import { requestIdData, runInJobContext } from '@/infra/logging/request-context';
import { DeploymentNamespace, senderDomain } from '@/infra/redis/deployment-namespace';
import { OutboxService } from '@/infra/outbox/outbox.service';
import { throughDatabaseOutages } from '@/infra/queue/database-outage';
import { jobLockOptions, QUEUES } from '@/infra/queue/queues';
import { FAN_OUT_BATCH, MailJobData, MailJobName } from './mail-jobs';
import { digestMail, newArticleMail, newCommentMail, newFollowerMail, welcomeMail } from './mail-templates';
import { MailDeliveries } from './mail-deliveries';
import { NotificationsRepository, Recipient } from './notifications.repository';

interface MailContent {
  subject: string;
  text: string;
  html: string;
}

/**
 * The `mail` queue. Jobs carry ids; the processor re-reads what it needs and skips mails whose
 * subject is gone or whose recipient opted out. Each mail has a deterministic message id that is
 * recorded once sent, so a repeated job (a retry, a re-delivered outbox event, a worker killed
 * mid-job, a database lost after the send) never sends it twice: see MailDeliveries.
 */
@Processor(QUEUES.mail, { concurrency: 8, ...jobLockOptions() })
export class MailProcessor extends WorkerHost {
  private readonly logger = new Logger('MailProcessor');
  private readonly appUrl: string;
  private readonly senderDomain: string;

  constructor(
    private readonly notifications: NotificationsRepository,
    private readonly transport: MailTransport,
    private readonly deliveries: MailDeliveries,
    private readonly outbox: OutboxService,
    @InjectQueue(QUEUES.mail) private readonly mailQueue: Queue,
    private readonly namespace: DeploymentNamespace,
    config: ConfigService<Environment, true>,
  ) {
    super();
    this.appUrl = config.get('APP_URL', { infer: true });
    this.senderDomain = senderDomain(config.get('MAIL_FROM', { infer: true }));
  }

  process(job: Job, token?: string): Promise<void> {
    return runInJobContext(job, () =>
      throughDatabaseOutages(job, token, async () => {
        await this.handle(job);
        const eventId = (job.data as { eventId?: string }).eventId;
        if (eventId) await this.outbox.complete(eventId);
      }),
    );
  }

  private async handle(job: Job): Promise<void> {
    const name = job.name as MailJobName;
    switch (name) {
      case 'welcome':
        return this.welcome(job.data as MailJobData<'welcome'>);
      case 'new-follower':
        return this.newFollower(job.data as MailJobData<'new-follower'>);
      case 'new-comment':
        return this.newComment(job.data as MailJobData<'new-comment'>);
      case 'new-article':
        return this.fanOutNewArticle(job.data as MailJobData<'new-article'>);
      case 'new-article-batch':
        return this.newArticleBatch(job.data as MailJobData<'new-article-batch'>);
      case 'digest':
        return this.fanOutDigest(job.data as MailJobData<'digest'>);
      case 'digest-batch':
        return this.digestBatch(job.data as MailJobData<'digest-batch'>);
      default: {
        const unknown: never = name;
        throw new Error(`mail queue has no handler for job "${String(unknown)}"`);
      }
    }
  }

  private async welcome({ userId }: MailJobData<'welcome'>): Promise<void> {
    const user = await this.notifications.user(userId);
    if (!user) return;
    await this.sendOnce(`welcome.${userId}`, user, welcomeMail({ username: user.username, appUrl: this.appUrl }));
  }

  private async newFollower({ followerId, followedId }: MailJobData<'new-follower'>): Promise<void> {
    const [followed, follower] = await Promise.all([this.notifications.user(followedId), this.notifications.user(followerId)]);
    if (!followed || !follower || !followed.emailNotifications) return;
    const content = newFollowerMail({ recipient: followed.username, follower: follower.username, appUrl: this.appUrl });
    await this.sendOnce(`follow.${followerId}.${followedId}`, followed, content);
  }

  private async newComment({ commentId }: MailJobData<'new-comment'>): Promise<void> {
    const comment = await this.notifications.comment(commentId);
    if (!comment || comment.author.id === comment.article.authorId) return;
    const author = await this.notifications.user(comment.article.authorId);
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
  private async fanOutNewArticle({ articleId }: MailJobData<'new-article'>): Promise<void> {
    const article = await this.notifications.article(articleId);
    if (!article?.publishedAt) return;
    let after = 0;
    for (;;) {
      const recipientIds = await this.notifications.followerIds(article.author.id, after, FAN_OUT_BATCH);
      if (recipientIds.length === 0) return;
      await this.mailQueue.add('new-article-batch', { articleId, recipientIds, ...requestIdData() }, { jobId: `article-${articleId}-from-${recipientIds[0]}` });
      after = recipientIds[recipientIds.length - 1];
    }
  }

  private async newArticleBatch({ articleId, recipientIds }: MailJobData<'new-article-batch'>): Promise<void> {
    const article = await this.notifications.article(articleId);
    if (!article?.publishedAt) return;
    for (const recipient of await this.notifications.usersByIds(recipientIds)) {
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

  private async fanOutDigest({ day }: MailJobData<'digest'>): Promise<void> {
    let after = 0;
    for (;;) {
      const recipientIds = await this.notifications.digestRecipientIds(after, FAN_OUT_BATCH);
      if (recipientIds.length === 0) return;
      await this.mailQueue.add('digest-batch', { day, recipientIds }, { jobId: `digest-${day}-from-${recipientIds[0]}` });
      after = recipientIds[recipientIds.length - 1];
    }
  }

  /** The articles of the day before `day` in each recipient's feed; nobody gets an empty digest. */
  private async digestBatch({ day, recipientIds }: MailJobData<'digest-batch'>): Promise<void> {
    const until = new Date(`${day}T00:00:00.000Z`);
    const since = new Date(until.getTime() - 24 * 3600 * 1000);
    for (const recipient of await this.notifications.usersByIds(recipientIds)) {
      const articles = await this.notifications.feedBetween(recipient.id, since, until, 20);
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
