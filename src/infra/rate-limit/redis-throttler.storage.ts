import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Cluster, Redis } from 'ioredis';
import type { Environment } from '@/config/environment';
import { DeploymentNamespace } from '@/infra/redis/deployment-namespace';
import { createFailFastRedisConnection } from '@/infra/redis/redis-connection';

/** What ThrottlerStorage.increment answers (times in seconds). */
export interface ThrottlerStorageRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/**
 * One atomic step of a fixed-window counter with a block: count the hit (the window starts with
 * the first one), and once the count passes the limit, block the key for the block duration.
 * KEYS: hits, block. ARGV: window ms, limit, block ms. Returns hits, ms left in the window, ms left blocked.
 */
const INCREMENT_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
local blocked = redis.call('PTTL', KEYS[2])
if blocked < 0 and hits > tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
  blocked = tonumber(ARGV[3])
end
return {hits, ttl, blocked}
`;

/**
 * Takes `amount` from a budget of `limit` per window, all or nothing: a refused request uses
 * nothing up. KEYS: used. ARGV: amount, limit, window ms. Returns 1 or 0, and ms left in the window.
 */
const CONSUME_SCRIPT = `
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
if used + tonumber(ARGV[1]) > tonumber(ARGV[2]) then
  return {0, ttl}
end
redis.call('INCRBY', KEYS[1], ARGV[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  ttl = tonumber(ARGV[3])
end
return {1, ttl}
`;

/**
 * Rate-limit counters in Redis, so that every api replica counts against the same limit. A
 * counter that Redis cannot serve in time lets the request through (fail open: an outage of
 * Redis must not take the API down with it); the outage is logged once, and its end once.
 */
@Injectable()
export class RedisThrottlerStorage implements ThrottlerStorage, OnModuleDestroy {
  private readonly logger = new Logger('RateLimit');
  /** Absent when rate limits are off: no connection is opened for nothing. */
  private readonly redis?: Redis | Cluster;
  private failing = false;

  constructor(
    @Inject(ConfigService) config: ConfigService<Environment, true>,
    private readonly namespace: DeploymentNamespace,
  ) {
    if (config.get('RATE_LIMIT_ENABLED', { infer: true }) !== true) return;
    this.redis = createFailFastRedisConnection(config);
    this.redis.defineCommand('conduitRateLimit', { numberOfKeys: 2, lua: INCREMENT_SCRIPT });
    this.redis.defineCommand('conduitConsume', { numberOfKeys: 1, lua: CONSUME_SCRIPT });
    this.redis.on('error', (error: Error) => this.failed(error));
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    // Hash-tagged: the script touches both keys, which Redis Cluster requires on one slot.
    const base = `{${this.namespace.key('rate', throttlerName, key)}}`;
    try {
      if (!this.redis) throw new Error('rate limits are off');
      const [hits, windowMs, blockedMs] = (await (
        this.redis as unknown as { conduitRateLimit(...args: Array<string | number>): Promise<[number, number, number]> }
      ).conduitRateLimit(`${base}:hits`, `${base}:block`, ttl, limit, blockDuration));
      if (this.failing) {
        this.failing = false;
        this.logger.log('Redis answers again: rate limits enforced again');
      }
      return {
        totalHits: hits,
        timeToExpire: Math.ceil(windowMs / 1000),
        isBlocked: blockedMs > 0,
        timeToBlockExpire: blockedMs > 0 ? Math.ceil(blockedMs / 1000) : 0,
      };
    } catch (error) {
      this.failed(error as Error);
      return { totalHits: 0, timeToExpire: Math.ceil(ttl / 1000), isBlocked: false, timeToBlockExpire: 0 };
    }
  }

  /**
   * Takes `amount` from the budget `name:key` of `limit` per `windowMs`. Answers whether it was
   * granted and, when refused, the seconds until the window ends. Off, or with Redis failing, every
   * request is granted, as with the request limits.
   */
  async consume(name: string, key: string, amount: number, limit: number, windowMs: number): Promise<{ granted: boolean; retryAfterSeconds: number }> {
    try {
      if (!this.redis) return { granted: true, retryAfterSeconds: 0 };
      const [granted, leftMs] = await (
        this.redis as unknown as { conduitConsume(...args: Array<string | number>): Promise<[number, number]> }
      ).conduitConsume(this.namespace.key('rate', name, key, 'used'), amount, limit, windowMs);
      return { granted: granted === 1, retryAfterSeconds: Math.max(1, Math.ceil((leftMs > 0 ? leftMs : windowMs) / 1000)) };
    } catch (error) {
      this.failed(error as Error);
      return { granted: true, retryAfterSeconds: 0 };
    }
  }

  onModuleDestroy(): void {
    this.redis?.disconnect();
  }

  private failed(error: Error): void {
    if (this.failing) return;
    this.failing = true;
    this.logger.warn(`Rate limits not enforced while Redis is unavailable: ${error.message}`);
  }
}
