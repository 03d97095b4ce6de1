import { Injectable, OnModuleInit } from '@nestjs/common';
import { RedisPubSub } from '@/infra/redis/redis.module';
import { CacheStore } from './cache-store.service';
import { LocalEntries } from './local-entries';

/** Within the deployment's namespace (RedisPubSub prefixes every channel). */
const CHANNEL = 'cache:invalidate';

/**
 * What writes call after they commit: retires every cached response that depends on the tags
 * (each feature's `<feature>.cache-tags.ts` says which write bumps what) and tells the other api replicas to drop their
 * local copies.
 */
@Injectable()
export class CacheInvalidator implements OnModuleInit {
  constructor(
    private readonly store: CacheStore,
    private readonly local: LocalEntries,
    private readonly pubsub: RedisPubSub,
  ) {}

  onModuleInit(): void {
    this.pubsub.subscribe(CHANNEL, (message) => {
      const tags = parseTags(message);
      if (tags) this.local.dropTagged(tags);
    });
  }

  async invalidate(...tags: string[]): Promise<void> {
    const distinct = [...new Set(tags)];
    if (!this.store.enabled || distinct.length === 0) return;
    this.local.dropTagged(distinct);
    await this.store.bump(distinct);
    await this.pubsub.publish(CHANNEL, JSON.stringify(distinct));
  }
}

function parseTags(message: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(message);
    return Array.isArray(parsed) && parsed.every((tag) => typeof tag === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}
