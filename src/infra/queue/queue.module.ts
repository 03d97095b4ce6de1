import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Queue } from 'bullmq';
import type { Environment } from '@/config/environment';
import { QUEUE_NAMES, QUEUE_PREFIX } from './queues';

/**
 * BullMQ on the Redis of REDIS_URL, with one set of job defaults for every queue: retries with
 * exponential backoff and a cap, completed jobs kept briefly, failed jobs kept for inspection.
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        // Workers block on Redis and must retry forever (maxRetriesPerRequest: null), as BullMQ requires.
        connection: { url: config.get<string>('REDIS_URL'), maxRetriesPerRequest: null },
        prefix: QUEUE_PREFIX,
        defaultJobOptions: {
          attempts: config.get('JOB_ATTEMPTS', { infer: true }),
          backoff: { type: 'exponential', delay: config.get('JOB_BACKOFF_MS', { infer: true }) },
          removeOnComplete: { age: 24 * 3600, count: 10_000 },
          removeOnFail: { age: 14 * 24 * 3600 },
        },
      }),
    }),
    BullModule.registerQueue(...QUEUE_NAMES.map((name) => ({ name }))),
  ],
  providers: [
    {
      // A queue with no 'error' listener has BullMQ print each Redis connection error with its stack,
      // again at every reconnection attempt: one warning instead (no Redis, a wrong REDIS_URL); /health/ready reports the outage.
      provide: 'QUEUE_CONNECTION_WARNINGS',
      inject: QUEUE_NAMES.map((name) => getQueueToken(name)),
      useFactory: (...queues: Queue[]) => {
        const logger = new Logger('QueueModule');
        let warned = false;
        for (const queue of queues) {
          queue.on('error', (error: Error) => {
            if (!warned) logger.warn(`Redis unavailable for the queues: ${error.message}`);
            warned = true;
          });
        }
        return queues.length;
      },
    },
  ],
  exports: [BullModule],
})
export class QueueModule {}
