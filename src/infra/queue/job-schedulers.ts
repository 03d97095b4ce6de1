import { getQueueToken } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import type { Environment } from '@/config/environment';
import { QueueWorkers } from './queue-workers';

/** How often the schedulers are checked, so that a Redis that lost its data gets them back. */
const CHECK_EVERY_MS = 2_000;

/**
 * Registers the repeatable jobs (the handlers declared with a `schedule`) at worker start, and
 * again whenever they are found missing (a Redis restarted without its data would otherwise never
 * run the digest again). `upsertJobScheduler` makes each one run once per cluster, however many
 * workers there are. Existing ones are left alone: upserting them would restart their `every` period.
 */
@Injectable()
export class JobSchedulers implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('JobSchedulers');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly workers: QueueWorkers,
    private readonly moduleRef: ModuleRef,
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
    for (const { queue, name, schedule } of this.workers.handlers().handlers) {
      if (!schedule || typeof name !== 'string') continue;
      const target = this.moduleRef.get<Queue>(getQueueToken(queue), { strict: false });
      if (await target.getJobScheduler(schedule.id)) continue;
      const repeat = typeof schedule.repeat === 'function' ? schedule.repeat(this.config) : schedule.repeat;
      await target.upsertJobScheduler(schedule.id, repeat, { name });
      this.logger.log(`registered job scheduler ${schedule.id}`);
    }
  }
}
