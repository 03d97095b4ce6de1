import { Injectable } from '@nestjs/common';
import { defineJobs, JobHandler } from '@/infra/queue/job-handler';
import { QUEUES } from '@/infra/queue/queues';
import { OutboxService } from './outbox.service';

/** The outbox's own job on the `scheduled` queue. */
export interface OutboxJobs {
  /** Repeatable: deletes completed outbox events older than a week. */
  'outbox-purge': Record<string, never>;
}

export const OUTBOX_JOBS = defineJobs<OutboxJobs>(QUEUES.scheduled, { 'outbox-purge': true });

const OUTBOX_RETENTION_DAYS = 7;

/** Keeps the outbox table small: completed events are only kept a week, for inspection. */
@Injectable()
export class OutboxJobHandlers {
  constructor(private readonly outbox: OutboxService) {}

  @JobHandler(OUTBOX_JOBS, 'outbox-purge', { schedule: { id: 'outbox-purge', repeat: { every: 3600_000 } } })
  async purge(): Promise<void> {
    await this.outbox.purgeCompleted(OUTBOX_RETENTION_DAYS);
  }
}
