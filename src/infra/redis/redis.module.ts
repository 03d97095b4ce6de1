import { Global, Inject, Injectable, Logger, Module, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Cluster, Redis } from 'ioredis';
import type { Environment } from '@/config/environment';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { DatabaseIdentity, DeploymentNamespace, readDeploymentNamespace } from './deployment-namespace';
import { createRedisConnection, redisSettings } from './redis-connection';

/**
 * Publishes and receives messages between processes (cache invalidations), over two ioredis
 * connections: a subscribed connection can do nothing else. Publishing fails fast while Redis is
 * away rather than queueing; subscriptions are restored by ioredis when it comes back. Channels
 * are the deployment's own (prefixed by its namespace): other deployments on this Redis never hear them.
 */
@Injectable()
export class RedisPubSub implements OnModuleDestroy {
  private readonly logger = new Logger('RedisPubSub');
  private readonly publisher: Redis | Cluster;
  private readonly subscriber: Redis | Cluster;
  private readonly handlers = new Map<string, Array<(message: string) => void>>();
  private warned = false;

  constructor(
    @Inject(ConfigService) config: ConfigService<Environment, true>,
    private readonly namespace: DeploymentNamespace,
  ) {
    const settings = redisSettings(config);
    const options = {
      lazyConnect: false,
      connectTimeout: 2_000,
      commandTimeout: config.get('REDIS_COMMAND_TIMEOUT_MS', { infer: true }),
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
    };
    this.publisher = createRedisConnection(settings, { ...options, enableOfflineQueue: false });
    // Plain PUBLISH reaches the subscribers of every node of a cluster, whatever the channel's slot.
    this.subscriber = createRedisConnection(settings, { ...options, commandTimeout: undefined });
    for (const connection of [this.publisher, this.subscriber]) {
      connection.on('error', (error: Error) => this.warnOnce(error));
      connection.on('ready', () => (this.warned = false));
    }
    this.subscriber.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel.slice(this.namespace.prefix.length + 1)) ?? []) handler(message);
    });
  }

  async publish(channel: string, message: string): Promise<void> {
    try {
      await this.publisher.publish(this.namespace.key(channel), message);
    } catch (error) {
      this.warnOnce(error as Error);
    }
  }

  /** Resolves when Redis answers a PING (for the readiness probe). */
  async ping(): Promise<void> {
    await this.publisher.ping();
  }

  subscribe(channel: string, handler: (message: string) => void): void {
    const handlers = this.handlers.get(channel) ?? [];
    handlers.push(handler);
    this.handlers.set(channel, handlers);
    if (handlers.length === 1) this.subscriber.subscribe(this.namespace.key(channel)).catch((error: Error) => this.warnOnce(error));
  }

  async onModuleDestroy(): Promise<void> {
    this.publisher.disconnect();
    this.subscriber.disconnect();
    return Promise.resolve();
  }

  private warnOnce(error: Error): void {
    if (this.warned) return;
    this.warned = true;
    this.logger.warn(`Redis pub/sub unavailable: ${error.message}`);
  }
}

@Global()
@Module({
  providers: [
    {
      provide: DeploymentNamespace,
      inject: [PrismaService],
      useFactory: (prisma: PrismaService) => readDeploymentNamespace((sql) => prisma.$queryRawUnsafe<DatabaseIdentity[]>(sql)),
    },
    RedisPubSub,
  ],
  exports: [RedisPubSub, DeploymentNamespace],
})
export class RedisModule {}
