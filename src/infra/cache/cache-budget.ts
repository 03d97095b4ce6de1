import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Cluster, Redis } from 'ioredis';
import type { Environment } from '@/config/environment';
import { DeploymentNamespace } from '@/infra/redis/deployment-namespace';
import { createFailFastRedisConnection } from '@/infra/redis/redis-connection';

/**
 * Books an entry written to Redis against the byte budget and answers the entries to delete to
 * stay within it: those that expire soonest (all entries live equally long, so the oldest
 * written). Entries whose TTL already removed them are forgotten on the way.
 * KEYS: index (sorted set of entry keys by expiry), sizes (hash), total (bytes booked).
 * ARGV: entry key, its bytes, its expiry (ms), now (ms), budget (bytes), ttl of the bookkeeping (ms).
 */
const ADMIT_SCRIPT = `
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then redis.call('DECRBY', KEYS[3], old) end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
local total = redis.call('INCRBY', KEYS[3], ARGV[2])
local function forget(key)
  total = redis.call('DECRBY', KEYS[3], redis.call('HGET', KEYS[2], key) or 0)
  redis.call('HDEL', KEYS[2], key)
  redis.call('ZREM', KEYS[1], key)
end
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[4], 'LIMIT', 0, 500)) do forget(key) end
local evicted = {}
while total > tonumber(ARGV[5]) do
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0)
  if #oldest == 0 then break end
  forget(oldest[1])
  table.insert(evicted, oldest[1])
end
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ARGV[6]) end
return evicted
`;

/**
 * The response cache's byte budget in Redis (CACHE_REDIS_MAX_BYTES), shared by every replica:
 * Redis also holds the queues and the rate limits (with `noeviction`, as BullMQ requires), so a
 * flood of distinct URLs must not be able to fill it. Sizes are the serialised entries plus their
 * keys; the bookkeeping is a sorted set and a hash beside the entries.
 */
@Injectable()
export class RedisCacheBudget implements OnModuleDestroy {
  private readonly redis?: Redis | Cluster;
  private readonly budgetBytes: number;
  private readonly keys: [string, string, string];

  constructor(
    @Inject(ConfigService) config: ConfigService<Environment, true>,
    namespace: DeploymentNamespace,
  ) {
    this.budgetBytes = config.get('CACHE_REDIS_MAX_BYTES', { infer: true });
    // Beside the entries, under the same prefix, so that cache:flush removes the bookkeeping with
    // them; one hash tag, so that the script's three keys share a slot in Redis Cluster.
    this.keys = ['index', 'sizes', 'total'].map((part) => `${namespace.prefix}::{budget}:${part}`) as [string, string, string];
    if (!config.get('CACHE_ENABLED', { infer: true })) return;
    this.redis = createFailFastRedisConnection(config);
    this.redis.defineCommand('conduitCacheAdmit', { numberOfKeys: 3, lua: ADMIT_SCRIPT });
    // Failures surface as rejected calls, which CacheStore counts; the event needs a listener all the same.
    this.redis.on('error', () => undefined);
  }

  /** Books `bytes` for `key`, living `ttlMs`; answers the keys to delete to stay within the budget. */
  async admit(key: string, bytes: number, ttlMs: number): Promise<string[]> {
    if (!this.redis) return [];
    const now = Date.now();
    return (this.redis as unknown as { conduitCacheAdmit(...args: Array<string | number>): Promise<string[]> }).conduitCacheAdmit(
      ...this.keys,
      key,
      bytes,
      now + ttlMs,
      now,
      this.budgetBytes,
      2 * ttlMs + 60_000,
    );
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }
}
