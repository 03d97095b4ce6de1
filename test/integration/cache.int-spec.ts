import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { ConfigService } from '@nestjs/config';
import type { TestingModule } from '@nestjs/testing';
import Redis from 'ioredis';
import type { Environment } from '@/config/environment';
import { RedisCacheBudget } from '@/infra/cache/cache-budget';
import { CacheInvalidator } from '@/infra/cache/cache-invalidator.service';
import { CachedEntry, CacheStore, EPOCH_TAG } from '@/infra/cache/cache-store.service';
import { LocalEntries } from '@/infra/cache/local-entries';
import { DeploymentNamespace } from '@/infra/redis/deployment-namespace';
import { ArticlesController } from '@/modules/articles/articles.controller';
import { ArticlesModule } from '@/modules/articles/articles.module';
import { ArticlesService } from '@/modules/articles/articles.service';
import type { MultipleArticlesResponseDto } from '@/modules/articles/dto/article-response.dto';
import { resetDatabase } from '../helpers/app';
import { unique } from '../helpers/factories';
import { Rows } from './factories';
import { integrationModule, readThroughCache } from './harness';

/** Polls `check` until it holds (a message between processes takes a moment), or fails after `ms`. */
async function eventually(check: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function entry(value: unknown, versions: Record<string, string | null>): CachedEntry<unknown> {
  return { value, versions };
}

/** The response cache on the real Redis, under the namespace of the tier's database. */
describe('the response cache on Redis', () => {
  let replica: TestingModule;
  let store: CacheStore;
  let redis: Redis;

  beforeAll(async () => {
    replica = await integrationModule([ArticlesModule]);
    await resetDatabase(replica);
    store = replica.get(CacheStore);
    redis = new Redis(replica.get(ConfigService).getOrThrow<string>('REDIS_URL'));
  });

  afterAll(async () => {
    redis.disconnect();
    await replica.close();
  });

  async function write(key: string, value: unknown, versions: Record<string, string | null>): Promise<void> {
    const cached = entry(value, versions);
    await store.write(key, cached, store.measure(key, cached)!);
  }

  it('stores an entry with the tag versions it was built under, and tells a bumped tag', async () => {
    const key = unique('entry');
    const [articles, profiles] = [unique('articles-tag'), unique('profiles-tag')];
    const before = await store.lookup([key], [articles, profiles]);
    expect(before).toEqual({ versions: { [EPOCH_TAG]: expect.any(String), [articles]: null, [profiles]: null }, entries: [undefined] });

    await write(key, { articles: ['a'] }, before!.versions);
    const hit = await store.lookup([key], [articles, profiles]);
    expect(hit?.entries[0]).toEqual(entry({ articles: ['a'] }, before!.versions));
    expect(hit?.versions).toEqual(before!.versions);

    expect(await store.bump([articles])).toBe(true);
    const after = await store.lookup([key], [articles, profiles]);
    expect(after?.versions[articles]).toEqual(expect.any(String));
    expect(after?.versions[profiles]).toBeNull();
    expect(after?.versions[EPOCH_TAG]).toBe(before!.versions[EPOCH_TAG]);
    // The entry is still there; its versions no longer match, which is what retires it.
    expect(after?.entries[0]?.versions).toEqual(before!.versions);

    await store.bump([articles]);
    expect((await store.lookup([], [articles]))?.versions[articles]).not.toBe(after?.versions[articles]);
  });

  it('keeps every key under the deployment namespace', async () => {
    const key = unique('namespaced');
    await write(key, 1, {});
    await store.bump([`tag-of-${key}`]);
    const prefix = replica.get(DeploymentNamespace).prefix;

    const found = await redis.keys(`*${key}*`);

    expect(found.length).toBeGreaterThanOrEqual(2);
    for (const name of found) expect(name.startsWith(`${prefix}:`)).toBe(true);
  });

  it("never shows one deployment's entries or versions to another on the same Redis", async () => {
    const other = await integrationModule([], (builder) =>
      builder.overrideProvider(DeploymentNamespace).useValue(new DeploymentNamespace('conduit_integration_other', randomBytes(6).toString('hex'))),
    );
    try {
      const otherStore = other.get(CacheStore);
      const key = unique('shared-name');
      const tag = unique('shared-tag');
      await write(key, 'ours', {});
      await store.bump([tag]);

      const seen = await otherStore.lookup([key], [tag]);
      expect(seen).toMatchObject({ versions: { [tag]: null }, entries: [undefined] });
      await otherStore.bump([tag]);
      const ours = await store.lookup([key], [tag]);
      expect(ours?.entries[0]?.value).toBe('ours');
      expect(ours?.versions[tag]).not.toBe((await otherStore.lookup([], [tag]))?.versions[tag]);
    } finally {
      await other.close();
    }
  });

  it('retires a tag everywhere: in Redis, in this process and, through pub/sub, in the other replicas', async () => {
    const second = await integrationModule([]);
    try {
      const [tagged, untagged] = [unique('local-tagged'), unique('local-untagged')];
      const tag = unique('retired');
      for (const module of [replica, second]) {
        module.get(LocalEntries).set(tagged, entry('x', {}), [tag], 10);
        module.get(LocalEntries).set(untagged, entry('y', {}), [unique('kept')], 10);
      }
      const before = (await second.get(CacheStore).lookup([], [tag]))?.versions[tag];

      await replica.get(CacheInvalidator).invalidate(tag, tag);

      expect(replica.get(LocalEntries).get(tagged)).toBeUndefined();
      await eventually(() => second.get(LocalEntries).get(tagged) === undefined);
      expect(second.get(LocalEntries).get(untagged)).toEqual(entry('y', {}));
      const after = (await second.get(CacheStore).lookup([], [tag]))?.versions[tag];
      expect(after).toEqual(expect.any(String));
      expect(after).not.toBe(before);
    } finally {
      await second.close();
    }
  });

  it('keeps the entries within the byte budget, deleting the soonest to expire first', async () => {
    const config = replica.get<ConfigService<Environment, true>>(ConfigService);
    const budgetBytes = 65_536;
    const small = { get: (name: keyof Environment, options: { infer: true }) => (name === 'CACHE_REDIS_MAX_BYTES' ? budgetBytes : config.get(name, options)) };
    const namespace = new DeploymentNamespace('conduit_integration_budget', randomBytes(6).toString('hex'));
    const budget = new RedisCacheBudget(small as unknown as ConfigService<Environment, true>, namespace);
    try {
      // A fail-fast connection refuses commands until it is connected (in the api, long before the first write).
      const connection = (budget as unknown as { redis: Redis }).redis;
      if (connection.status !== 'ready') await once(connection, 'ready');
      const [first, second, third] = ['first', 'second', 'third'].map((name) => `${namespace.prefix}::entry:${name}`);

      expect(await budget.admit(first, 30_000, 60_000)).toEqual([]);
      expect(await budget.admit(second, 30_000, 60_000)).toEqual([]);
      expect(await budget.admit(third, 30_000, 60_000)).toEqual([first]);
      // Booking an entry again replaces its size rather than adding to it.
      expect(await budget.admit(third, 30_000, 60_000)).toEqual([]);
      expect(await redis.get(`${namespace.prefix}::{budget}:total`)).toBe('60000');
    } finally {
      budget.onModuleDestroy();
      await redis.del(...['index', 'sizes', 'total'].map((part) => `${namespace.prefix}::{budget}:${part}`));
    }
  });

  it('serves a cached list until a write retires it, then the list as it is now', async () => {
    const rows = new Rows(replica);
    const author = await rows.user();
    const article = await rows.article(author, { tags: [unique('fresh')] });
    const fan = await rows.user();
    const read = (): Promise<MultipleArticlesResponseDto> =>
      readThroughCache(replica, {
        controller: ArticlesController,
        handler: ArticlesController.prototype.list,
        url: `/api/articles?author=${author.username}`,
        call: (request) => replica.get(ArticlesController).list({ author: author.username }, request.viewer),
      });

    expect((await read()).articles[0].favoritesCount).toBe(0);
    // Written behind the application's back: the cache cannot know, and keeps serving what it has.
    await rows.favorite(fan, article);
    expect((await read()).articles[0].favoritesCount).toBe(0);

    await replica.get(ArticlesService).favorite(rows.viewer(await rows.user()), article.slug);
    expect((await read()).articles[0].favoritesCount).toBe(2);
  });
});
