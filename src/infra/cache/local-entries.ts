import type { CachedEntry } from './cache-store.service';

const MAX_ENTRIES = 1_000;

/**
 * This process's copy of recently used entries, so that a hit costs one small read of tag
 * versions instead of moving the whole response out of Redis. Versions are still checked on every
 * read; the invalidation messages from other replicas only free memory early.
 */
export class LocalEntries {
  private readonly entries = new Map<string, { entry: CachedEntry<unknown>; tags: string[]; expiresAt: number }>();

  /** `ttlMs` bounds a local copy's life exactly as CACHE_TTL_SECONDS bounds the Redis entry's. */
  constructor(private readonly ttlMs = Number.POSITIVE_INFINITY) {}

  get<T>(key: string): CachedEntry<T> | undefined {
    const found = this.entries.get(key);
    if (!found) return undefined;
    if (found.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    // Re-insert to keep the map in least-recently-used order.
    this.entries.delete(key);
    this.entries.set(key, found);
    return found.entry as CachedEntry<T>;
  }

  set(key: string, entry: CachedEntry<unknown>, tags: string[]): void {
    this.entries.delete(key);
    this.entries.set(key, { entry, tags, expiresAt: Date.now() + this.ttlMs });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }

  dropTagged(tags: string[]): void {
    const dropped = new Set(tags);
    for (const [key, { tags: entryTags }] of this.entries) {
      if (entryTags.some((tag) => dropped.has(tag))) this.entries.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
