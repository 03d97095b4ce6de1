import { CACHE_MANAGER } from '@nestjs/cache-manager';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Cache } from 'cache-manager';
import { randomUUID } from 'node:crypto';
import type { Environment } from '@/config/environment';
import { ReadReplicas } from '@/infra/prisma/read-replicas';
import { parseSortableWalPosition, sortableWalPosition, UNREPLAYABLE, WalPosition } from '@/infra/prisma/wal-position';
import { RedisCacheBudget } from './cache-budget';

/** A cache call that has not answered by then is treated as a miss: Redis must never slow the API. */
const CALL_TIMEOUT_MS = 250;
/**
 * Failed reads in a row that mean an outage. One late answer is not one: under heavy load the
 * event loop itself can make a healthy Redis look slow.
 */
const FAILURES_FOR_OUTAGE = 3;
/** While Redis is failing, the cache is skipped, and retried at most this often. */
const RETRY_AFTER_MS = 1_000;
/** Part of every entry's dependencies; bumped after an outage, it retires everything cached before. */
export const EPOCH_TAG = 'epoch';

export interface CachedEntry<T> {
  value: T;
  /** The version of each dependency tag when the value was built. */
  versions: Record<string, string | null>;
}

class CacheTimeout extends Error {}

/**
 * A new tag version: random, and, with read replicas, led by the primary's WAL position when the
 * tag was bumped (after the write it follows had committed). See fillPosition.
 */
export function newTagVersion(position: WalPosition | undefined): string {
  return position === undefined ? randomUUID() : `${sortableWalPosition(position)}:${randomUUID()}`;
}

/**
 * How far a replica must have replayed to build an entry valid under `versions`: past the
 * position of each tag's last bump, so that no replica fills the cache, under the new versions,
 * with what an invalidation just retired (the entry would then be served as current until the
 * next write or its TTL). A tag never bumped asks nothing; a version without a position (bumped
 * while the primary did not say where it stood, or before replicas were configured) asks for the
 * primary. Simple and exact: the fill goes to a replica only once it is known to hold those writes.
 */
export function fillPosition(versions: Record<string, string | null>): WalPosition {
  let needed = 0n;
  for (const version of Object.values(versions)) {
    if (version === null) continue;
    const position = parseSortableWalPosition(/^([0-9a-f]{16}):/.exec(version)?.[1]) ?? UNREPLAYABLE;
    if (position > needed) needed = position;
  }
  return needed;
}

/**
 * The Redis cache behind cache-manager, made safe to depend on: every call is bounded by a short
 * timeout and failures turn into misses. An outage is logged once, not per request; while it
 * lasts the cache is bypassed, and when Redis answers again the epoch tag is bumped before anything
 * is read, since invalidations made during the outage were lost.
 *
 * Entries are validated by tag versions rather than deleted: `tagVersions` is read before the
 * database, and a write sets each tag it affects to a fresh random version, so an entry built from
 * data older than a write can never match the versions after it.
 */
@Injectable()
export class CacheStore {
  private readonly logger = new Logger('Cache');
  private readonly ttlMs: number;
  private readonly tagTtlMs: number;
  readonly enabled: boolean;
  /** Response cache lookups since start, by outcome (reported as metrics). */
  readonly stats = { hits: 0, misses: 0, unavailable: 0, tooLarge: 0 };
  /** Entries larger than this (serialised) are not cached: each would take a large part of the budget. */
  readonly entryMaxBytes: number;
  private failingSince?: number;
  private failuresInARow = 0;
  /** Reads that cache-manager answered with misses because Redis failed (it only tells by an event). */
  private failedReadEvents = 0;
  private lastAttempt = 0;

  constructor(
    @Inject(CACHE_MANAGER) private readonly cache: Cache,
    config: ConfigService<Environment, true>,
    /** Absent in the command line's one-off use (cache:flush), which never writes entries. */
    @Optional() private readonly budget?: RedisCacheBudget,
    /** Stamps versions with the primary's position when replicas are configured (see fillPosition). */
    @Optional() private readonly replicas?: ReadReplicas,
  ) {
    this.enabled = config.get('CACHE_ENABLED', { infer: true });
    this.entryMaxBytes = config.get('CACHE_ENTRY_MAX_BYTES', { infer: true });
    this.ttlMs = config.get('CACHE_TTL_SECONDS', { infer: true }) * 1000;
    // Tags outlive every entry, so that an expired tag can never make an old entry look current.
    this.tagTtlMs = 2 * this.ttlMs + 60_000;
    // cache-manager turns failed reads into misses and only reports them as events.
    for (const event of ['get', 'mget'] as const) {
      cache.on(event, ({ error }: { error?: unknown }) => {
        if (error) this.failedReadEvents += 1;
      });
    }
  }

  /**
   * The current version of each tag (null for a tag never bumped) and the entries stored under
   * `keys` (undefined where absent), in one round trip. Undefined when the cache is unusable.
   */
  async lookup(
    keys: string[],
    tags: string[],
  ): Promise<{ versions: Record<string, string | null>; entries: Array<CachedEntry<unknown> | undefined> } | undefined> {
    const allTags = [EPOCH_TAG, ...tags];
    const values = await this.call(() => this.cache.mget<unknown>([...allTags.map(tagKey), ...keys.map(entryKey)]));
    if (!values) return undefined;
    const versions = Object.fromEntries(allTags.map((tag, index) => [tag, (values[index] as string | undefined) ?? null]));
    return { versions, entries: values.slice(allTags.length) as Array<CachedEntry<unknown> | undefined> };
  }

  /**
   * The bytes `entry` takes in Redis under `key` (as cache-manager serialises it, plus the key), or
   * undefined when it is larger than CACHE_ENTRY_MAX_BYTES and must not be cached.
   */
  measure(key: string, entry: CachedEntry<unknown>): number | undefined {
    const bytes = Buffer.byteLength(JSON.stringify(entry)) + 3 * Buffer.byteLength(entryKey(key));
    if (bytes <= this.entryMaxBytes) return bytes;
    this.stats.tooLarge += 1;
    return undefined;
  }

  /**
   * Stores `entry` of `bytes` (see `measure`) and books it against the Redis budget, deleting the
   * oldest entries when the budget is exceeded.
   */
  async write<T>(key: string, entry: CachedEntry<T>, bytes: number): Promise<void> {
    const stored = entryKey(key);
    await this.call(async () => {
      await this.cache.set(stored, entry, this.ttlMs);
      const evicted = (await this.budget?.admit(stored, bytes, this.ttlMs)) ?? [];
      if (evicted.length > 0) await this.cache.mdel(evicted);
    });
  }

  /** Retires every entry that depends on any of `tags`. */
  async bump(tags: string[]): Promise<boolean> {
    if (!this.enabled || tags.length === 0) return true;
    const version = await this.newVersion();
    const done = await this.call(
      () => this.cache.mset(tags.map((tag) => ({ key: tagKey(tag), value: version, ttl: this.tagTtlMs }))),
      'invalidation',
    );
    return done !== undefined;
  }

  /**
   * Runs a cache call with a deadline; undefined on failure, timeout, or while Redis is down.
   * A failed invalidation starts an outage at once: entries it should have retired may still be
   * in Redis, and only the epoch bump on recovery retires them.
   */
  private async call<T>(operation: () => Promise<T>, kind: 'best-effort' | 'invalidation' = 'best-effort'): Promise<T | undefined> {
    if (!this.enabled) return undefined;
    if (this.failingSince !== undefined) {
      // An invalidation never waits for the retry window: the write it follows must not stay hidden.
      if (kind !== 'invalidation' && Date.now() - this.lastAttempt < RETRY_AFTER_MS) return undefined;
      this.lastAttempt = Date.now();
      if (!(await this.recover())) return undefined;
    }
    try {
      const failedBefore = this.failedReadEvents;
      const result = await withTimeout(operation());
      // A read that "succeeded" with misses because Redis failed must not be taken for an answer.
      if (this.failedReadEvents !== failedBefore) throw new Error('Redis read failed');
      this.failuresInARow = 0;
      return result;
    } catch (error) {
      if (kind === 'invalidation') this.markFailing(error);
      else this.readFailed(error);
      return undefined;
    }
  }

  private async newVersion(): Promise<string> {
    return newTagVersion(await this.replicas?.primaryPosition());
  }

  private readFailed(error: unknown): void {
    this.failuresInARow += 1;
    if (this.failuresInARow >= FAILURES_FOR_OUTAGE) this.markFailing(error);
  }

  private async recover(): Promise<boolean> {
    try {
      await withTimeout(this.cache.set(tagKey(EPOCH_TAG), await this.newVersion(), this.tagTtlMs));
    } catch {
      return false;
    }
    this.logger.log(`Redis cache is back after ${Math.round((Date.now() - this.failingSince!) / 1000)} s; earlier entries retired`);
    this.failingSince = undefined;
    this.failuresInARow = 0;
    return true;
  }

  private markFailing(error: unknown): void {
    if (this.failingSince !== undefined) return;
    this.failingSince = Date.now();
    this.lastAttempt = Date.now();
    const reason = error instanceof CacheTimeout ? `no answer within ${CALL_TIMEOUT_MS} ms` : String((error as Error)?.message ?? error);
    this.logger.warn(`Redis cache unavailable (${reason}); serving from PostgreSQL until it answers again`);
  }
}

function tagKey(tag: string): string {
  return `tag:${tag}`;
}

function entryKey(key: string): string {
  return `entry:${key}`;
}

async function withTimeout<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CacheTimeout()), CALL_TIMEOUT_MS);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
