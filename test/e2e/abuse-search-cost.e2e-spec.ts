import type { NestExpressApplication } from '@nestjs/platform-express';
import pg from 'pg';
import request from 'supertest';
import { createTestApp, resetDatabase } from '../helpers/app';
import { ApiProcess, startApi, startThrowawayRedis, stopAll, ThrowawayRedis } from '../helpers/child-processes';
import { api, createArticle, registerUser, unique } from '../helpers/factories';
import { expectErrorShape } from '../helpers/openapi';

jest.setTimeout(120_000);

/**
 * Searches that cost more than any answer is worth: exclusion-only queries are refused; in an api
 * process with tight limits, totals are capped, each client address is rate-limited, searches run
 * a few at a time under their own statement timeout, and the rest of the API answers meanwhile.
 */
describe('Abuse: expensive searches', () => {
  describe('queries with nothing to find', () => {
    let app: NestExpressApplication;

    beforeAll(async () => {
      app = await createTestApp();
      await resetDatabase(app);
      const author = await registerUser(app);
      await createArticle(app, author, { title: 'Caching with latency budgets', body: 'cache latency' });
    });

    afterAll(async () => {
      await app.close();
    });

    it.each([['-cache'], ['-"latency budgets"'], ['-cache -latency'], ['the -cache'], ['or -cache']])('refuses q=%s with 422 in the error shape', async (q) => {
      const response = await api(app).get('/api/search/articles').query({ q });

      expect(response.status).toBe(422);
      expectErrorShape(response, 422);
      expect(response.body.errors.q).toEqual(['must contain a word to find, not only words to exclude (-word)']);
    });

    it('still answers a word with an exclusion', async () => {
      const response = await api(app).get('/api/search/articles').query({ q: 'caching -dragons' });

      expect(response.status).toBe(200);
      expect(response.body.articlesCount).toBe(1);
    });
  });

  describe('an api process with tight search limits', () => {
    let redis: ThrowawayRedis;
    let server: ApiProcess;
    let token: string;
    let address = 0;
    /** A client address of its own (TRUST_PROXY=loopback), so that tests do not share rate-limit counters. */
    const client = (): string => `198.51.100.${++address}`;
    const search = (from: string, q = 'zebra') => request(server.url).get('/api/search/articles').query({ q }).set('X-Forwarded-For', from);

    beforeAll(async () => {
      redis = await startThrowawayRedis();
      server = await startApi({
        REDIS_URL: redis.url,
        TRUST_PROXY: 'loopback',
        RATE_LIMIT_ENABLED: 'true',
        SEARCH_RATE_LIMIT_MAX: '4',
        SEARCH_MAX_CONCURRENT: '1',
        SEARCH_QUEUE_TIMEOUT_MS: '300',
        SEARCH_STATEMENT_TIMEOUT_MS: '1000',
        SEARCH_TOTAL_MAX: '3',
        DATABASE_POOL_MAX: '3',
        DATABASE_POOL_TIMEOUT_MS: '500',
      });
      const name = unique('searcher');
      const registered = await request(server.url).post('/api/users').send({ user: { username: name, email: `${name}@example.test`, password: 'a-long-password' } });
      token = (registered.body as { user: { token: string } }).user.token;
      for (let index = 0; index < 5; index += 1) {
        const created = await request(server.url)
          .post('/api/articles')
          .set('Authorization', `Token ${token}`)
          .send({ article: { title: unique('Zebra crossing'), description: 'zebra', body: 'zebra stripes' } });
        expect(created.status).toBe(201);
      }
    });

    afterAll(async () => {
      await stopAll();
    });

    it('counts matches up to SEARCH_TOTAL_MAX and serves no result past it', async () => {
      const from = client();
      const first = await search(from);
      const past = await request(server.url).get('/api/search/articles').query({ q: 'zebra', offset: 3 }).set('X-Forwarded-For', from);

      expect(first.status).toBe(200);
      expect(first.body.articlesCount).toBe(3);
      expect(first.body.articles).toHaveLength(3);
      expect(past.body.articles).toEqual([]);
    });

    it('answers a client past SEARCH_RATE_LIMIT_MAX with 429 and Retry-After; other clients and routes are unaffected', async () => {
      const from = client();
      for (let index = 0; index < 4; index += 1) expect((await search(from)).status).toBe(200);

      const refused = await search(from);

      expect(refused.status).toBe(429);
      expectErrorShape(refused, 429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect((await request(server.url).get('/api/tags').set('X-Forwarded-For', from)).status).toBe(200);
      expect((await search(client())).status).toBe(200);
    });

    it('runs one search at a time under its own statement timeout, so a flood leaves database connections to GET /api/user', async () => {
      const locker = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await locker.connect();
      try {
        await locker.query('BEGIN');
        // Searches now wait on the lock, as they would behind costly queries, holding their connection.
        await locker.query('LOCK TABLE articles IN ACCESS EXCLUSIVE MODE');
        const slow = search(client());
        await new Promise((resolve) => setTimeout(resolve, 100));
        const flood = Array.from({ length: 6 }, () => search(client()));
        await new Promise((resolve) => setTimeout(resolve, 100));
        // The pool has 3 connections and a 500 ms wait: searches holding them all would make this a 503.
        const user = await request(server.url).get('/api/user').set('Authorization', `Token ${token}`);
        const [slowAnswer, ...queuedAnswers] = await Promise.all([slow, ...flood]);

        expect(user.status).toBe(200);
        for (const queued of queuedAnswers) {
          expect(queued.status).toBe(503);
          expectErrorShape(queued, 503);
          expect(queued.body.errors.search).toEqual(['is busy, try again shortly']);
        }
        expect(slowAnswer.status).toBe(503);
        expect(slowAnswer.body.errors.search).toEqual(['took too long; try more specific words, a tag or an author']);
        expect(slowAnswer.headers['retry-after']).toBeDefined();
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
      expect((await search(client())).status).toBe(200);
    });
  });
});
