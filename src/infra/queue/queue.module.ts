import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '@/config/environment';
import { DeploymentNamespace } from '@/infra/redis/deployment-namespace';
import { QUEUE_NAMES } from './queues';

/**
 * BullMQ on the Redis of REDIS_URL, with one set of job defaults for every queue: retries with
 * exponential backoff and a cap, completed jobs kept briefly, failed jobs kept for inspection.
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [ConfigService, DeploymentNamespace],
      useFactory: (config: ConfigService<Environment, true>, namespace: DeploymentNamespace) => ({
        // Workers block on Redis and must retry forever (maxRetriesPerRequest: null), as BullMQ requires.
        connection: { url: config.get<string>('REDIS_URL'), maxRetriesPerRequest: null },
        // The deployment's own queues: another deployment on this Redis never takes their jobs.
        prefix: namespace.queuePrefix,
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
  exports: [BullModule],
})
export class QueueModule {}
