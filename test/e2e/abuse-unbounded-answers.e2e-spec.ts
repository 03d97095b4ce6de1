import type { NestExpressApplication } from '@nestjs/platform-express';
import pg from 'pg';
import request from 'supertest';
import { createTestApp, resetDatabase } from '../helpers/app';
import { ApiProcess, startApi, startThrowawayRedis, stopAll, ThrowawayRedis } from '../helpers/child-processes';
import { api, ArticleBody, auth, createArticle, db, registerUser, TestUser, unique } from '../helpers/factories';
import { expectErrorShape, expectMatchesSpec } from '../helpers/openapi';

interface RemoteUser {
  token: string;
}

/** Registers a user through the api process at `url`. */
async function registerRemote(url: string): Promise<RemoteUser> {
  const name = unique('writer');
  const response = await request(url)
    .post('/api/users')
    .send({
      user: {
        username: name,
        email: `${name}@example.test`,
        password: 'a-long-password',
      },
    });
  expect(response.status).toBe(201);
  return { token: (response.body as { user: { token: string } }).user.token };
}

interface Comment {
  id: number;
  body: string;
}

jest.setTimeout(90_000);

describe('Abuse: answers that grow without bound', () => {
  describe('lists', () => {
    let app: NestExpressApplication;
    let author: TestUser;
    let article: ArticleBody;
    /** The comment ids, newest first. */
    let newestFirst: number[];

    beforeAll(async () => {
      app = await createTestApp();
      await resetDatabase(app);
      author = await registerUser(app);
      article = await createArticle(app, author);
      const articleId = (
        await db(app).article.findUniqueOrThrow({
          where: { slug: article.slug },
          select: { id: true },
        })
      ).id;
      const start = Date.now() - 1_000_000;
      await db(app).comment.createMany({
        data: Array.from({ length: 250 }, (_, index) => ({
          articleId,
          authorId: author.id,
          body: `comment ${index} ${'x'.repeat(10_000 - 20)}`,
          createdAt: new Date(start + index * 1_000),
        })),
      });
      const rows = await db(app).comment.findMany({
        where: { articleId },
        orderBy: { createdAt: 'desc' },
        select: { id: true },
      });
      newestFirst = rows.map((row) => row.id);
    });

    afterAll(async () => {
      await app.close();
    });

    const comments = (query = '') => api(app).get(`/api/articles/${article.slug}/comments${query}`);

    it('answers the newest 100 comments of an article by default, in the spec shape', async () => {
      const response = await comments();

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles/{slug}/comments');
      expect((response.body.comments as Comment[]).map((comment) => comment.id)).toEqual(newestFirst.slice(0, 100));
      expect(response.text.length).toBeLessThan(1_200_000);
    });

    it('pages with limit and offset, and caps the limit at 100', async () => {
      const page = await comments('?limit=7&offset=30');
      const capped = await comments('?limit=100000');
      const beyond = await comments('?offset=1000');

      expect((page.body.comments as Comment[]).map((comment) => comment.id)).toEqual(newestFirst.slice(30, 37));
      expect(capped.body.comments).toHaveLength(100);
      expect(beyond.body.comments).toEqual([]);
    });

    it('refuses a limit or offset that is not a number, in the error shape', async () => {
      const response = await comments('?limit=-1');

      expect(response.status).toBe(422);
      expectErrorShape(response, 422);
    });

    it('lists at most 100 tags, the most used first', async () => {
      const prisma = db(app);
      const names = Array.from({ length: 400 }, (_, index) => `bulk-${String(index).padStart(3, '0')}`);
      await prisma.tag.createMany({ data: names.map((name) => ({ name })) });
      const tags = await prisma.tag.findMany({
        where: { name: { in: names } },
        select: { id: true, name: true },
      });
      const articles = await Promise.all(Array.from({ length: 3 }, () => createArticle(app, author, { tagList: ['popular'] })));
      const ids = await prisma.article.findMany({
        where: { slug: { in: articles.map((one) => one.slug) } },
        select: { id: true },
      });
      await prisma.articleTag.createMany({
        data: tags.map((tag) => ({ articleId: ids[0].id, tagId: tag.id })),
      });

      const response = await api(app).get('/api/tags');

      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/tags');
      const listed = response.body.tags as string[];
      expect(listed).toHaveLength(100);
      expect(listed[0]).toBe('popular');
      expect(listed.slice(1)).toEqual([...names].sort().slice(0, 99));
    });
  });

  describe('an api process with rate limits on and a 2 s statement timeout', () => {
    let redis: ThrowawayRedis;
    let server: ApiProcess;

    beforeAll(async () => {
      redis = await startThrowawayRedis();
      server = await startApi({
        REDIS_URL: redis.url,
        RATE_LIMIT_ENABLED: 'true',
        COMMENTS_PER_HOUR: '3',
        ARTICLES_PER_HOUR: '3',
        NEW_TAGS_PER_HOUR: '4',
        DATABASE_STATEMENT_TIMEOUT_MS: '2000',
        CACHE_ENABLED: 'false',
      });
    });

    afterAll(async () => {
      await stopAll();
    });

    describe('per-user write limits', () => {
      let author: RemoteUser;
      let other: RemoteUser;
      let slug: string;

      const post = (path: string, user: RemoteUser, body: object) => request(server.url).post(path).set('Authorization', auth(user.token)).send(body);
      const comment = (user: RemoteUser, body = unique('comment')) => post(`/api/articles/${slug}/comments`, user, { comment: { body } });
      const article = (user: RemoteUser, tagList: string[] = []) =>
        post('/api/articles', user, {
          article: {
            title: unique('title'),
            description: 'd',
            body: 'b',
            tagList,
          },
        });

      beforeAll(async () => {
        [author, other] = [await registerRemote(server.url), await registerRemote(server.url)];
        const created = await article(author, ['one']);
        expect(created.status).toBe(201);
        slug = (created.body as { article: { slug: string } }).article.slug;
      });

      it("refuses a user's comment past COMMENTS_PER_HOUR with 429 and Retry-After, and lets others comment", async () => {
        for (let index = 0; index < 3; index += 1) expect((await comment(author)).status).toBe(201);

        const refused = await comment(author, 'one more');

        expect(refused.status).toBe(429);
        expectErrorShape(refused, 429);
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
        const listed = await request(server.url).get(`/api/articles/${slug}/comments`);
        expect((listed.body.comments as Comment[]).map((one) => one.body)).not.toContain('one more');
        expect((await comment(other)).status).toBe(201);
      });

      it('refuses new tags past NEW_TAGS_PER_HOUR without creating any, and articles past ARTICLES_PER_HOUR', async () => {
        const tooManyTags = await article(other, ['n1', 'n2', 'n3', 'n4', 'n5']);
        expect(tooManyTags.status).toBe(429);
        expectErrorShape(tooManyTags, 429);
        // Refused whole: the tags were not created, so these four are still new and fit the limit.
        expect((await article(other, ['n1', 'n2', 'n3', 'n4'])).status).toBe(201);
        // Tags that exist already cost nothing.
        expect((await article(other, ['one', 'n1', 'n2'])).status).toBe(201);

        expect((await article(author)).status).toBe(201);
        expect((await article(author)).status).toBe(201);
        const refused = await article(author);

        expect(refused.status).toBe(429);
        expectErrorShape(refused, 429);
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      });
    });

    describe('a statement timeout', () => {
      let locker: pg.Client;

      beforeAll(async () => {
        locker = new pg.Client({ connectionString: process.env.DATABASE_URL });
        await locker.connect();
      });

      afterAll(async () => {
        await locker?.end();
      });

      it('answers 503 in the error shape with Retry-After, not 500', async () => {
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE tags IN ACCESS EXCLUSIVE MODE');
        try {
          const response = await request(server.url).get('/api/tags');

          expect(response.status).toBe(503);
          expectErrorShape(response, 503);
          expect(response.headers['retry-after']).toBeDefined();
        } finally {
          await locker.query('ROLLBACK');
        }
      });
    });
  });
});
