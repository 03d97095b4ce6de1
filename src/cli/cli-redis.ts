import { Global, Injectable, Module, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Cluster, Redis } from 'ioredis';
import type { Environment } from '@/config/environment';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { DatabaseIdentity, DeploymentNamespace, readDeploymentNamespace } from '@/infra/redis/deployment-namespace';
import { createRedisConnection, describeTopology, RedisSettings, redisSettings, redisTopology } from '@/infra/redis/redis-connection';
import { shownUrl } from './cli-errors';
import { CliFailure } from '@/common/cli/cli-output';

/**
 * The Redis connection of a command, opened on first use only: commands that do not need Redis
 * run while it is down. A command fails at once with one line when Redis does not answer, rather
 * than retrying as the long-running processes do.
 */
@Injectable()
export class CliRedis implements OnModuleDestroy {
  private connection?: Promise<Redis | Cluster>;
  private client?: Redis | Cluster;

  constructor(
    private readonly config: ConfigService<Environment, true>,
    private readonly prisma: PrismaService,
  ) {}

  /** The namespace of this database's keys in Redis, the same as the api's and the worker's. */
  namespace(): Promise<DeploymentNamespace> {
    return readDeploymentNamespace((sql) => this.prisma.$queryRawUnsafe<DatabaseIdentity[]>(sql));
  }

  get url(): string {
    return this.config.get('REDIS_URL', { infer: true });
  }

  /** Where Redis is (one node, Sentinel or Cluster), for other clients of the same Redis. */
  get settings(): RedisSettings {
    return redisSettings(this.config);
  }

  open(): Promise<Redis | Cluster> {
    this.connection ??= this.connect();
    return this.connection;
  }

  private async connect(): Promise<Redis | Cluster> {
    const client = createRedisConnection(this.settings, {
      lazyConnect: true,
      connectTimeout: 3_000,
      commandTimeout: 30_000,
      // BullMQ needs this on connections it is given; failures still surface through connect().
      maxRetriesPerRequest: null,
      retryStrategy: () => null,
    });
    // The first connection error says why (ECONNREFUSED, ENOTFOUND, NOAUTH...); connect() only says "closed".
    let reason: Error | undefined;
    client.on('error', (error: Error) => (reason ??= error));
    this.client = client;
    try {
      await client.connect();
      await client.ping();
    } catch (error) {
      client.disconnect();
      throw new CliFailure(`cannot reach Redis at ${redisTopology(this.settings).kind === 'node' ? shownUrl(this.url) : describeTopology(redisTopology(this.settings))} (${(reason ?? (error as Error)).message})`);
    }
    return client;
  }

  async onModuleDestroy(): Promise<void> {
    if (this.client?.status === 'ready') await this.client.quit().catch(() => undefined);
    else this.client?.disconnect();
  }
}

@Global()
@Module({
  providers: [CliRedis],
  exports: [CliRedis],
})
export class CliRedisModule {}
