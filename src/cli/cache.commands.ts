import { createKeyv } from '@keyv/redis';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createCache } from 'cache-manager';
import { Cluster } from 'ioredis';
import { Command, CommandRunner, Option } from 'nest-commander';
import type { Environment } from '@/config/environment';
import { CacheStore, EPOCH_TAG } from '@/infra/cache/cache-store.service';
import { ReadReplicas } from '@/infra/prisma/read-replicas';
import { keyvConnection } from '@/infra/redis/redis-connection';
import { CliRedis } from './cli-redis';
import { CliFailure, report } from '@/common/cli/cli-output';

/** How many keys one SCAN step asks for, and one UNLINK removes. */
const BATCH = 500;

@Command({
  name: 'cache:flush',
  description: "empty this database's response cache in Redis (queues and other data stay)",
})
export class CacheFlushCommand extends CommandRunner {
  constructor(
    private readonly redis: CliRedis,
    private readonly config: ConfigService<Environment, true>,
    private readonly replicas: ReadReplicas,
  ) {
    super();
  }

  async run(_params: string[], options: { json?: boolean }): Promise<void> {
    const client = await this.redis.open();
    // The cache's keys are the deployment's (see DeploymentNamespace), so other deployments sharing
    // this Redis, and BullMQ's keys, are left alone.
    const { prefix: namespace } = await this.redis.namespace();
    let removed = 0;
    // A cluster's keys are spread over its primaries: each is scanned, and keys of different
    // slots cannot go in one UNLINK.
    const cluster = client instanceof Cluster ? client : undefined;
    for (const node of cluster ? cluster.nodes('master') : [client as Exclude<typeof client, Cluster>]) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${namespace}::*`, 'COUNT', BATCH);
        cursor = next;
        if (keys.length === 0) continue;
        removed += cluster ? (await Promise.all(keys.map((key) => cluster.unlink(key)))).reduce((sum, count) => sum + count, 0) : await node.unlink(...keys);
      } while (cursor !== '0');
    }
    // api replicas keep local copies of recent entries, checked against the tag versions on
    // every read: a fresh epoch makes all of them stale, as after a Redis outage.
    await this.bumpEpoch(namespace);
    report(options, { namespace, removedKeys: removed }, () => [`Removed ${removed} cache key(s) of ${namespace}; every cached response is retired.`]);
  }

  private async bumpEpoch(namespace: string): Promise<void> {
    const keyv = createKeyv(
      keyvConnection(this.redis.settings, { connectTimeout: 3_000, reconnectStrategy: false }, true),
      { namespace, throwOnConnectError: true, throwOnErrors: true },
    );
    const cache = createCache({ stores: [keyv] });
    try {
      const bumped = await new CacheStore(cache, this.config, undefined, this.replicas).bump([EPOCH_TAG]);
      if (!bumped) throw new CliFailure('cache keys removed, but the cache epoch could not be renewed: run cache:flush again');
    } finally {
      await cache.disconnect().catch(() => undefined);
    }
  }

  @Option({ flags: '--json', description: 'print the result as JSON' })
  parseJson(): boolean {
    return true;
  }
}

@Module({ providers: [CacheFlushCommand] })
export class CacheCommandsModule {}
