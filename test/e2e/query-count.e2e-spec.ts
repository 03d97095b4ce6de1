import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Response } from 'supertest';
import { createTestApp, resetDatabase } from '../helpers/app';
import { api, ArticleBody, auth, unique } from '../helpers/factories';
import { expectMatchesSpec } from '../helpers/openapi';
import { SqlStatements } from '../helpers/sql-statements';
import { ArticleRow, Rows, UserRow } from '../integration/factories';

/**
 * A cached list costs no SQL statement at all, signed in or not: the entry, the viewer's flags
 * (cached beside it) and the token's version (for the guard) all come from Redis. That is a
 * property of the whole request (guard, interceptor, Express), so it is measured through HTTP. What
 * a list costs when it is built from PostgreSQL, whatever the page size, is measured at the service
 * level: test/integration/query-count.int-spec.ts.
 */
describe('SQL statements of a cached list request', () => {
  let app: NestExpressApplication;
  const sql = new SqlStatements();
  let viewer: UserRow & { token: string };
  let prolific: UserRow;
  let manyComments: ArticleRow;
  let oneComment: ArticleRow;

  beforeAll(async () => {
    app = await createTestApp();
    await resetDatabase(app);
    sql.install();
    // Rows written directly: what is measured is the reads, and the data is the same as through the API.
    const rows = new Rows(app);
    const viewerRow = await rows.user({ username: unique('viewer') });
    viewer = { ...viewerRow, token: rows.viewer(viewerRow).token };
    const authors = await rows.users(22, 'author');
    prolific = authors[0];
    const written: ArticleRow[] = [];
    for (const [index, author] of authors.entries()) {
      for (const n of [1, 2]) written.push(await rows.article(author, { tags: ['common', `own-${index}`, `pair-${index}-${n}`] }));
    }
    written.push(...(await rows.articles(prolific, 22, (n) => ({ tags: ['common', 'prolific', `solo-${n}`] }))));
    await rows.follow(viewerRow, ...authors);
    await rows.favorite(viewerRow, ...written);
    [manyComments, oneComment] = [await rows.article(prolific), await rows.article(prolific)];
    for (const author of authors.slice(0, 20)) await rows.comment(author, manyComments);
    await rows.comment(authors[1], oneComment);
  });

  afterAll(async () => {
    sql.uninstall();
    await app.close();
  });

  /** The statements of `run` once the same request has filled the cache (`filled`: that first, cold answer). */
  async function warm(run: () => Promise<Response>): Promise<{ filled: Response; result: Response; statements: string[] }> {
    const filled = await run();
    return { filled, ...(await sql.record(run)) };
  }

  it('sees the statements of a request (the instrument works)', async () => {
    const { result, statements } = await sql.record(() => api(app).get('/api/articles').query({ author: viewer.username, limit: 1 }));

    expect(result.status).toBe(200);
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.some((statement) => /"articles"|\barticles\b/i.test(statement))).toBe(true);
  });

  interface ListCase {
    name: string;
    template: string;
    path: () => string;
    query?: () => Record<string, string>;
    token?: () => string;
  }

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

  it.each(lists.map((testCase) => [testCase.name, testCase] as const))('%s, warm cache: a page of 1 and a page of 20 cost no statement', async (_name, testCase) => {
    const small = await warm(() => list(testCase, 1));
    const large = await warm(() => list(testCase, 20));

    for (const response of [small.filled, small.result, large.filled, large.result]) {
      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', testCase.template);
    }
    expect(large.result.body).toEqual(large.filled.body);
    expect(small.result.body.articles).toHaveLength(1);
    const articles = large.result.body.articles as ArticleBody[];
    expect(articles).toHaveLength(20);
    expect(articles.filter((article) => article.favoritesCount > 0).length).toBeGreaterThan(0);
    expect(new Set(articles.flatMap((article) => article.tagList)).size).toBeGreaterThan(3);
    // The viewer's flags come from the cache too, and must still be theirs.
    if (testCase.token) expect(articles.filter((article) => article.author.following)).toHaveLength(20);
    expect(small.statements).toEqual([]);
    // A hit reads nothing: even the sign-in check of the feed finds the token's version in Redis.
    expect(large.statements).toEqual([]);
  });

  it.each([
    ['anonymous', (): string | undefined => undefined],
    ['as a viewer who follows every commenter', (): string | undefined => viewer.token],
  ] as const)('comments, %s, warm cache: 1 comment and 20 comments by 20 authors cost no statement', async (_name, token) => {
    const get = (slug: string): Promise<Response> => {
      const test = api(app).get(`/api/articles/${slug}/comments`);
      const value = token();
      return value ? test.set('Authorization', auth(value)) : test;
    };
    const one = await warm(() => get(oneComment.slug));
    const twenty = await warm(() => get(manyComments.slug));

    for (const response of [one.filled, one.result, twenty.filled, twenty.result]) {
      expect(response.status).toBe(200);
      expectMatchesSpec(response, 'GET', '/articles/{slug}/comments');
    }
    expect(twenty.result.body).toEqual(twenty.filled.body);
    expect(one.result.body.comments).toHaveLength(1);
    expect(twenty.result.body.comments).toHaveLength(20);
    const comments = twenty.result.body.comments as Array<{ author: { username: string; following: boolean } }>;
    expect(new Set(comments.map((comment) => comment.author.username)).size).toBe(20);
    for (const comment of comments) expect(comment.author.following).toBe(token() !== undefined);
    expect(one.statements).toEqual([]);
    expect(twenty.statements).toEqual([]);
  });
});
