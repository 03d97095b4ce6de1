import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Queue } from 'bullmq';
import { startThrowawayRedis, stopAll } from '../helpers/child-processes';
import type { ArticleBody, TestUser } from '../helpers/factories';
import { TestDatabase, waitFor } from '../helpers/worker';
import type {
  ArticleDocument,
  ArticleSearchResult,
  FeatureDocumentSearchResult,
  IndexedVersion,
  SearchEngine,
  SyncOperation,
  SyncOutcome,
  TrendingTag,
} from '@/modules/search/search-engine';

/**
 * The sync of the `search` queue, run for real: the api writes, database triggers write the
 * outbox events, the worker's relay hands them to BullMQ on a Redis of this suite's own, and the
 * search processor writes to the engine. The engine is the one part that is not real (there is no
 * Elasticsearch here): an in-memory index with Elasticsearch's external-version rule, which can
 * be told to fail, so that the suite can show retries lose nothing.
 */
class InMemoryIndex implements SearchEngine {
  readonly kind = 'elasticsearch';
  readonly syncsDocuments = true;
  readonly indexName = 'in-memory';
  readonly documents = new Map<number, { version: bigint; document: ArticleDocument }>();
  /** Versions of deleted documents (Elasticsearch keeps them as tombstones), so an older write cannot resurrect one. */
  readonly tombstones = new Map<number, bigint>();
  readonly writes: SyncOperation[][] = [];
  failures = 0;
  failedWrites = 0;

  write(operations: SyncOperation[]): Promise<SyncOutcome[]> {
    if (this.failures > 0) {
      this.failures -= 1;
      this.failedWrites += 1;
      return Promise.resolve(operations.map((operation) => ({ id: operation.id, result: 'failed' as const, error: 'index unavailable' })));
    }
    this.writes.push(operations);
    return Promise.resolve(
      operations.map((operation): SyncOutcome => {
        const current = this.documents.get(operation.id)?.version ?? this.tombstones.get(operation.id) ?? -1n;
        if (operation.version <= current) return { id: operation.id, result: 'stale' };
        if (operation.kind === 'index') {
          this.documents.set(operation.id, { version: operation.version, document: operation.document });
        } else {
          this.documents.delete(operation.id);
          this.tombstones.set(operation.id, operation.version);
        }
        return { id: operation.id, result: 'written' };
      }),
    );
  }

  countDocuments(): Promise<number> {
    return Promise.resolve(this.documents.size);
  }

  indexedVersions(): AsyncIterable<IndexedVersion[]> {
    const page = [...this.documents].map(([id, { version }]) => ({ id, version })).sort((a, b) => a.id - b.id);
    return (async function* () {
      yield await Promise.resolve(page);
    })();
  }

  reachable(): Promise<boolean> {
    return Promise.resolve(this.failures === 0);
  }

  searchArticles(): Promise<ArticleSearchResult> {
    throw new Error('not used');
  }

  trendingTags(): Promise<TrendingTag[]> {
    throw new Error('not used');
  }

  rebuild(): Promise<{ index: string; documents: number }> {
    throw new Error('not used');
  }

  searchFeatureDocuments(): Promise<FeatureDocumentSearchResult> {
    throw new Error('not used');
  }

  writeFeatureDocuments(): Promise<SyncOutcome[]> {
    throw new Error('not used');
  }
}

describe('Search sync through the outbox and the search queue', () => {
  const index = new InMemoryIndex();
  const database = new TestDatabase();
  let app: NestExpressApplication;
  let worker: INestApplicationContext;
  let factories: typeof import('../helpers/factories');
  let maintenance: import('@/modules/search/search-maintenance.service').SearchMaintenance;
  let repository: import('@/modules/articles/article-documents').ArticleDocuments;
  let searchQueue: Queue;
  let alice: TestUser;
  let bob: TestUser;

  /** Waits until the worker has completed every search event written so far. */
  async function drained(): Promise<void> {
    await waitFor(
      'the search events to be processed',
      async () => (await database.outbox(`queue = 'search' AND completed_at IS NULL`)).length === 0,
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  }

  /** The index holds exactly the published articles, each at its current version and content. */
  async function expectIndexAgreesWithDatabase(): Promise<void> {
    const expected = new Map<number, { version: bigint; document: ArticleDocument }>();
    for await (const page of repository.publishedDocuments()) for (const entry of page) expected.set(entry.document.id, entry);
    expect(new Map([...index.documents].sort(([a], [b]) => a - b))).toEqual(new Map([...expected].sort(([a], [b]) => a - b)));
  }

  beforeAll(async () => {
    const redis = await startThrowawayRedis();
    // Set before the modules load: configuration is read once, when the config module is imported.
    Object.assign(process.env, {
      REDIS_URL: redis.url,
      OUTBOX_POLL_MS: '50',
      JOB_ATTEMPTS: '6',
      JOB_BACKOFF_MS: '50',
      MAIL_DIR: mkdtempSync(path.join(os.tmpdir(), 'conduit-search-mail-')),
    });
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded after the environment above is set */
    const { Test } = require('@nestjs/testing') as typeof import('@nestjs/testing');
    const { getQueueToken } = require('@nestjs/bullmq') as typeof import('@nestjs/bullmq');
    const { WorkerModule } = require('@/worker.module') as typeof import('@/worker.module');
    const { SEARCH_ENGINE } = require('@/modules/search/search-engine') as typeof import('@/modules/search/search-engine');
    const { SearchMaintenance } = require('@/modules/search/search-maintenance.service') as typeof import('@/modules/search/search-maintenance.service');
    const { ArticleDocuments } = require('@/modules/articles/article-documents') as typeof import('@/modules/articles/article-documents');
    const { createTestApp, resetDatabase } = require('../helpers/app') as typeof import('../helpers/app');
    factories = require('../helpers/factories') as typeof import('../helpers/factories');
    /* eslint-enable @typescript-eslint/no-require-imports */

    app = await createTestApp();
    await resetDatabase(app);
    const workerModule = await Test.createTestingModule({ imports: [WorkerModule] }).overrideProvider(SEARCH_ENGINE).useValue(index).compile();
    workerModule.useLogger(['error']);
    worker = await workerModule.init();
    maintenance = worker.get(SearchMaintenance);
    repository = worker.get(ArticleDocuments);
    searchQueue = worker.get<Queue>(getQueueToken('search'), { strict: false });
    [alice, bob] = await Promise.all(['alice', 'bob'].map((name) => factories.registerUser(app, { username: factories.unique(name) })));
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await app?.close();
    await database.pool.end();
    await stopAll();
  });

  it('create, update, retitle, favorite, retag, delete and an author’s rename end with the index agreeing with PostgreSQL', async () => {
    const { api, auth, createArticle, favorite } = factories;
    const [first, second, third] = [
      await createArticle(app, alice, { title: 'First dragon', tagList: ['dragons'] }),
      await createArticle(app, alice, { title: 'Second dragon' }),
      await createArticle(app, bob, { title: 'Third dragon' }),
    ];
    await drained();
    await expectIndexAgreesWithDatabase();
    expect(index.documents.size).toBe(3);

    await api(app).put(`/api/articles/${first.slug}`).set('Authorization', auth(alice.token)).send({ article: { body: 'New body' } }).expect(200);
    const retitled = await api(app).put(`/api/articles/${second.slug}`).set('Authorization', auth(alice.token)).send({ article: { title: 'Renamed dragon', tagList: ['wings'] } }).expect(200);
    await favorite(app, bob, first.slug);
    await api(app).delete(`/api/articles/${third.slug}`).set('Authorization', auth(bob.token)).expect(204);
    const newName = factories.unique('alicia');
    await api(app).put('/api/user').set('Authorization', auth(alice.token)).send({ user: { username: newName, image: 'https://example.test/a.png' } }).expect(200);
    await drained();

    await expectIndexAgreesWithDatabase();
    const documents = [...index.documents.values()].map((entry) => entry.document);
    expect(documents.map((document) => document.slug).sort()).toEqual([first.slug, (retitled.body.article as ArticleBody).slug].sort());
    expect(documents.find((document) => document.slug === first.slug)).toMatchObject({ body: 'New body', favoritesCount: 1, tags: ['dragons'] });
    expect(documents.find((document) => document.title === 'Renamed dragon')).toMatchObject({ tags: ['wings'] });
    for (const document of documents) expect(document.author).toMatchObject({ username: newName, image: 'https://example.test/a.png' });
    expect(await maintenance.check()).toMatchObject({ databaseCount: 2, indexCount: 2, missing: 0, stale: 0, extra: 0, repaired: 0, inSync: true });
  }, 60_000);

  it('retries failed index writes until they succeed, losing nothing', async () => {
    const { api, auth, createArticle } = factories;
    index.failures = 3;
    const created: ArticleBody[] = [];
    for (let count = 0; count < 3; count += 1) created.push(await createArticle(app, bob, { title: `Retried ${factories.unique('r')}` }));
    await api(app).put(`/api/articles/${created[0].slug}`).set('Authorization', auth(bob.token)).send({ article: { description: 'changed while failing' } }).expect(200);
    await drained();

    expect(index.failedWrites).toBe(3);
    await expectIndexAgreesWithDatabase();
    expect([...index.documents.values()].find((entry) => entry.document.slug === created[0].slug)?.document.description).toBe('changed while failing');
    expect(await searchQueue.getFailedCount()).toBe(0);
    const completed = await searchQueue.getCompleted(0, 1_000);
    expect(completed.some((job) => job.attemptsMade > 0)).toBe(true);
  }, 60_000);

  it('writes a burst of concurrent changes in bulk, and search:check finds no drift afterwards', async () => {
    const { api, auth, createArticle, registerUser, unique } = factories;
    const fans = await Promise.all(Array.from({ length: 4 }, () => registerUser(app, { username: unique('fan') })));
    const burst = await Promise.all(Array.from({ length: 12 }, (_, n) => createArticle(app, n % 2 ? alice : bob, { title: `Burst ${n} ${unique('b')}`, tagList: ['burst'] })));
    const writesBefore = index.writes.length;
    await Promise.all([
      ...burst.slice(0, 11).flatMap((article) => fans.map((fan) => api(app).post(`/api/articles/${article.slug}/favorite`).set('Authorization', auth(fan.token)).expect(200))),
      ...burst.slice(0, 6).map((article, n) =>
        api(app)
          .put(`/api/articles/${article.slug}`)
          .set('Authorization', auth(n % 2 ? alice.token : bob.token))
          .send({ article: { body: `Edited ${n}` } })
          .expect(200),
      ),
      api(app).delete(`/api/articles/${burst[11].slug}`).set('Authorization', auth(alice.token)).expect(204),
    ]);
    await drained();

    await expectIndexAgreesWithDatabase();
    const burstWrites = index.writes.slice(writesBefore);
    expect(Math.max(...burstWrites.map((write) => write.length))).toBeGreaterThan(1);
    const report = await maintenance.check();
    expect(report).toMatchObject({ missing: 0, stale: 0, extra: 0, repaired: 0, inSync: true });
    expect(report.indexCount).toBe(report.databaseCount);
  }, 90_000);

  it('search:check finds missing, stale and extra documents and repairs them', async () => {
    await drained();
    const [missing, stale] = [...index.documents.keys()];
    const staleEntry = index.documents.get(stale)!;
    index.documents.delete(missing);
    index.documents.set(stale, { version: staleEntry.version - 1n, document: { ...staleEntry.document, title: 'Outdated' } });
    index.documents.set(999_999, { version: 1n, document: { ...staleEntry.document, id: 999_999 } });

    const report = await maintenance.check();
    expect(report).toMatchObject({ missing: 1, stale: 1, extra: 1, repaired: 3, inSync: true });
    expect(report.indexCount).toBe(report.databaseCount);
    await expectIndexAgreesWithDatabase();
    expect(await maintenance.check()).toMatchObject({ missing: 0, stale: 0, extra: 0, repaired: 0, inSync: true });
  }, 60_000);

  it('lets no older write overwrite a newer document, even when an old event arrives late', async () => {
    const { api, auth, createArticle } = factories;
    const article = await createArticle(app, alice, { title: `Versioned ${factories.unique('v')}` });
    await api(app).put(`/api/articles/${article.slug}`).set('Authorization', auth(alice.token)).send({ article: { body: 'latest' } }).expect(200);
    await drained();
    const id = [...index.documents.values()].find((entry) => entry.document.slug === article.slug)!.document.id;
    const current = index.documents.get(id)!;
    // A stale write, as an old bulk request retried late would make it.
    const [outcome] = await index.write([{ kind: 'index', id, version: current.version - 1n, document: { ...current.document, body: 'old' } }]);
    expect(outcome.result).toBe('stale');
    // An old event replayed: the processor reads the current row, so it writes nothing older.
    await searchQueue.add('index-article', { articleId: id, version: 1 }, { jobId: 'replayed-old-event' });
    await waitFor('the replayed job', async () => (await searchQueue.getJob('replayed-old-event'))?.finishedOn !== undefined, { timeoutMs: 15_000 });
    expect(index.documents.get(id)?.document.body).toBe('latest');
    await expectIndexAgreesWithDatabase();
  }, 60_000);
});
