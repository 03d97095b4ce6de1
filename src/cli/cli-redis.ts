import { Global, Injectable, Module, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import Redis from 'ioredis';
import type { Environment } from '@/config/environment';
import { PrismaService } from '@/infra/prisma/prisma.service';
import { DatabaseIdentity, DeploymentNamespace, readDeploymentNamespace } from '@/infra/redis/deployment-namespace';
import { shownUrl } from './cli-errors';
import { CliFailure } from './cli-output';

/**
 * The Redis connection of a command, opened on first use only: commands that do not need Redis
 * run while it is down. A command fails at once with one line when Redis does not answer, rather
 * than retrying as the long-running processes do.
 */
@Injectable()
export class CliRedis implements OnModuleDestroy {
  private connection?: Promise<Redis>;
  private client?: Redis;

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

  open(): Promise<Redis> {
    this.connection ??= this.connect();
    return this.connection;
  }

  private async connect(): Promise<Redis> {
    const client = new Redis(this.url, {
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
      throw new CliFailure(`cannot reach Redis at ${shownUrl(this.url)} (${(reason ?? (error as Error)).message})`);
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
