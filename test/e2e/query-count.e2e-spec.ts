import type { NestExpressApplication } from '@nestjs/platform-express';
import pg from 'pg';
import type { Response } from 'supertest';
import { CacheStore, EPOCH_TAG } from '@/infra/cache/cache-store.service';
import { LocalEntries } from '@/infra/cache/local-entries';
import { createTestApp, resetDatabase } from '../helpers/app';
import { addComment, api, ArticleBody, auth, createArticle, favorite, follow, registerUser, registerUsers, TestUser, unique } from '../helpers/factories';
import { expectMatchesSpec } from '../helpers/openapi';

/**
 * Lists must cost a bounded number of SQL statements whatever the page size (no N+1 over authors,
 * tags or favorites). Prisma's `$on('query')` does not fire with driver adapters, so the count is
 * taken one level down: every statement Prisma sends goes through `pg.Client.prototype.query` of
 * the `pg` package that `@prisma/adapter-pg` drives (pooled clients included), which is wrapped here.
 *
 * Cached routes are measured twice: with a cold cache (every cached response retired first, so the
 * response is built from PostgreSQL) and with a warm one (a hit: no statement at all, signed in or
 * not, since a viewer's flags are cached beside the shared entry).
 */
// The set-up builds some hundred rows through the API (23 password hashes among them): more than
// Jest's default 5 s on a loaded machine.
jest.setTimeout(60_000);

describe('SQL queries per list request', () => {
  let app: NestExpressApplication;
  let viewer: TestUser;
  let authors: TestUser[];
  let prolific: TestUser;
  let manyComments: ArticleBody;
  let oneComment: ArticleBody;

  type Query = (...args: unknown[]) => unknown;
  const clientPrototype = pg.Client.prototype as unknown as { query: Query };
  const originalQuery = clientPrototype.query;
  let recorded: string[] | undefined;

  function sqlOf(config: unknown): string {
    if (typeof config === 'string') return config;
    return String((config as { text?: unknown } | null)?.text ?? config);
  }

  /** Retires every cached response, as a write would, so that the next read is built from PostgreSQL. */
  async function retireCache(): Promise<void> {
    app.get(LocalEntries).clear();
    await app.get(CacheStore).bump([EPOCH_TAG]);
  }

  /** The response of `run` and the SQL statements the application sent while handling it. */
  async function recordQueries(run: () => Promise<Response>): Promise<{ response: Response; statements: string[] }> {
    recorded = [];
    try {
      const response = await run();
      return { response, statements: recorded };
    } finally {
      recorded = undefined;
    }
  }

  beforeAll(async () => {
    app = await createTestApp();
    await resetDatabase(app);
    clientPrototype.query = function (this: unknown, ...args: unknown[]): unknown {
      recorded?.push(sqlOf(args[0]));
      return originalQuery.apply(this, args);
    };

    viewer = await registerUser(app, { username: unique('viewer') });
    authors = await registerUsers(app, 22, 'author');
    prolific = authors[0];
    const fans = authors.slice(18);
    // Every author writes two articles with tags of their own plus a shared one; one author writes 22 more.
    for (const [index, author] of authors.entries()) {
      for (const n of [1, 2]) await createArticle(app, author, { tagList: ['common', `own-${index}`, `pair-${index}-${n}`] });
    }
    for (let n = 0; n < 22; n += 1) await createArticle(app, prolific, { tagList: ['common', 'prolific', `solo-${n}`] });
    for (const author of authors) await follow(app, viewer, author.username);

    const everything = await api(app).get('/api/articles').query({ limit: 100 });
    const slugs = (everything.body.articles as ArticleBody[]).map((article) => article.slug);
    for (const slug of slugs) await favorite(app, viewer, slug);
    for (const fan of fans) for (const slug of slugs.slice(0, 30)) await favorite(app, fan, slug);

    [manyComments, oneComment] = [await createArticle(app, prolific), await createArticle(app, prolific)];
    for (const author of authors.slice(0, 20)) await addComment(app, author, manyComments.slug);
    await addComment(app, authors[1], oneComment.slug);
    // Some 300 writes: seconds on a quiet machine, more on a loaded one.
  }, 120_000);

  afterAll(async () => {
    clientPrototype.query = originalQuery;
    await app.close();
  });

  it('sees the statements of a request (the instrument works)', async () => {
    await retireCache();
    const { response, statements } = await recordQueries(() => api(app).get('/api/articles').query({ limit: 1 }));

    expect(response.status).toBe(200);
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.some((sql) => /"articles"|\barticles\b/i.test(sql))).toBe(true);
  });

  interface ListCase {
    name: string;
    template: string;
    path: () => string;
    query?: () => Record<string, string>;
    token?: () => string;
  }

  /** Generous: what matters is that the count does not grow with the page; this only catches a runaway. */
  const MAX_STATEMENTS = 12;

  const lists: ListCase[] = [
    { name: 'all articles, anonymous', template: '/articles', path: () => '/api/articles' },
    { name: 'all articles, as a viewer who follows and favorites', template: '/articles', path: () => '/api/articles', token: () => viewer.token },
    { name: 'articles by tag', template: '/articles', path: () => '/api/articles', query: () => ({ tag: 'common' }), token: () => viewer.token },
    { name: 'articles by author', template: '/articles', path: () => '/api/articles', query: () => ({ author: prolific.username }), token: () => viewer.token },
    { name: 'articles favorited by a user', template: '/articles', path: () => '/api/articles', query: () => ({ favorited: viewer.username }), token: () => viewer.token },
    { name: 'articles by tag, author and favoriting user', template: '/articles', path: () => '/api/articles', query: () => ({ tag: 'common', author: prolific.username, favorited: viewer.username }) },
    { name: 'the feed', template: '/articles/feed', path: () => '/api/articles/feed', token: () => viewer.token },
  ];

  function list(testCase: ListCase, limit: number): Promise<Response> {
    let test = api(app).get(testCase.path()).query({ ...testCase.query?.(), limit });
    const token = testCase.token?.();
    if (token) test = test.set('Authorization', auth(token));
    return test;
  }

  const temperatures = ['cold', 'warm'] as const;

  /** Measures `run` on a cold cache (retired just before) or a warm one (filled by the same request just before). */
  async function measure(temperature: (typeof temperatures)[number], run: () => Promise<Response>): Promise<{ response: Response; statements: string[] }> {
    if (temperature === 'cold') await retireCache();
    else await run();
    return recordQueries(run);
  }

  it.each(lists.flatMap((testCase) => temperatures.map((temperature) => [testCase.name, temperature, testCase] as const)))(
    '%s, %s cache: a page of 20 costs the same statements as a page of 1',
    async (_name, temperature, testCase) => {
      const small = await measure(temperature, () => list(testCase, 1));
      const large = await measure(temperature, () => list(testCase, 20));

      for (const { response } of [small, large]) {
        expect(response.status).toBe(200);
        expectMatchesSpec(response, 'GET', testCase.template);
      }
      expect(small.response.body.articles).toHaveLength(1);
      expect(large.response.body.articles).toHaveLength(20);
      const favoritedOnPage = (large.response.body.articles as ArticleBody[]).filter((article) => article.favoritesCount > 0).length;
      expect(favoritedOnPage).toBeGreaterThan(0);
      expect(new Set((large.response.body.articles as ArticleBody[]).flatMap((article) => article.tagList)).size).toBeGreaterThan(3);

      expect({ statements: large.statements.length, sql: large.statements }).toEqual({ statements: small.statements.length, sql: expect.any(Array) });
      expect(large.statements.length).toBeLessThanOrEqual(MAX_STATEMENTS);
      if (temperature === 'cold') expect(large.statements.length).toBeGreaterThan(0);
      // A hit reads nothing: even the sign-in check of the feed finds the token's version in Redis.
      else expect(large.statements).toHaveLength(0);
    },
  );

  it('the 20-article page spans many authors (so an N+1 over authors would show)', async () => {
    const response = await api(app).get('/api/articles').query({ tag: 'common', limit: 20, offset: 22 }).set('Authorization', auth(viewer.token));
    const { statements: page1 } = await measure('cold', () =>
      api(app).get('/api/articles').query({ tag: 'common', limit: 1, offset: 22 }).set('Authorization', auth(viewer.token)),
    );
    const { statements: page20 } = await measure('cold', () =>
      api(app).get('/api/articles').query({ tag: 'common', limit: 20, offset: 22 }).set('Authorization', auth(viewer.token)),
    );

    expect(response.status).toBe(200);
    expectMatchesSpec(response, 'GET', '/articles');
    const distinctAuthors = new Set((response.body.articles as ArticleBody[]).map((article) => article.author.username));
    expect(distinctAuthors.size).toBeGreaterThanOrEqual(10);
    for (const article of response.body.articles as ArticleBody[]) expect(article.author.following).toBe(true);
    expect(page20.length).toBe(page1.length);
  });

  it.each([
    ['anonymous', 'cold', (): string | undefined => undefined],
    ['anonymous', 'warm', (): string | undefined => undefined],
    ['as a viewer who follows every commenter', 'cold', (): string | undefined => viewer.token],
    ['as a viewer who follows every commenter', 'warm', (): string | undefined => viewer.token],
  ] as const)('comments, %s, %s cache: 20 comments by 20 authors cost the same statements as 1 comment', async (_name, temperature, token) => {
    const get = (slug: string): Promise<Response> => {
      const test = api(app).get(`/api/articles/${slug}/comments`);
      const value = token();
      return value ? test.set('Authorization', auth(value)) : test;
    };
    const one = await measure(temperature, () => get(oneComment.slug));
    const twenty = await measure(temperature, () => get(manyComments.slug));

    for (const { response } of [one, twenty]) {
      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles/{slug}/comments');
    }
    expect(one.response.body.comments).toHaveLength(1);
    expect(twenty.response.body.comments).toHaveLength(20);
    expect(new Set(twenty.response.body.comments.map((comment: { author: { username: string } }) => comment.author.username)).size).toBe(20);
    expect({ statements: twenty.statements.length, sql: twenty.statements }).toEqual({ statements: one.statements.length, sql: expect.any(Array) });
    expect(twenty.statements.length).toBeLessThanOrEqual(MAX_STATEMENTS);
    if (temperature === 'cold') expect(twenty.statements.length).toBeGreaterThan(0);
    else expect(twenty.statements).toEqual([]);
    if (token()) {
      const following = twenty.response.body.comments.map((comment: { author: { following: boolean } }) => comment.author.following);
      expect(following.every(Boolean)).toBe(true);
    }
  });
});
