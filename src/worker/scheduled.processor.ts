import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Job, Queue } from 'bullmq';
import type { Environment } from '@/config/environment';
import { runInJobContext } from '@/infra/logging/request-context';
import { OutboxService } from '@/infra/outbox/outbox.service';
import { throughDatabaseOutages } from '@/infra/queue/database-outage';
import { jobLockOptions, OutboxJobData, QUEUES } from '@/infra/queue/queues';
import { ArticlesService } from '@/modules/articles/articles.service';
import { MediaMaintenance } from '@/modules/uploads/media-maintenance.service';

/** Every job of the `scheduled` queue. */
export interface ScheduledJobs {
  /** From the outbox event written with a scheduled article, due at its `publishAt`. */
  'publish-article': { articleId: number };
  /** Repeatable: starts the day's digest mails. */
  'digest-run': Record<string, never>;
  /** Repeatable: deletes completed outbox events older than a week. */
  'outbox-purge': Record<string, never>;
  /** Repeatable: deletes processed originals and images no user or article uses. */
  'media-gc': Record<string, never>;
}
type ScheduledJobName = keyof ScheduledJobs;

const OUTBOX_RETENTION_DAYS = 7;

/**
 * The `scheduled` queue: work that is due at a time. Scheduled methods only enqueue; the
 * repeatable jobs are registered once, cluster-wide, by `upsertJobScheduler`, so several workers
 * never run the digest twice.
 */
@Processor(QUEUES.scheduled, { concurrency: 2, ...jobLockOptions() })
export class ScheduledProcessor extends WorkerHost {
  private readonly logger = new Logger('ScheduledProcessor');

  constructor(
    private readonly articles: ArticlesService,
    private readonly outbox: OutboxService,
    private readonly media: MediaMaintenance,
    @InjectQueue(QUEUES.mail) private readonly mailQueue: Queue,
  ) {
    super();
  }

  process(job: Job, token?: string): Promise<void> {
    return runInJobContext(job, () => throughDatabaseOutages(job, token, () => this.run(job)));
  }

  private async run(job: Job): Promise<void> {
    const name = job.name as ScheduledJobName;
    switch (name) {
      case 'publish-article': {
        const { articleId } = job.data as ScheduledJobs['publish-article'];
        if (await this.articles.publishDue(articleId)) this.logger.log(`published scheduled article ${articleId}`);
        break;
      }
      case 'digest-run': {
        const day = new Date().toISOString().slice(0, 10);
        await this.mailQueue.add('digest', { day }, { jobId: `digest-${day}` });
        break;
      }
      case 'outbox-purge':
        await this.outbox.purgeCompleted(OUTBOX_RETENTION_DAYS);
        break;
      case 'media-gc':
        await this.media.collect();
        break;
      default: {
        const unknown: never = name;
        throw new Error(`scheduled queue has no handler for job "${String(unknown)}"`);
      }
    }
    const eventId = (job.data as OutboxJobData).eventId;
    if (eventId) await this.outbox.complete(eventId);
  }
}

/** How often the schedulers are checked, so that a Redis that lost its data gets them back. */
const CHECK_EVERY_MS = 2_000;

/**
 * Registers the repeatable jobs at worker start, and again whenever they are found missing (a
 * Redis restarted without its data would otherwise never run the digest again). Existing ones
 * are left alone: upserting them would restart their `every` period.
 */
@Injectable()
export class JobSchedulers implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('JobSchedulers');
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectQueue(QUEUES.scheduled) private readonly scheduledQueue: Queue,
    private readonly config: ConfigService<Environment, true>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.register().catch((error: Error) => this.logger.warn(`Could not register job schedulers yet: ${error.message}`));
    this.timer = setInterval(() => {
      this.register().catch((error: Error) => this.logger.warn(`Could not register job schedulers: ${error.message}`));
    }, CHECK_EVERY_MS);
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  private async register(): Promise<void> {
    const schedulers = {
      digest: { repeat: { pattern: this.config.get('DIGEST_CRON', { infer: true }) }, name: 'digest-run' },
      'outbox-purge': { repeat: { every: 3600_000 }, name: 'outbox-purge' },
      'media-gc': { repeat: { every: 3600_000 }, name: 'media-gc' },
    } as const;
    for (const [id, { repeat, name }] of Object.entries(schedulers)) {
      if (await this.scheduledQueue.getJobScheduler(id)) continue;
      await this.scheduledQueue.upsertJobScheduler(id, repeat, { name });
      this.logger.log(`registered job scheduler ${id}`);
    }
  }
}
