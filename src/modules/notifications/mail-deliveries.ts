import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Cluster, Redis } from 'ioredis';
import type { Environment } from '@/config/environment';
import { DeploymentNamespace } from '@/infra/redis/deployment-namespace';
import { createRedisConnection, redisSettings } from '@/infra/redis/redis-connection';
import { NotificationsRepository } from './notifications.repository';

/** How long a mail that the server accepted, but PostgreSQL could not record, keeps being recorded in process. */
export const RECORD_RETRY_MS = 60_000;
/** How long Redis remembers that a mail was accepted by the server (longer than any job's retries). */
const SENT_MARK_TTL_SECONDS = 7 * 24 * 3600;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Sends each mail effectively once. SMTP has no idempotency: a message the server accepted cannot
 * be taken back, and a second send is a second mail. So the one thing never retried is a send
 * that succeeded:
 *
 * 1. Under the PostgreSQL delivery lock on the message id (NotificationsRepository.deliverOnce), a
 *    mail already recorded in `mail_deliveries`, or marked as sent in Redis, is not sent again.
 * 2. As soon as the server accepted the message, Redis marks it as sent (`mail-sent:<message id>`),
 *    then the delivery is recorded in PostgreSQL.
 * 3. If PostgreSQL is lost between the send and the record (a restart, a failover), only the
 *    record is retried, in process, for up to RECORD_RETRY_MS; if it still fails the job fails,
 *    and its retry finds the Redis mark and records the delivery without sending.
 *
 * What remains is the instant between the server's 250 and the Redis mark: a worker killed in
 * exactly that window leaves no trace of the send, and the retry sends again (at least once,
 * never silently lost). A worker killed during the conversation leaves a message the server never
 * acknowledged, which the retry rightly sends.
 */
@Injectable()
export class MailDeliveries implements OnModuleDestroy {
  private readonly logger = new Logger('MailDeliveries');
  private readonly redis: Redis | Cluster;

  constructor(
    private readonly repository: NotificationsRepository,
    @Inject(ConfigService) config: ConfigService<Environment, true>,
    private readonly namespace: DeploymentNamespace,
  ) {
    // Fails fast while Redis is away: the mark is a second line of defence, never a reason to wait.
    this.redis = createRedisConnection(redisSettings(config), {
      enableOfflineQueue: false,
      connectTimeout: 2_000,
      commandTimeout: 1_000,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
    });
    this.redis.on('error', () => undefined);
  }

  /** Sends `send` once for `messageId`; resolves to false when the mail had already been sent. */
  async sendOnce(messageId: string, recipient: string, send: () => Promise<void>): Promise<boolean> {
    const outcome = await this.repository.deliverOnce(messageId, recipient, {
      sentBefore: () => this.isMarkedSent(messageId),
      send: async () => {
        await send();
        await this.markSent(messageId);
      },
    });
    if (outcome === 'sent-unrecorded') await this.recordWithRetries(messageId, recipient);
    return outcome !== 'skipped';
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** Retries recording a delivery (never the send) until PostgreSQL takes it or RECORD_RETRY_MS is up. */
  private async recordWithRetries(messageId: string, recipient: string): Promise<void> {
    const deadline = Date.now() + RECORD_RETRY_MS;
    this.logger.warn(`${messageId} was sent but could not be recorded: retrying the record only`);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.repository.recordDelivered(messageId, recipient);
        this.logger.log(`${messageId} recorded as sent after ${attempt} attempt(s)`);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await sleep(Math.min(200 * 2 ** attempt, 2_000));
      }
    }
  }

  private key(messageId: string): string {
    return this.namespace.key('mail-sent', messageId);
  }

  private async isMarkedSent(messageId: string): Promise<boolean> {
    try {
      return (await this.redis.exists(this.key(messageId))) === 1;
    } catch {
      // Redis away: PostgreSQL's record, checked under the lock, is the one that counts.
      return false;
    }
  }

  private async markSent(messageId: string): Promise<void> {
    try {
      await this.redis.set(this.key(messageId), '1', 'EX', SENT_MARK_TTL_SECONDS);
    } catch (error) {
      this.logger.warn(`Could not mark ${messageId} as sent in Redis: ${(error as Error).message}`);
    }
  }
}
