import type { CachedEntry } from './cache-store.service';

const MAX_ENTRIES = 1_000;

/**
 * This process's copy of recently used entries, so that a hit costs one small read of tag
 * versions instead of moving the whole response out of Redis. Versions are still checked on every
 * read; the invalidation messages from other replicas only free memory early. Bounded by count and
 * by bytes (CACHE_LOCAL_MAX_BYTES), the least recently used going first.
 */
export class LocalEntries {
  private readonly entries = new Map<string, { entry: CachedEntry<unknown>; tags: string[]; expiresAt: number; bytes: number }>();
  private totalBytes = 0;

  /**
   * `ttlMs` bounds a local copy's life exactly as CACHE_TTL_SECONDS bounds the Redis entry's;
   * `maxBytes` bounds the serialised size of all copies together.
   */
  constructor(
    private readonly ttlMs = Number.POSITIVE_INFINITY,
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {}

  get<T>(key: string): CachedEntry<T> | undefined {
    const found = this.entries.get(key);
    if (!found) return undefined;
    if (found.expiresAt <= Date.now()) {
      this.remove(key);
      return undefined;
    }
    // Re-insert to keep the map in least-recently-used order.
    this.entries.delete(key);
    this.entries.set(key, found);
    return found.entry as CachedEntry<T>;
  }

  /** Keeps `entry`, of `bytes` serialised; one larger than the whole budget is not kept. */
  set(key: string, entry: CachedEntry<unknown>, tags: string[], bytes = 0): void {
    this.remove(key);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { entry, tags, expiresAt: Date.now() + this.ttlMs, bytes });
    this.totalBytes += bytes;
    while (this.entries.size > MAX_ENTRIES || this.totalBytes > this.maxBytes) this.remove(this.entries.keys().next().value!);
  }

  dropTagged(tags: string[]): void {
    const dropped = new Set(tags);
    for (const [key, { tags: entryTags }] of this.entries) {
      if (entryTags.some((tag) => dropped.has(tag))) this.remove(key);
    }
  }

  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The serialised size of every copy held, in bytes. */
  get bytes(): number {
    return this.totalBytes;
  }

  private remove(key: string): void {
    const found = this.entries.get(key);
    if (!found) return;
    this.entries.delete(key);
    this.totalBytes -= found.bytes;
  }
}
