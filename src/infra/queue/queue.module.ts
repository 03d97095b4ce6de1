import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { Global, Logger, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Queue } from 'bullmq';
import type { Environment } from '@/config/environment';
import { DeploymentNamespace } from '@/infra/redis/deployment-namespace';
import { createRedisConnection, redisSettings, redisTopology } from '@/infra/redis/redis-connection';
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
        connection: bullConnection(config),
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

/**
 * BullMQ's connection: options for one node or Sentinel (BullMQ opens its connections from them),
 * a Cluster client for a cluster (BullMQ duplicates it for its blocking connections).
 */
function bullConnection(config: ConfigService<Environment, true>) {
  const settings = redisSettings(config);
  const topology = redisTopology(settings);
  switch (topology.kind) {
    case 'node':
      return { url: topology.url, maxRetriesPerRequest: null };
    case 'sentinel':
      return {
        sentinels: topology.sentinels,
        name: topology.master,
        username: topology.username,
        password: topology.password,
        maxRetriesPerRequest: null,
        reconnectOnError: (error: Error) => error.message.startsWith('READONLY'),
      };
    case 'cluster':
      return createRedisConnection(settings, { maxRetriesPerRequest: null });
  }
}
